"""Start and stop the simulated partners in-process (tests) or for the CLI."""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from ..errors import BadInput
from .app import PartnerApp
from .clock import ClockSettings, SimClock
from .faults import FaultInjector, FaultSettings
from .httpd import PartnerHTTPServer
from .releaser import DropReleaser
from .settings import HOST, ServerSettings
from .store import PartnerStore

log = logging.getLogger(__name__)


class PartnerServer:
    """All simulated partners on ``127.0.0.1:<port>``; use as a context manager or ``start()``/``stop()``."""

    def __init__(self, settings: ServerSettings, store: PartnerStore | None = None) -> None:
        if store is None:
            if not settings.partners_dir.is_dir():
                raise BadInput(
                    f"no partner store at {settings.partners_dir}: run `observatoire generate` first "
                    "(or set OBSERVATOIRE_HOME)"
                )
            try:
                store = PartnerStore.load(settings.partners_dir)
            except ValueError as error:
                raise BadInput(f"unreadable partner store: {error}") from error
        self.settings = settings
        self.store = store
        self.clock = SimClock(settings.clock)
        self.faults = FaultInjector(settings.faults)
        self.app = PartnerApp(settings, store, self.clock, self.faults)
        self._httpd: PartnerHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the partner server is not running")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{HOST if self.settings.host in ('0.0.0.0', '::') else self.settings.host}:{self.port}"

    @property
    def releaser(self) -> DropReleaser | None:
        return self.app.releaser

    @property
    def city_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.settings.city_token}"}

    @property
    def smtpc_headers(self) -> dict[str, str]:
        return {"X-API-Key": self.settings.smtpc_key}

    def set_faults(self, **changes: Any) -> FaultSettings:
        """Apply fault changes (same names as ``POST /_control/faults``); restarts the seeded draws."""
        settings = self.faults.settings.updated(changes)
        self.faults.set(settings)
        return settings

    def reset_faults(self) -> None:
        self.faults.set(FaultSettings())

    def set_clock(self, settings: ClockSettings) -> None:
        self.clock.set(settings)
        if self.releaser is not None:
            self.releaser.poke()

    def start(self) -> PartnerServer:
        if self._httpd is not None:
            return self
        try:
            self._httpd = PartnerHTTPServer((self.settings.host, self.settings.port), self.app)
        except OSError as error:
            raise BadInput(
                f"cannot listen on {self.settings.host}:{self.settings.port}: {error.strerror or error}"
            ) from error
        self.app.base_url = self.base_url
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="partner-server",
            daemon=True,
        )
        self._thread.start()
        if self.settings.release_drop and self.store.drop:
            self.app.releaser = DropReleaser(
                list(self.store.drop.values()),
                self.settings.drop_dir,
                self.clock,
                self.settings.releaser_poll_s,
            )
            self.app.releaser.start()
        return self

    def stop(self) -> None:
        """Stop accepting, close open connections, stop the releaser; returns when everything ended."""
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.close_connections()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(10)
        if self.app.releaser is not None:
            self.app.releaser.stop()
        self._httpd = None
        self._thread = None
        log.info("simulated partners stopped")

    def __enter__(self) -> PartnerServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


@contextmanager
def running_partners(home: Path, **changes: Any) -> Iterator[PartnerServer]:
    """The simulated partners serving ``home/partners`` on an ephemeral loopback port.

    ``changes`` override :class:`ServerSettings` fields (``port``, ``city_token``, ``smtpc_key``, ``clock``,
    ``faults``, ``release_drop``…). Yields the running :class:`PartnerServer` (``.base_url``,
    ``.city_headers``, ``.smtpc_headers``, ``.set_faults()``, ``.set_clock()``, ``.releaser``).
    """
    settings = dataclasses.replace(ServerSettings(home=Path(home), port=0), **changes)
    with PartnerServer(settings) as server:
        yield server

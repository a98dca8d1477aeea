"""The file drop: Préfecture and police-activity daily files appear in ``drop/`` as the clock advances.

``partners/<partner>/<dataset>/YYYY-MM-DD.csv`` is copied to ``drop/<partner>/<dataset>/<dataset>_YYYY-MM-DD.csv``
once the simulated day is over. Each copy is written under a hidden temporary name in the same directory
and renamed into place, so a connector never sees a half-written file.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from collections import deque
from datetime import date
from pathlib import Path

from .clock import SimClock
from .store import DailyFiles

log = logging.getLogger(__name__)


def drop_name(dataset: str, day: date) -> str:
    return f"{dataset}_{day.isoformat()}.csv"


def copy_atomically(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.partial")
    try:
        shutil.copyfile(source, temporary)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


class DropReleaser:
    """Background thread releasing each due day's files into the drop directory."""

    def __init__(self, datasets: list[DailyFiles], drop_dir: Path, clock: SimClock, poll_s: float = 0.2):
        self._pending = deque(
            sorted(
                ((day, files, path) for files in datasets for day, path in files.days.items()),
                key=lambda item: (item[0], item[1].contract.table),
            )
        )
        self._drop_dir = drop_dir
        self._clock = clock
        self._poll_s = poll_s
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._idle = threading.Condition()
        self._released = 0
        self._thread = threading.Thread(target=self._run, name="drop-releaser", daemon=True)

    @property
    def released(self) -> int:
        with self._idle:
            return self._released

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def poke(self) -> None:
        """Re-check the clock now (after it was changed)."""
        self._wake.set()

    def wait_released(self, count: int | None = None, timeout: float = 10.0) -> bool:
        """Wait until everything due now (or ``count`` files) is released; ``False`` on timeout."""
        self.poke()
        with self._idle:
            return self._idle.wait_for(
                lambda: (self._released >= count) if count is not None else not self._due_pending(), timeout
            )

    def _due_pending(self) -> bool:
        return bool(self._pending) and self._clock.is_released(self._pending[0][0])

    def _target(self, files: DailyFiles, day: date) -> Path:
        contract = files.contract
        return self._drop_dir / contract.partner / contract.dataset / drop_name(contract.dataset, day)

    def _release_due(self) -> None:
        while self._pending and not self._stop.is_set() and self._clock.is_released(self._pending[0][0]):
            day, files, source = self._pending[0]
            target = self._target(files, day)
            try:
                if not (target.exists() and target.stat().st_size == source.stat().st_size):
                    copy_atomically(source, target)
                    log.debug("released %s", target)
            except OSError as error:
                log.error("could not release %s: %s", target, error)
                return
            with self._idle:
                self._pending.popleft()
                self._released += 1
                self._idle.notify_all()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._release_due()
            with self._idle:
                self._idle.notify_all()
            wait = self._poll_s
            if self._pending:
                wait = max(0.01, min(wait, self._clock.seconds_until_release(self._pending[0][0])))
            self._wake.wait(wait)
            self._wake.clear()

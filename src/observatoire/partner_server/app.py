"""Routing of every request to its partner, with the fault switches applied to partner requests."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from . import control_api, metropole_api, smtpc_api, ville_api
from .clock import SimClock
from .faults import FaultInjector, TruncateMode
from .messages import Request, Response, error_response, json_response
from .releaser import DropReleaser
from .settings import ServerSettings
from .store import PartnerStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    response: Response
    fault: str = "none"
    truncate: TruncateMode | None = None


class PartnerApp:
    """Everything a request needs: the store, credentials, clock, faults and the drop releaser."""

    def __init__(self, settings: ServerSettings, store: PartnerStore, clock: SimClock, faults: FaultInjector):
        self.settings = settings
        self.store = store
        self.clock = clock
        self.faults = faults
        self.releaser: DropReleaser | None = None
        self.base_url = ""

    def health(self) -> dict[str, Any]:
        return {
            "status": "ok",
            "base_url": self.base_url,
            "datasets": self.store.summary(),
            "clock": self.clock.describe(),
            "drop": {
                "directory": str(self.settings.drop_dir),
                "releasing": self.releaser is not None,
                "files_released": self.releaser.released if self.releaser else 0,
            },
            "faults": self.faults.settings.to_json(),
        }

    def index(self) -> dict[str, Any]:
        base = self.base_url
        return {
            "ville": [f"{base}{ville_api.PREFIX}{name}" for name in self.store.city],
            "smtpc": [f"{base}{smtpc_api.PREFIX}{name}/YYYY-MM-DD.csv" for name in self.store.smtpc],
            "metropole": [f"{base}{metropole_api.PREFIX}/{name}/records" for name in self.store.metropole],
            "drop": str(self.settings.drop_dir),
            "controls": [f"{base}{control_api.PREFIX}{name}" for name in ("health", "faults", "clock")],
        }

    def _clock_changed(self) -> None:
        if self.releaser is not None:
            self.releaser.poke()

    def dispatch(self, request: Request) -> Outcome:
        if request.path.startswith(control_api.PREFIX):
            return Outcome(
                control_api.handle(request, self.faults, self.clock, self.health, self._clock_changed)
            )
        if request.path in ("", "/"):
            return Outcome(json_response(200, self.index()))
        partner = request.path.strip("/").split("/", 1)[0]
        if partner not in ("ville", "smtpc", "metropole"):
            return Outcome(
                error_response(404, "not_found", "partners: /ville/api/v1, /smtpc, /metropole/api")
            )
        if request.method != "GET":
            return Outcome(error_response(405, "method_not_allowed", "partner endpoints answer GET only"))
        decision = self.faults.decide(partner)
        if decision.latency_s > 0:
            time.sleep(decision.latency_s)
        if decision.kind == "error":
            status = decision.settings.error_status
            return Outcome(error_response(status, "server_error", "simulated partner failure"), "error")
        if decision.kind == "rate_limit":
            retry = str(decision.settings.retry_after_s)
            response = error_response(
                429, "too_many_requests", f"rate limited; retry in {retry} s", {"Retry-After": retry}
            )
            return Outcome(response, "rate_limit")
        response = self._partner(partner, request)
        if decision.kind == "truncate" and response.status == 200 and response.length > 1:
            return Outcome(response, "truncate", decision.settings.truncate_mode)
        return Outcome(response)

    def _partner(self, partner: str, request: Request) -> Response:
        reject = self.faults.bad_tokens()
        if partner == "ville":
            if not request.path.startswith(ville_api.PREFIX):
                return error_response(404, "not_found", "use /ville/api/v1/{evenements|arretes_circulation}")
            return ville_api.handle(request, self.store, self.settings.city_token, reject, self.clock.now())
        if partner == "smtpc":
            return smtpc_api.handle(request, self.store, self.settings.smtpc_key, reject, self.clock)
        if not request.path.startswith(metropole_api.PREFIX):
            return error_response(404, "not_found", f"use {metropole_api.PREFIX}/{{dataset_id}}/records")
        return metropole_api.handle(request, self.store)

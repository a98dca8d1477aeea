"""SMTPC daily CSV files: ``GET /smtpc/{dataset}/YYYY-MM-DD.csv`` with ``X-API-Key``."""

from __future__ import annotations

import hmac
import re
from datetime import date

from .clock import SimClock
from .messages import Request, Response, error_response, file_response
from .store import PartnerStore

PREFIX = "/smtpc/"
_PATH = re.compile(r"/smtpc/([a-z_]+)/(\d{4}-\d{2}-\d{2})\.csv")
CSV_TYPE = "text/csv; charset=utf-8"


def handle(request: Request, store: PartnerStore, key: str, reject_all: bool, clock: SimClock) -> Response:
    presented = request.headers.get("X-API-Key") or ""
    if not presented:
        return error_response(403, "forbidden", "missing API key: send the 'X-API-Key' header")
    if reject_all or not hmac.compare_digest(presented.encode(), key.encode()):
        return error_response(403, "forbidden", "invalid API key")
    match = _PATH.fullmatch(request.path)
    if match is None:
        return error_response(404, "not_found", "use /smtpc/{comptages|evenements_tunnel}/YYYY-MM-DD.csv")
    files = store.smtpc.get(match.group(1))
    if files is None:
        known = ", ".join(sorted(store.smtpc)) or "none"
        return error_response(404, "not_found", f"unknown dataset {match.group(1)!r}; available: {known}")
    try:
        day = date.fromisoformat(match.group(2))
    except ValueError:
        return error_response(404, "not_found", f"not a date: {match.group(2)}")
    path = files.days.get(day)
    if path is None or not clock.is_released(day):
        return error_response(404, "not_found", f"no {files.contract.dataset} file for {day} (not available)")
    return file_response(path, CSV_TYPE)

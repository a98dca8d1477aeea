"""Test controls under ``/_control``: health, fault switches and the simulated clock."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .clock import SimClock, clock_settings_from_json
from .faults import FaultInjector, FaultSettings
from .messages import Request, Response, error_response, json_response

PREFIX = "/_control/"


def _json_body(request: Request) -> dict[str, Any]:
    try:
        payload = json.loads(request.body or b"{}")
    except ValueError as error:
        raise ValueError(f"body is not JSON: {error}") from error
    if not isinstance(payload, dict):
        raise ValueError("body must be a JSON object")
    return payload


def handle(
    request: Request,
    faults: FaultInjector,
    clock: SimClock,
    health: Callable[[], dict[str, Any]],
    on_clock_change: Callable[[], None],
) -> Response:
    name = request.path[len(PREFIX) :].strip("/")
    try:
        if name == "health" and request.method == "GET":
            return json_response(200, health())
        if name == "faults":
            if request.method == "POST":
                payload = _json_body(request)
                base = FaultSettings() if payload.pop("reset", False) else faults.settings
                faults.set(base.updated(payload))
            return json_response(200, faults.settings.to_json())
        if name == "clock":
            if request.method == "POST":
                clock.set(clock_settings_from_json(_json_body(request)))
                on_clock_change()
            return json_response(200, clock.describe())
    except (ValueError, TypeError) as error:
        return error_response(400, "bad_request", str(error))
    return error_response(404, "not_found", "controls: GET health, GET|POST faults, GET|POST clock")

"""The simulated clock: which partner days (and city API updates) are already available.

A day ``D`` is *released* once the simulated instant reaches ``D + 1 day`` 00:00 UTC, i.e. when the day is
over. Three modes:

- ``all`` (default): everything is available (demos, end-to-end runs);
- ``until``: frozen at the end of a given day (``--release-until``);
- ``running``: starts at ``start`` 00:00 UTC and advances ``days_per_second`` simulated days per second.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

ClockMode = Literal["all", "until", "running"]
DAY_S = 86400.0


@dataclass(frozen=True)
class ClockSettings:
    mode: ClockMode = "all"
    start: date | None = None
    """First simulated day (``running``): days before it are released at once."""
    days_per_second: float = 1.0
    until: date | None = None
    """Last released day (``until``)."""

    def __post_init__(self) -> None:
        if self.mode == "running" and self.start is None:
            raise ValueError("a running clock needs a start day")
        if self.mode == "until" and self.until is None:
            raise ValueError("a frozen clock needs the last released day")
        if self.days_per_second <= 0:
            raise ValueError("days_per_second must be positive")


def day_start(day: date) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()


class SimClock:
    """Thread-safe simulated clock; ``now()`` is a UTC epoch (``math.inf`` when everything is released)."""

    def __init__(self, settings: ClockSettings) -> None:
        self._lock = threading.Lock()
        self._settings = settings
        self._t0 = time.monotonic()

    @property
    def settings(self) -> ClockSettings:
        with self._lock:
            return self._settings

    def set(self, settings: ClockSettings) -> None:
        with self._lock:
            self._settings = settings
            self._t0 = time.monotonic()

    def now(self) -> float:
        with self._lock:
            settings, t0 = self._settings, self._t0
        if settings.mode == "all":
            return math.inf
        if settings.mode == "until":
            assert settings.until is not None
            return day_start(settings.until + timedelta(days=1))
        assert settings.start is not None
        return day_start(settings.start) + (time.monotonic() - t0) * settings.days_per_second * DAY_S

    def is_released(self, day: date) -> bool:
        return day_start(day + timedelta(days=1)) <= self.now()

    def seconds_until_release(self, day: date) -> float:
        """Real seconds before ``day`` is released (0 if it is; ``inf`` if the clock is frozen before it)."""
        now = self.now()
        due = day_start(day + timedelta(days=1))
        if due <= now:
            return 0.0
        settings = self.settings
        if settings.mode != "running":
            return math.inf
        return (due - now) / (settings.days_per_second * DAY_S)

    def describe(self) -> dict[str, Any]:
        settings = self.settings
        now = self.now()
        return {
            "mode": settings.mode,
            "start": settings.start.isoformat() if settings.start else None,
            "days_per_second": settings.days_per_second,
            "until": settings.until.isoformat() if settings.until else None,
            "now": None if math.isinf(now) else datetime.fromtimestamp(now, UTC).isoformat(),
        }


def clock_settings_from_json(payload: dict[str, Any]) -> ClockSettings:
    """``{"mode": "all"}``, ``{"mode": "until", "until": "YYYY-MM-DD"}`` or
    ``{"mode": "running", "start": "YYYY-MM-DD", "days_per_second": 2}``."""
    unknown = set(payload) - {"mode", "start", "until", "days_per_second"}
    if unknown:
        raise ValueError(f"unknown clock settings: {', '.join(sorted(unknown))}")
    mode = payload.get("mode", "all")
    if mode not in ("all", "until", "running"):
        raise ValueError("mode must be one of all, until, running")
    start = date.fromisoformat(payload["start"]) if payload.get("start") else None
    until = date.fromisoformat(payload["until"]) if payload.get("until") else None
    return ClockSettings(
        mode=mode, start=start, until=until, days_per_second=float(payload.get("days_per_second", 1.0))
    )

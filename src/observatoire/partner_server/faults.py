"""Fault switches: latency, 5xx, 429 with Retry-After, truncated bodies, bad tokens.

Each partner request draws one number from a generator seeded with ``seed``, so a sequence of requests
meets the same faults on every run. The ``*_next`` counters force the next N partner requests to fail
in a given way, whatever the rates (handy for retry tests).
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal

FaultKind = Literal["none", "error", "rate_limit", "truncate"]
TruncateMode = Literal["content_length", "cut"]
PARTNER_PREFIXES = ("ville", "smtpc", "metropole")


@dataclass(frozen=True)
class FaultSettings:
    latency_ms: int = 0
    """Added before every partner response."""
    error_rate: float = 0.0
    """Share of partner requests answered with ``error_status``."""
    error_status: int = 503
    rate_limit_rate: float = 0.0
    """Share of partner requests answered 429 with a ``Retry-After`` header."""
    retry_after_s: int = 1
    truncate_rate: float = 0.0
    """Share of successful partner responses whose body is cut in the middle."""
    truncate_mode: TruncateMode = "content_length"
    """``content_length``: announce the full length, send half, close (the client sees an incomplete read);
    ``cut``: a well-formed response whose JSON/CSV body stops mid-record."""
    bad_tokens: bool = False
    """Reject every city token and SMTPC key."""
    error_next: int = 0
    rate_limit_next: int = 0
    truncate_next: int = 0
    partners: tuple[str, ...] = PARTNER_PREFIXES
    """Partners the faults apply to (``ville``, ``smtpc``, ``metropole``)."""
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("error_rate", "rate_limit_rate", "truncate_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
        if self.error_rate + self.rate_limit_rate + self.truncate_rate > 1.0:
            raise ValueError("error_rate + rate_limit_rate + truncate_rate must not exceed 1")
        if not 500 <= self.error_status <= 599:
            raise ValueError(f"error_status must be a 5xx status, got {self.error_status}")
        if self.latency_ms < 0 or self.retry_after_s < 0:
            raise ValueError("latency_ms and retry_after_s must not be negative")
        if min(self.error_next, self.rate_limit_next, self.truncate_next) < 0:
            raise ValueError("*_next counters must not be negative")
        if self.truncate_mode not in ("content_length", "cut"):
            raise ValueError("truncate_mode must be content_length or cut")
        unknown = set(self.partners) - set(PARTNER_PREFIXES)
        if unknown:
            raise ValueError(f"unknown partners: {', '.join(sorted(unknown))}")

    def to_json(self) -> dict[str, Any]:
        payload = asdict(self)
        payload["partners"] = list(self.partners)
        return payload

    def updated(self, changes: dict[str, Any]) -> FaultSettings:
        """These settings with ``changes`` applied (a JSON object of field names to values)."""
        known = {f.name: f for f in fields(self)}
        unknown = set(changes) - set(known)
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        coerced: dict[str, Any] = {}
        for name, value in changes.items():
            if name == "partners":
                if not isinstance(value, list | tuple) or not all(isinstance(p, str) for p in value):
                    raise ValueError("partners must be a list of partner names")
                coerced[name] = tuple(value)
            elif name == "bad_tokens":
                if not isinstance(value, bool):
                    raise ValueError("bad_tokens must be true or false")
                coerced[name] = value
            elif name == "truncate_mode":
                coerced[name] = str(value)
            elif isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{name} must be a number")
            elif name.endswith("_rate"):
                coerced[name] = float(value)
            else:
                if float(value) != int(value):
                    raise ValueError(f"{name} must be an integer")
                coerced[name] = int(value)
        return replace(self, **coerced)


@dataclass(frozen=True)
class FaultDecision:
    kind: FaultKind
    latency_s: float
    settings: FaultSettings


class FaultInjector:
    """Thread-safe holder of the current fault settings and their seeded random draws."""

    def __init__(self, settings: FaultSettings | None = None) -> None:
        self._lock = threading.Lock()
        self._settings = settings or FaultSettings()
        self._random = random.Random(self._settings.seed)

    @property
    def settings(self) -> FaultSettings:
        with self._lock:
            return self._settings

    def set(self, settings: FaultSettings) -> None:
        """Replace the settings and restart the random sequence from their seed."""
        with self._lock:
            self._settings = settings
            self._random = random.Random(settings.seed)

    def bad_tokens(self) -> bool:
        return self.settings.bad_tokens

    def decide(self, partner: str) -> FaultDecision:
        with self._lock:
            s = self._settings
            if partner not in s.partners:
                return FaultDecision("none", 0.0, s)
            draw = self._random.random()
            kind: FaultKind = "none"
            if s.error_next:
                kind, s = "error", replace(s, error_next=s.error_next - 1)
            elif s.rate_limit_next:
                kind, s = "rate_limit", replace(s, rate_limit_next=s.rate_limit_next - 1)
            elif s.truncate_next:
                kind, s = "truncate", replace(s, truncate_next=s.truncate_next - 1)
            elif draw < s.error_rate:
                kind = "error"
            elif draw < s.error_rate + s.rate_limit_rate:
                kind = "rate_limit"
            elif draw < s.error_rate + s.rate_limit_rate + s.truncate_rate:
                kind = "truncate"
            self._settings = s
            return FaultDecision(kind, s.latency_ms / 1000.0, s)

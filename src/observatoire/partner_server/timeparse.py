"""Lenient ISO 8601 parsing to UTC epochs (naive values are taken as UTC)."""

from __future__ import annotations

from datetime import UTC, date, datetime


def parse_instant(text: str) -> float:
    """``2024-01-01``, ``2024-01-01T10:00``, ``…+02:00`` or ``…Z`` → UTC epoch seconds; ``ValueError`` else."""
    value = text.strip()
    if " " in value and "T" in value:
        # An unencoded "+" in a query string arrives as a space.
        value = value.replace(" ", "+")
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def parse_day(text: str) -> date:
    return date.fromisoformat(text)

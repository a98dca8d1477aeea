"""Time intervals a pull covers, and the calendar days inside them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo


def as_utc(value: datetime) -> datetime:
    """``value`` in UTC; a naive value is taken as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_instant(text: str) -> datetime:
    """``2025-07-01``, ``2025-07-01T10:00``, ``…Z`` or ``…+02:00`` → an aware UTC datetime."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        return as_utc(datetime.fromisoformat(value))
    except ValueError as error:
        raise ValueError(f"{text!r} is not an ISO 8601 date or date-time") from error


def iso(value: datetime | None) -> str | None:
    return None if value is None else as_utc(value).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Interval:
    """``[start, end)`` in UTC; ``start=None`` means "from the beginning", ``end=None`` "until now"."""

    start: datetime | None = None
    end: datetime | None = None

    def __post_init__(self) -> None:
        if self.start is not None:
            object.__setattr__(self, "start", as_utc(self.start))
        if self.end is not None:
            object.__setattr__(self, "end", as_utc(self.end))
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ValueError(f"interval ends ({iso(self.end)}) before it starts ({iso(self.start)})")

    @classmethod
    def parse(cls, since: str | None, until: str | None) -> Interval:
        return cls(parse_instant(since) if since else None, parse_instant(until) if until else None)

    @classmethod
    def of_day(cls, day: date, zone: str = "UTC") -> Interval:
        tz = ZoneInfo(zone)
        start = datetime(day.year, day.month, day.day, tzinfo=tz)
        following = day + timedelta(days=1)
        return cls(start, datetime(following.year, following.month, following.day, tzinfo=tz))

    def contains(self, instant: datetime) -> bool:
        instant = as_utc(instant)
        return (self.start is None or instant >= self.start) and (self.end is None or instant < self.end)

    def days(self, zone: str, first: date | None = None, last: date | None = None) -> Iterator[date]:
        """Calendar days (in ``zone``) that overlap the interval; open ends are bounded by ``first``/``last``."""
        tz = ZoneInfo(zone)
        start_day = self.start.astimezone(tz).date() if self.start is not None else first
        if self.end is not None:
            last_instant = self.end - timedelta(microseconds=1)
            end_day = last_instant.astimezone(tz).date()
        else:
            end_day = last if last is not None else datetime.now(tz).date()
        if start_day is None:
            raise ValueError("an interval without a start needs a first day to enumerate days")
        day = start_day
        while day <= end_day:
            yield day
            day += timedelta(days=1)

    def to_dict(self) -> dict[str, str | None]:
        return {"start": iso(self.start), "end": iso(self.end)}

    @property
    def label(self) -> str:
        """Compact, path-safe label used in delivery ids: ``20250701T000000Z-20250702T000000Z``."""

        def part(value: datetime | None, open_text: str) -> str:
            return open_text if value is None else value.strftime("%Y%m%dT%H%M%SZ")

        return f"{part(self.start, 'origin')}-{part(self.end, 'open')}"

    def __str__(self) -> str:
        return f"[{iso(self.start) or 'beginning'}, {iso(self.end) or 'now'})"

"""The real French calendar the world generator follows.

Public holidays are computed (fixed dates plus the Easter-based ones); school holidays of zone B
(académie d'Aix-Marseille) are approximated by the rules the Ministry has followed in recent years
(two weeks around the fixed points, summer from early July to the first days of September); local
times are Europe/Paris through ``zoneinfo`` so that daylight-saving days have 23 or 25 hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

PARIS = ZoneInfo("Europe/Paris")


def easter_sunday(year: int) -> date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm, "Meeus/Jones/Butcher")."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month, day = divmod(h + leap - 7 * m + 114, 31)
    return date(year, month, day + 1)


@lru_cache(maxsize=64)
def public_holidays(year: int) -> dict[date, str]:
    """The 11 French public holidays of ``year`` (metropolitan France, without Alsace-Moselle)."""
    easter = easter_sunday(year)
    return {
        date(year, 1, 1): "Jour de l'an",
        easter + timedelta(days=1): "Lundi de Pâques",
        date(year, 5, 1): "Fête du travail",
        date(year, 5, 8): "Victoire 1945",
        easter + timedelta(days=39): "Ascension",
        easter + timedelta(days=50): "Lundi de Pentecôte",
        date(year, 7, 14): "Fête nationale",
        date(year, 8, 15): "Assomption",
        date(year, 11, 1): "Toussaint",
        date(year, 11, 11): "Armistice 1918",
        date(year, 12, 25): "Noël",
    }


def is_public_holiday(day: date) -> bool:
    return day in public_holidays(day.year)


def _saturday_on_or_before(day: date) -> date:
    return day - timedelta(days=(day.weekday() - 5) % 7)


@lru_cache(maxsize=64)
def school_holidays_zone_b(year: int) -> tuple[tuple[date, date], ...]:
    """Approximate zone B school holidays overlapping calendar ``year`` as (first day, last day) pairs.

    Rules (close to the published calendars of recent years): Christmas = the two weeks covering
    25 December and 1 January; winter (February) = two weeks starting the second Saturday of February;
    spring = two weeks starting the second Saturday of April; summer = from the first Saturday of July to
    the Sunday before the first Monday of September; Toussaint = two weeks starting the Saturday on or
    before 19 October.
    """
    periods: list[tuple[date, date]] = []
    christmas_start = _saturday_on_or_before(date(year - 1, 12, 23))
    periods.append((christmas_start, christmas_start + timedelta(days=15)))
    first_feb_saturday = date(year, 2, 1) + timedelta(days=(5 - date(year, 2, 1).weekday()) % 7)
    winter_start = first_feb_saturday + timedelta(days=7)
    periods.append((winter_start, winter_start + timedelta(days=15)))
    first_apr_saturday = date(year, 4, 1) + timedelta(days=(5 - date(year, 4, 1).weekday()) % 7)
    spring_start = first_apr_saturday + timedelta(days=7)
    periods.append((spring_start, spring_start + timedelta(days=15)))
    summer_start = date(year, 7, 1) + timedelta(days=(5 - date(year, 7, 1).weekday()) % 7)
    first_sept_monday = date(year, 9, 1) + timedelta(days=(0 - date(year, 9, 1).weekday()) % 7)
    periods.append((summer_start, first_sept_monday - timedelta(days=1)))
    toussaint_start = _saturday_on_or_before(date(year, 10, 19))
    periods.append((toussaint_start, toussaint_start + timedelta(days=15)))
    christmas_next = _saturday_on_or_before(date(year, 12, 23))
    periods.append((christmas_next, christmas_next + timedelta(days=15)))
    return tuple(periods)


def is_school_holiday(day: date) -> bool:
    for year in (day.year, day.year + 1):
        for first, last in school_holidays_zone_b(year):
            if first <= day <= last:
                return True
    return False


def is_summer(day: date) -> bool:
    """DESIGN §4: summer = April to September."""
    return 4 <= day.month <= 9


def local_datetime(day: date, hour: int, minute: int = 0) -> datetime:
    """An aware Europe/Paris datetime; wall times that do not exist (spring gap) move forward one hour."""
    naive = datetime(day.year, day.month, day.day, hour, minute)
    aware = naive.replace(tzinfo=PARIS)
    # A wall time inside the spring-forward gap does not survive a round trip through UTC.
    round_trip = aware.astimezone(UTC).astimezone(PARIS)
    if round_trip.replace(tzinfo=None) != naive:
        aware = (naive + timedelta(hours=1)).replace(tzinfo=PARIS)
    return aware.astimezone(UTC)


def days_between(start: date, end: date) -> list[date]:
    """Every day from ``start`` to ``end`` inclusive."""
    return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]


def local_midnight_utc(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=PARIS).astimezone(UTC)


def hours_in_local_day(day: date) -> int:
    """23 on the spring-forward Sunday, 25 on the fall-back Sunday, else 24."""
    delta = local_midnight_utc(day + timedelta(days=1)) - local_midnight_utc(day)
    return int(delta.total_seconds() // 3600)


def last_sunday(year: int, month: int) -> date:
    next_month = date(year + (month == 12), month % 12 + 1, 1)
    last_day = next_month - timedelta(days=1)
    return last_day - timedelta(days=(last_day.weekday() - 6) % 7)


# --- vectorised local time ------------------------------------------------------------------------------
# pandas' conversions through a ``zoneinfo`` zone run element by element; the EU rule (summer time from
# the last Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC, in force since 1996) gives
# the same offsets for whole arrays at once. Tests compare it with zoneinfo.


def paris_offset_minutes(utc: np.ndarray) -> np.ndarray:
    """Europe/Paris UTC offset (60 or 120 minutes) of naive UTC ``datetime64`` values."""
    moments = utc.astype("datetime64[s]")
    years = moments.astype("datetime64[Y]").astype(np.int64) + 1970
    offsets = np.full(moments.shape, 60, dtype=np.int64)
    for year in np.unique(years).tolist():
        summer_start = np.datetime64(f"{last_sunday(year, 3).isoformat()}T01:00:00", "s")
        summer_end = np.datetime64(f"{last_sunday(year, 10).isoformat()}T01:00:00", "s")
        in_year = years == year
        offsets[in_year & (moments >= summer_start) & (moments < summer_end)] = 120
    return offsets


@dataclass(frozen=True)
class LocalTimes:
    """Europe/Paris wall-clock fields of an array of UTC instants."""

    local: np.ndarray
    """naive local ``datetime64[s]``"""
    offset_minutes: np.ndarray
    day: np.ndarray
    """local date as ``datetime64[D]``"""
    hour: np.ndarray
    minute: np.ndarray
    weekday: np.ndarray
    """Monday = 0"""
    month: np.ndarray

    @classmethod
    def of(cls, utc: np.ndarray) -> LocalTimes:
        moments = utc.astype("datetime64[s]")
        offsets = paris_offset_minutes(moments)
        local = moments + offsets.astype("timedelta64[m]")
        day = local.astype("datetime64[D]")
        seconds_in_day = (local - day).astype(np.int64)
        weekday = (day.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
        month = local.astype("datetime64[M]").astype(np.int64) % 12 + 1
        return cls(local, offsets, day, seconds_in_day // 3600, seconds_in_day % 3600 // 60, weekday, month)

    def offset_labels(self) -> np.ndarray:
        """``+01:00`` / ``+02:00`` for each instant."""
        return np.where(self.offset_minutes == 120, "+02:00", "+01:00")

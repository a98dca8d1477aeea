from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from observatoire.simulation.calendar import (
    LocalTimes,
    easter_sunday,
    hours_in_local_day,
    is_school_holiday,
    local_datetime,
    paris_offset_minutes,
    public_holidays,
)


def test_easter_and_public_holidays() -> None:
    assert easter_sunday(2019) == date(2019, 4, 21)
    assert easter_sunday(2024) == date(2024, 3, 31)
    assert easter_sunday(2025) == date(2025, 4, 20)
    assert easter_sunday(2038) == date(2038, 4, 25)
    holidays = public_holidays(2024)
    assert len(holidays) == 11
    assert date(2024, 5, 9) in holidays  # Ascension
    assert date(2024, 5, 20) in holidays  # Whit Monday
    assert date(2024, 4, 1) in holidays  # Easter Monday
    assert date(2024, 7, 14) in holidays


def test_zone_b_school_holidays_are_plausible() -> None:
    assert is_school_holiday(date(2024, 8, 1))
    assert is_school_holiday(date(2024, 12, 25))
    assert is_school_holiday(date(2025, 1, 2))
    assert is_school_holiday(date(2024, 10, 25))  # Toussaint
    assert not is_school_holiday(date(2024, 6, 3))
    assert not is_school_holiday(date(2024, 9, 10))
    assert not is_school_holiday(date(2024, 3, 12))


def test_daylight_saving_days() -> None:
    assert hours_in_local_day(date(2024, 3, 31)) == 23
    assert hours_in_local_day(date(2024, 10, 27)) == 25
    assert hours_in_local_day(date(2024, 6, 1)) == 24
    # A wall time in the spring gap moves to the next valid hour.
    assert local_datetime(date(2024, 3, 31), 2, 30) == datetime(2024, 3, 31, 1, 30, tzinfo=UTC)


def test_vectorised_offsets_match_zoneinfo() -> None:
    paris = ZoneInfo("Europe/Paris")
    rng = np.random.default_rng(0)
    start = datetime(2014, 1, 1, tzinfo=UTC)
    instants = [start + timedelta(minutes=int(m)) for m in rng.integers(0, 60 * 24 * 366 * 12, size=3000)]
    # Add the exact transition instants and their neighbours.
    for year in (2024, 2025):
        for month, day in ((3, 31 if year == 2024 else 30), (10, 27 if year == 2024 else 26)):
            transition = datetime(year, month, day, 1, tzinfo=UTC)
            instants += [transition - timedelta(minutes=1), transition, transition + timedelta(minutes=1)]
    values = np.array([np.datetime64(i.replace(tzinfo=None), "s") for i in instants])
    offsets = paris_offset_minutes(values)
    expected = [int(i.astimezone(paris).utcoffset().total_seconds() // 60) for i in instants]  # type: ignore[union-attr]
    assert offsets.tolist() == expected
    local = LocalTimes.of(values)
    for index in range(0, len(instants), 97):
        wall = instants[index].astimezone(paris)
        assert local.hour[index] == wall.hour
        assert local.weekday[index] == wall.weekday()
        assert local.month[index] == wall.month
        assert local.day[index].astype(object) == wall.date()

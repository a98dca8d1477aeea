"""Timestamps on the wire → UTC.

ISO 8601 values keep their offset (``Z``, ``+02:00``…); values without an offset are taken in the
contract's ``timestamp_timezone``.

Local wall-clock times (the Préfecture's ``dd/mm/yyyy HH:MM`` in Europe/Paris) follow one documented
rule at daylight-saving changes, the one of Python's ``zoneinfo`` with ``fold=0`` (PEP 495):

- **ambiguous** times (last Sunday of October, 02:00–02:59 happens twice): the *first* occurrence,
  still in summer time (UTC+2). ``27/10/2024 02:30`` → ``2024-10-27T00:30Z``.
- **non-existent** times (last Sunday of March, 02:00–02:59 is skipped): read with the offset in force
  *before* the change (UTC+1), i.e. as if the clock had not yet been moved. ``31/03/2024 02:30`` →
  ``2024-03-31T01:30Z`` (03:30 summer time).

Such rows are loaded, not quarantined: an export written during the missing hour is a clerical entry
whose intended instant is unambiguous to within the hour, and rejecting it would lose a real event.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd


def parse_iso(text: pd.Series, naive_zone: str = "UTC") -> pd.Series:
    """ISO 8601 texts → ``datetime64[ns, UTC]`` (NaT where unreadable)."""
    if naive_zone == "UTC":
        return pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce")
    has_offset = text.str.contains(r"(?:Z|[+-]\d{2}:?\d{2})$", regex=True, na=False)
    result = pd.to_datetime(text.where(has_offset), utc=True, format="ISO8601", errors="coerce")
    naive = pd.to_datetime(text.where(~has_offset), format="ISO8601", errors="coerce")
    localized = localize(naive, naive_zone)
    return result.where(has_offset, localized)


def localize(naive: pd.Series, zone: str) -> pd.Series:
    """Naive wall-clock times in ``zone`` → UTC, with the ambiguous/non-existent rule above."""
    if naive.dt.tz is not None:
        return naive.dt.tz_convert("UTC")
    first_occurrence = np.ones(len(naive), dtype=bool)
    local = naive.dt.tz_localize(zone, ambiguous=first_occurrence, nonexistent=timedelta(hours=1))
    # ``nonexistent=+1h`` moves 02:30 to 03:30 summer time, the same instant as 02:30 winter time.
    return local.dt.tz_convert("UTC")


def parse_local(text: pd.Series, fmt: str, zone: str) -> pd.Series:
    """Texts in ``fmt`` (e.g. ``%d/%m/%Y %H:%M``) in ``zone`` → ``datetime64[ns, UTC]`` (NaT if unreadable)."""
    naive = pd.to_datetime(text, format=fmt, errors="coerce")
    return localize(naive, zone)

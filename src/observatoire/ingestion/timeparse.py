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
import pyarrow as pa
import pyarrow.compute as pc

_SECONDS_WITH_OFFSET = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:Z|[+-](?:0\d|1[0-4]):[0-5]\d)$"
_SAFE_RANGE = (np.datetime64("1900-01-01T00:00:00", "s"), np.datetime64("2200-01-01T00:00:00", "s"))


def _parse_seconds_with_offset(text: pd.Series) -> pd.Series | None:
    """The common wire shape ``YYYY-MM-DDTHH:MM:SS`` + ``Z`` or ``±HH:MM``, parsed by numpy (C) instead of
    pandas' parser; ``None`` unless every present text has exactly that shape and a real date and time in
    1900-2200, so that the result is always pandas' own (any other text: pandas parses the column)."""
    present = text.notna().to_numpy(dtype=bool)
    values = text.to_numpy(dtype=object)[present]
    if not len(values):
        return None
    strings = pa.array(values, type=pa.string(), from_pandas=True)
    if not pc.all(pc.match_substring_regex(strings, _SECONDS_WITH_OFFSET)).as_py():
        return None
    try:
        local = pc.cast(pc.utf8_slice_codeunits(strings, 0, 19), pa.timestamp("s")).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:
        return None  # a day or an hour that does not exist: pandas says which
    if local.min() < _SAFE_RANGE[0] or local.max() >= _SAFE_RANGE[1]:
        return None
    suffixes = pc.utf8_slice_codeunits(strings, 19, 25).dictionary_encode()
    minutes = np.array(
        [0 if s == "Z" else (1 if s[0] == "+" else -1) * (int(s[1:3]) * 60 + int(s[4:6]))
         for s in suffixes.dictionary.to_pylist()],
        dtype="int64",
    )
    offsets = minutes[suffixes.indices.to_numpy(zero_copy_only=False)].astype("timedelta64[m]")
    result = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[ns]")
    result[present] = (local - offsets).astype("datetime64[ns]")
    return pd.Series(result, index=text.index).dt.tz_localize("UTC")


def parse_iso(text: pd.Series, naive_zone: str = "UTC") -> pd.Series:
    """ISO 8601 texts → ``datetime64[ns, UTC]`` (NaT where unreadable)."""
    fast = _parse_seconds_with_offset(text)
    if fast is not None:
        return fast
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

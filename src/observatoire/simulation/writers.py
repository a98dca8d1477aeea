"""Writing the partners' stores in their exact wire formats (see ``observatoire.contracts``).

- City API records and Opendatasoft records: JSON Lines, UTF-8. City timestamps are ISO 8601 with the
  Europe/Paris offset; Opendatasoft timestamps are ISO 8601 in UTC (``+00:00``) as the portal serves them.
- Daily CSV files, one per day of the period, header only when the day has no record:
  police activity (UTF-8, ``,``, ``heure`` ISO 8601 with offset, one file per *local* day),
  Préfecture exports (cp1252, ``;``, CRLF, decimal comma, ``dd/mm/yyyy HH:MM`` local time, one file per
  local day holding the records created or updated that day), SMTPC files (UTF-8, ``,``, UTC ``…Z``
  timestamps, one file per *UTC* day, incidents filed on the day they start).
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from ..contracts import get_contract
from .calendar import PARIS, LocalTimes
from .reporting import Record

PERSONAL_DATATOURISME_COLUMNS = ("point_de_contact", "telephone", "email")


def iso_local(moment: datetime) -> str:
    return moment.astimezone(PARIS).isoformat(timespec="seconds")


def iso_utc_offset(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def iso_utc_z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def prefecture_time(moment: datetime) -> str:
    return moment.astimezone(PARIS).strftime("%d/%m/%Y %H:%M")


def _json_value(value: Any, timestamp: Any) -> Any:
    if isinstance(value, datetime):
        return timestamp(value)
    return value


def write_jsonl(path: Path, records: Iterable[Record], fields: Sequence[str], timestamp: Any) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for record in records:
            payload = {name: _json_value(record[name], timestamp) for name in fields}
            handle.write(json.dumps(payload, ensure_ascii=False) + "\n")
            count += 1
    return count


def days_of(start: date, end: date) -> list[date]:
    return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]


def _write_daily_text(
    directory: Path,
    days: Sequence[date],
    header: str,
    lines_by_day: dict[date, list[str]],
    encoding: str,
    newline: str,
) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    for day in days:
        body = lines_by_day.get(day, [])
        text = header + newline + "".join(line + newline for line in body)
        (directory / f"{day.isoformat()}.csv").write_bytes(text.encode(encoding))
    return len(days)


def write_prefecture(
    directory: Path, dataset: str, exports: list[tuple[date, Record]], days: Sequence[date]
) -> int:
    """Daily Cortège exports: cp1252, ``;``, decimal comma, local ``dd/mm/yyyy HH:MM``, CRLF."""
    contract = get_contract("prefecture", dataset)
    fields = contract.field_names
    by_day: dict[date, list[Record]] = defaultdict(list)
    for export_day, record in exports:
        by_day[export_day].append(record)
    lines_by_day: dict[date, list[str]] = {}
    for day, records in by_day.items():
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        for record in sorted(records, key=lambda r: str(r[fields[0]])):
            writer.writerow(
                [_prefecture_value(record[name], contract.get_field(name).type) for name in fields]
            )
        lines_by_day[day] = buffer.getvalue().splitlines()
    header = ";".join(fields)
    _write_daily_text(directory / dataset, days, header, lines_by_day, "cp1252", "\r\n")
    return len(exports)


def _prefecture_value(value: Any, field_type: str) -> str:
    if value is None:
        return ""
    if field_type == "timestamp":
        return prefecture_time(value)
    if field_type == "float":
        return f"{float(value):.5f}".rstrip("0").rstrip(".").replace(".", ",")
    return str(value)


def _csv_lines(frame: pd.DataFrame) -> list[str]:
    """Rows of ``frame`` as CSV lines (no header, ``,``, no quoting: our values never hold a comma).

    Arrow's C++ writer is an order of magnitude faster than pandas' for millions of rows; missing floats
    become empty fields.
    """
    if frame.empty:
        return []
    table = pa.Table.from_pandas(frame, preserve_index=False)
    buffer = io.BytesIO()
    pa_csv.write_csv(table, buffer, pa_csv.WriteOptions(include_header=False, quoting_style="none"))
    return buffer.getvalue().decode("utf-8").split("\n")[:-1]


def _split_by_day(lines: list[str], row_days: npt.NDArray[np.datetime64]) -> dict[date, list[str]]:
    """Group consecutive lines by their (sorted) day."""
    by_day: dict[date, list[str]] = {}
    if not lines:
        return by_day
    boundaries = np.flatnonzero(row_days[1:] != row_days[:-1]) + 1
    starts = np.concatenate([[0], boundaries]).tolist()
    ends = np.concatenate([boundaries, [len(lines)]]).tolist()
    for first, last in zip(starts, ends, strict=True):
        by_day[row_days[first].astype(object)] = lines[first:last]
    return by_day


def write_police(
    directory: Path, frame: pd.DataFrame, hours_utc: npt.NDArray[np.datetime64], days: Sequence[date]
) -> int:
    """One UTF-8 CSV per local day; ``heure`` is the local hour start with its offset."""
    local = LocalTimes.of(hours_utc)
    hour_labels = np.char.add(np.datetime_as_string(local.local, unit="s"), local.offset_labels())
    hour_index = frame["hour_index"].to_numpy()
    columns = list(get_contract("ville", "activite_police_municipale").field_names)
    lines_by_day: dict[date, list[str]] = {}
    # Rows are sorted by hour: format them a chunk at a time to bound memory on long periods.
    for first, last in _chunks(len(frame), CHUNK_ROWS):
        chunk = frame.iloc[first:last].assign(heure=hour_labels[hour_index[first:last]])[columns]
        for day, lines in _split_by_day(_csv_lines(chunk), local.day[hour_index[first:last]]).items():
            lines_by_day.setdefault(day, []).extend(lines)
    _write_daily_text(directory, days, ",".join(columns), lines_by_day, "utf-8", "\n")
    return len(frame)


CHUNK_ROWS = 200_000


def _chunks(total: int, size: int) -> list[tuple[int, int]]:
    return [(first, min(first + size, total)) for first in range(0, total, size)]


def write_tunnel_counts(directory: Path, counts: pd.DataFrame, days: Sequence[date]) -> int:
    """One CSV per UTC day (480 rows: 240 six-minute periods × 2 directions)."""
    columns = list(get_contract("smtpc", "comptages").field_names)
    header = ",".join(columns)
    directory.mkdir(parents=True, exist_ok=True)
    rows_per_day = len(counts) // max(1, len(days))
    days_per_chunk = max(1, CHUNK_ROWS // max(1, rows_per_day))
    for first_day in range(0, len(days), days_per_chunk):
        chunk_days = days[first_day : first_day + days_per_chunk]
        chunk = counts.iloc[first_day * rows_per_day : (first_day + len(chunk_days)) * rows_per_day]
        moments = chunk["horodatage"].to_numpy().astype("datetime64[s]")
        stamps = np.char.add(np.datetime_as_string(moments, unit="s"), "Z")
        lines_by_day = _split_by_day(
            _csv_lines(chunk.assign(horodatage=stamps)[columns]), moments.astype("datetime64[D]")
        )
        _write_daily_text(directory, chunk_days, header, lines_by_day, "utf-8", "\n")
    return len(counts)


def write_tunnel_incidents(directory: Path, records: list[Record], days: Sequence[date]) -> int:
    columns = list(get_contract("smtpc", "evenements_tunnel").field_names)
    lines_by_day: dict[date, list[str]] = defaultdict(list)
    for record in records:
        day = record["debut"].astimezone(UTC).date()
        values = [
            iso_utc_z(record[c]) if isinstance(record[c], datetime) else str(record[c]) for c in columns
        ]
        lines_by_day[day].append(",".join(values))
    _write_daily_text(directory, days, ",".join(columns), lines_by_day, "utf-8", "\n")
    return len(records)


def city_fields(dataset: str) -> tuple[str, ...]:
    return get_contract("ville", dataset).field_names


def metropole_fields(dataset: str) -> tuple[str, ...]:
    fields = get_contract("metropole", dataset).field_names
    if dataset == "datatourisme_poi":
        return fields + PERSONAL_DATATOURISME_COLUMNS
    return fields

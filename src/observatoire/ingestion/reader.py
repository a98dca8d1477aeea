"""Read a delivery's files into a table of delivered values, checking its *structure* against the contract.

Structure problems (unreadable encoding, not CSV/JSON, missing contract columns, duplicated column
names) reject the whole delivery (:class:`StructureError`). Rows with the wrong number of fields are
kept aside as *malformed* (quarantined row by row later). Values are not interpreted here: CSV values
stay text, JSON values stay Python values; :mod:`.validation` types them.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..contracts import Contract
from ..errors import BadInput
from .delivery import PayloadKind
from .http import IncompleteResponse

# Typical sequences left when UTF-8 text is decoded as Windows-1252 ("Ã©", "Ã¨", "â€™"…).
_MOJIBAKE = re.compile("[ÃÂ][\u0080-\u00bf\u2018-\u203a\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u02c6\u02dc]|â€")
_ENCODING_NAMES = {"cp1252": "Windows-1252", "utf-8": "UTF-8", "utf-8-sig": "UTF-8"}


class StructureError(BadInput):
    """The delivery as a whole does not match the contract; nothing of it can be loaded."""

    def __init__(self, message: str, kind: str = "structure", details: dict[str, Any] | None = None):
        super().__init__(message)
        self.kind = kind
        self.details = details or {}


@dataclass
class MalformedRow:
    label: str
    reason: str
    values: list[str]


@dataclass
class DeliveryTable:
    """The delivered rows as read: every delivered column, values untyped.

    CSV deliveries keep their rows as lists and build the frame only when asked: many small daily files
    are then combined into one frame (:func:`combine_tables`) instead of one frame each.
    """

    _frame: pd.DataFrame | None
    labels: list[str]
    """How a person finds each row in the delivery: ``line 12`` (CSV) or ``record 12`` (JSON)."""
    columns: list[str]
    extra_columns: list[str] = field(default_factory=list)
    malformed: list[MalformedRow] = field(default_factory=list)
    lines: list[list[str]] | None = None

    @property
    def frame(self) -> pd.DataFrame:
        if self._frame is None:
            self._frame = _frame_of(self.columns, self.lines or [])
        return self._frame

    @property
    def length(self) -> int:
        """Readable rows."""
        return len(self.lines) if self._frame is None and self.lines is not None else len(self.frame)

    @property
    def rows(self) -> int:
        """Every row of the delivery, readable or not."""
        return self.length + len(self.malformed)


def _frame_of(header: list[str], rows: list[list[str]]) -> pd.DataFrame:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in header]
    return pd.DataFrame(
        {name: np.array(values, dtype=object) for name, values in zip(header, columns, strict=True)},
        columns=header,
    )


def combine_frames(tables: list[DeliveryTable], columns: list[str] | None = None) -> pd.DataFrame:
    """The readable rows of several deliveries in one frame (``columns``: restrict/reorder; missing → null)."""
    if tables and all(t._frame is None and t.lines is not None and t.columns == tables[0].columns for t in tables):
        frame = _frame_of(tables[0].columns, [row for t in tables for row in (t.lines or [])])
        return frame if columns is None else frame.reindex(columns=columns)
    frames = [t.frame if columns is None else t.frame.reindex(columns=columns) for t in tables]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].reset_index(drop=True)


def encoding_name(encoding: str) -> str:
    return _ENCODING_NAMES.get(encoding.lower(), encoding)


def decode(data: bytes, encoding: str, file_name: str) -> str:
    """The text of a file in the contract's encoding, or a :class:`StructureError` saying where it fails."""
    expected = encoding_name(encoding)
    if encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
        encoding = "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        hint = ""
        if expected == "UTF-8":
            try:
                data.decode("cp1252")
                hint = " It looks like Windows-1252 (ANSI): please export it as UTF-8."
            except UnicodeDecodeError:
                pass
        raise StructureError(
            f"{file_name}: line {line} cannot be read as {expected} (byte 0x{data[error.start]:02x} at "
            f"position {error.start}); the file must be encoded in {expected}.{hint}",
            kind="encoding",
        ) from error
    if expected == "Windows-1252":
        match = _MOJIBAKE.search(text)
        if match is not None:
            line = text[: match.start()].count("\n") + 1
            raise StructureError(
                f"{file_name}: line {line} contains {match.group(0)!r}, the mark of a UTF-8 file read as "
                "Windows-1252; the file must be exported in Windows-1252 (ANSI) as agreed",
                kind="encoding",
            )
    return text


def _check_columns(contract: Contract, columns: list[str], file_name: str, delimiter: str | None) -> list[str]:
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if duplicated:
        raise StructureError(f"{file_name}: column(s) {', '.join(duplicated)} appear more than once in the header")
    missing = [name for name in contract.field_names if name not in columns]
    if missing:
        message = (
            f"{file_name}: the columns {', '.join(missing)} required by the contract "
            f"{contract.partner}/{contract.dataset} v{contract.version} are missing"
        )
        if delimiter is not None and len(columns) == 1:
            others = [d for d in (";", ",", "\t", "|") if d != delimiter and d in columns[0]]
            if others:
                message += (
                    f"; the header looks separated by {others[0]!r} while the contract expects {delimiter!r}"
                )
        raise StructureError(message, kind="missing_columns", details={"missing_columns": missing})
    return [c for c in columns if c not in contract.field_names]


def read_csv(contract: Contract, data: bytes, file_name: str) -> DeliveryTable:
    wire = contract.wire
    text = decode(data, wire.encoding, file_name)
    if not text.strip():
        raise StructureError(f"{file_name}: the file is empty (no header line)", kind="empty")
    if "\x00" in text:
        raise StructureError(f"{file_name}: not a CSV text file (it contains NUL bytes)", kind="not_csv")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=wire.delimiter, strict=False)
    try:
        header = [c.strip() for c in next(reader)]
    except csv.Error as error:
        raise StructureError(f"{file_name}: the header line is not valid CSV ({error})", kind="not_csv") from error
    extra = _check_columns(contract, header, file_name, wire.delimiter)
    width = len(header)
    rows: list[list[str]] = []
    labels: list[str] = []
    malformed: list[MalformedRow] = []
    previous_end = reader.line_num
    try:
        for row in reader:
            start = previous_end + 1
            previous_end = reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank line
            if len(row) != width:
                malformed.append(
                    MalformedRow(
                        f"line {start}",
                        f"line {start} has {len(row)} fields instead of {width} (separator {wire.delimiter!r})",
                        row,
                    )
                )
                continue
            rows.append(row)
            labels.append(f"line {start}")
    except csv.Error as error:
        raise StructureError(
            f"{file_name}: line {reader.line_num} is not valid CSV ({error})", kind="not_csv"
        ) from error
    return DeliveryTable(None, labels, header, extra, malformed, lines=rows)


def check_csv_complete(data: bytes, contract: Contract) -> None:
    """Raise :class:`IncompleteResponse` when a CSV body stops mid-row (a cut transfer)."""
    if not data:
        raise IncompleteResponse("empty body")
    if not data.endswith(b"\n"):
        raise IncompleteResponse("the CSV body does not end with a line break")
    try:
        text = data.decode(contract.wire.encoding)
    except UnicodeDecodeError as error:
        raise IncompleteResponse(f"the CSV body cannot be decoded ({error})") from error
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise IncompleteResponse("no header line")
    header = next(csv.reader([lines[0]], delimiter=contract.wire.delimiter))
    last = next(csv.reader([lines[-1]], delimiter=contract.wire.delimiter))
    if len(last) != len(header):
        raise IncompleteResponse(f"the last CSV line has {len(last)} fields instead of {len(header)}")


def _records_of(document: Any, records_key: str | None, file_name: str) -> list[Any]:
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        keys = [records_key] if records_key else ["data", "results", "records"]
        for key in keys:
            if key and isinstance(document.get(key), list):
                return list(document[key])
        raise StructureError(
            f"{file_name}: a JSON object without a list of records under {' or '.join(repr(k) for k in keys)}",
            kind="not_json_records",
        )
    raise StructureError(f"{file_name}: JSON that is neither a list of records nor a page of records", kind="not_json_records")


def _load_json(data: bytes, encoding: str, file_name: str, allow_lines: bool) -> Any:
    text = decode(data, encoding, file_name)
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        if allow_lines:
            try:
                return [json.loads(line) for line in text.splitlines() if line.strip()]
            except json.JSONDecodeError:
                pass
        raise StructureError(
            f"{file_name}: not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})",
            kind="not_json",
        ) from error


def read_json(
    contract: Contract, files: Iterable[tuple[str, bytes]], payload: PayloadKind, records_key: str | None
) -> DeliveryTable:
    records: list[Any] = []
    for name, data in files:
        document = _load_json(data, contract.wire.encoding, name, allow_lines=payload == "json_auto")
        records.extend(_records_of(document, records_key, name))
    columns: dict[str, None] = {}
    good: list[dict[str, Any]] = []
    labels: list[str] = []
    malformed: list[MalformedRow] = []
    for index, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            malformed.append(MalformedRow(f"record {index}", f"record {index} is not a JSON object", [json.dumps(record)]))
            continue
        for key in record:
            columns.setdefault(key, None)
        good.append(record)
        labels.append(f"record {index}")
    names = list(columns)
    extra: list[str] = []
    if good:
        extra = _check_columns(contract, names, "the delivery", None)
    else:
        names = list(contract.field_names)
    frame = pd.DataFrame({name: [r.get(name) for r in good] for name in names}, dtype=object, columns=names)
    return DeliveryTable(frame, labels, names, extra, malformed)


def read_delivery(
    contract: Contract, folder: Path, file_names: list[str], payload: PayloadKind, records_key: str | None
) -> DeliveryTable:
    """Read a staged or landed delivery."""
    files = [(name, (folder / name).read_bytes()) for name in file_names]
    if payload == "csv":
        if contract.wire.format != "csv":
            raise StructureError(f"{contract.table} is delivered as {contract.wire.format}, not CSV", kind="format")
        tables = [read_csv(contract, data, name) for name, data in files]
        if len(tables) == 1:
            return tables[0]
        return DeliveryTable(
            combine_frames(tables),
            [f"{name} {label}" for (name, _), t in zip(files, tables, strict=True) for label in t.labels],
            tables[0].columns,
            sorted({c for t in tables for c in t.extra_columns}),
            [m for t in tables for m in t.malformed],
        )
    return read_json(contract, files, payload, records_key)

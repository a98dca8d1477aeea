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
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

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


Segment = tuple[str, np.ndarray]
"""``(prefix, numbers)``: rows labelled ``f"{prefix}{number}"`` (``line 12``, ``f.csv line 12``, ``record 3``)."""


class DeliveryTable:
    """The delivered rows as read: every delivered column, values untyped.

    CSV deliveries keep their values column by column (``data``: one list of texts per header column) and
    build the frame only when asked, so that many small daily files are combined into one frame
    (:func:`combine_tables`) instead of one frame each. Row labels (how a person finds a row in the
    delivery: ``line 12`` for CSV, ``record 12`` for JSON) are kept as numbers and spelled out on demand.
    """

    def __init__(
        self,
        columns: list[str],
        *,
        data: list[list[Any]] | None = None,
        frame: pd.DataFrame | None = None,
        segments: list[Segment] | None = None,
        extra_columns: list[str] | None = None,
        malformed: list[MalformedRow] | None = None,
        all_text: bool = False,
        length: int | None = None,
    ) -> None:
        if data is not None and frame is not None:
            raise ValueError("a delivery table holds either column data or a frame")
        if data is None and frame is None and length is None:
            raise ValueError("a delivery table without its values needs its length")
        self.columns = columns
        self._length = length
        self.data = data
        self._frame = frame
        self.segments: list[Segment] = segments if segments is not None else []
        self.extra_columns = extra_columns if extra_columns is not None else []
        self.malformed = malformed if malformed is not None else []
        self.all_text = all_text
        """Every value is a ``str`` (CSV): validation skips its per-value type checks."""
        self._labels: list[str] | None = None
        self._ends: np.ndarray | None = None

    @property
    def frame(self) -> pd.DataFrame:
        if self._frame is None:
            if self.data is None:
                raise ValueError("this delivery's rows were read with others: see read_csv_group")
            self._frame = _frame_of(self.columns, self.data)
        return self._frame

    def column(self, name: str) -> np.ndarray:
        """One delivered column's values (without building the whole frame)."""
        if self._frame is None and self.data is not None:
            values = self.data[self.columns.index(name)]
            array = np.empty(len(values), dtype=object)
            array[:] = values
            return array
        return self.frame[name].to_numpy()

    @property
    def length(self) -> int:
        """Readable rows."""
        if self.data is not None:
            return len(self.data[0]) if self.data else 0
        if self._frame is not None:
            return len(self._frame)
        assert self._length is not None
        return self._length

    @property
    def rows(self) -> int:
        """Every row of the delivery, readable or not."""
        return self.length + len(self.malformed)

    @property
    def labels(self) -> list[str]:
        """How a person finds each readable row in the delivery."""
        if self._labels is None:
            self._labels = [f"{prefix}{number}" for prefix, numbers in self.segments for number in numbers.tolist()]
        return self._labels

    def label(self, position: int) -> str:
        """The label of one readable row (without spelling out every label)."""
        if self._labels is not None:
            return self._labels[position]
        if self._ends is None:
            self._ends = np.cumsum([len(numbers) for _, numbers in self.segments], dtype=np.int64)
        index = int(np.searchsorted(self._ends, position, side="right"))
        prefix, numbers = self.segments[index]
        start = int(self._ends[index - 1]) if index else 0
        return f"{prefix}{int(numbers[position - start])}"


def _frame_of(header: list[str], data: list[list[Any]]) -> pd.DataFrame:
    arrays = {}
    for name, values in zip(header, data, strict=True):
        array = np.empty(len(values), dtype=object)
        array[:] = values
        arrays[name] = array
    return pd.DataFrame(arrays, columns=header)


def combine_tables(tables: list[DeliveryTable], columns: list[str] | None = None) -> DeliveryTable:
    """The readable rows of several deliveries in one table (``columns``: restrict/reorder; missing → null).

    Column data are concatenated when every table has the same header (daily CSV files); otherwise the
    frames are. Malformed rows stay with their own deliveries.
    """
    segments = [segment for t in tables for segment in t.segments]
    all_text = bool(tables) and all(t.all_text for t in tables)
    if tables and all(t.data is not None and t.columns == tables[0].columns for t in tables):
        header = tables[0].columns
        data: list[list[Any]] = []
        for index in range(len(header)):
            values: list[Any] = []
            for t in tables:
                assert t.data is not None
                values.extend(t.data[index])
            data.append(values)
        if columns is not None and columns != header:
            length = len(data[0]) if data else 0
            by_name = dict(zip(header, data, strict=True))
            data = [by_name[name] if name in by_name else [None] * length for name in columns]
            all_text = all_text and all(name in by_name for name in columns)
            header = list(columns)
        return DeliveryTable(list(header), data=data, segments=segments, all_text=all_text)
    return DeliveryTable(
        list(columns) if columns is not None else list(tables[0].columns) if tables else [],
        frame=combine_frames(tables, columns),
        segments=segments,
        all_text=all_text and columns is None,
    )


def combine_frames(tables: list[DeliveryTable], columns: list[str] | None = None) -> pd.DataFrame:
    """The readable rows of several deliveries in one frame (``columns``: restrict/reorder; missing → null)."""
    if tables and all(t.data is not None and t.columns == tables[0].columns for t in tables):
        return combine_tables(tables, columns).frame
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
    if len(set(columns)) != len(columns):
        duplicated = sorted({c for c in columns if columns.count(c) > 1})
        raise StructureError(f"{file_name}: column(s) {', '.join(duplicated)} appear more than once in the header")
    fields = contract.field_names
    missing = [name for name in fields if name not in columns]
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
    return [c for c in columns if c not in fields]


QUOTE = '"'
"""The quote character of the ``csv`` module's default dialect, the one deliveries are read with."""


def read_csv(contract: Contract, data: bytes, file_name: str) -> DeliveryTable:
    wire = contract.wire
    text = decode(data, wire.encoding, file_name)
    if not text.strip():
        raise StructureError(f"{file_name}: the file is empty (no header line)", kind="empty")
    if "\x00" in text:
        raise StructureError(f"{file_name}: not a CSV text file (it contains NUL bytes)", kind="not_csv")
    if QUOTE not in text:
        lines = _physical_lines(text)
        if max(map(len, lines)) < csv.field_size_limit():
            return _read_plain_csv(contract, lines, file_name)
    return _read_quoted_csv(contract, text, file_name)


def _physical_lines(text: str) -> list[str]:
    """The lines as the ``csv`` module sees them (ends: ``\\n``, ``\\r\\n`` or ``\\r``), without the last
    line break."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def _read_plain_csv(contract: Contract, lines: list[str], file_name: str) -> DeliveryTable:
    """A CSV text without any quote character: each physical line is one row, its fields are exactly the
    pieces between delimiters — the same rows, lines and messages as :func:`_read_quoted_csv`, column by
    column and without a Python step per row."""
    delimiter = contract.wire.delimiter
    header = [c.strip() for c in lines[0].split(delimiter)] if lines[0] else []
    extra = _check_columns(contract, header, file_name, delimiter)
    width = len(header)
    body = lines[1:]
    count = len(body)
    separators = np.fromiter(map(str.count, body, repeat(delimiter, count)), dtype=np.int64, count=count)
    blank = np.zeros(count, dtype=bool)
    for position in np.flatnonzero(separators == 0).tolist():
        line = body[position]
        blank[position] = not line.strip()
    good = (separators == width - 1) & ~blank
    malformed: list[MalformedRow] = []
    bad = ~good & ~blank
    if bad.any():
        for position in np.flatnonzero(bad).tolist():
            number = position + 2
            fields = body[position].split(delimiter)
            malformed.append(
                MalformedRow(
                    f"line {number}",
                    f"line {number} has {len(fields)} fields instead of {width} (separator {delimiter!r})",
                    fields,
                )
            )
    if good.all():
        kept = body
    else:
        kept = [body[position] for position in np.flatnonzero(good).tolist()]
    if kept:
        flat = delimiter.join(kept).split(delimiter)
        data = [flat[index::width] for index in range(width)]
    else:
        data = [[] for _ in range(width)]
    numbers = np.flatnonzero(good) + 2
    return DeliveryTable(header, data=data, segments=[("line ", numbers)], extra_columns=extra,
                         malformed=malformed, all_text=True)


def _read_quoted_csv(contract: Contract, text: str, file_name: str) -> DeliveryTable:
    """Any CSV text, row by row with the ``csv`` module (quoted fields may hold delimiters and line breaks)."""
    wire = contract.wire
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=wire.delimiter, strict=False)
    try:
        header = [c.strip() for c in next(reader)]
    except csv.Error as error:
        raise StructureError(f"{file_name}: the header line is not valid CSV ({error})", kind="not_csv") from error
    extra = _check_columns(contract, header, file_name, wire.delimiter)
    width = len(header)
    rows: list[list[str]] = []
    numbers: list[int] = []
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
            numbers.append(start)
    except csv.Error as error:
        raise StructureError(
            f"{file_name}: line {reader.line_num} is not valid CSV ({error})", kind="not_csv"
        ) from error
    data = [list(column) for column in zip(*rows, strict=True)] if rows else [[] for _ in range(width)]
    return DeliveryTable(header, data=data, segments=[("line ", np.array(numbers, dtype=np.int64))],
                         extra_columns=extra, malformed=malformed, all_text=True)


def read_csv_group(
    contract: Contract, files: list[tuple[str, bytes]]
) -> tuple[list[DeliveryTable | StructureError], DeliveryTable | None]:
    """Single-file CSV deliveries read together: for each one its table, holding its shape only (length,
    header, line numbers, malformed rows), or the :class:`StructureError` that rejects it whole; and the
    readable rows of all of them in one table (``None`` if there are none) whose columns are categorical:
    each distinct text is one Python string, rows hold codes.

    Rows, values, labels and messages are those of :func:`read_csv`. Files without any quote or carriage
    return that share the first such file's header are parsed by Arrow in one pass (quoting off, every
    value kept as the text delivered), which also checks that each of their lines has the header's number
    of fields; when one does not, each file is checked on its own and the irregular ones are read by
    :func:`read_csv` itself, like files with quotes.
    """
    wire = contract.wire
    delimiter = wire.delimiter
    limit = csv.field_size_limit()
    results: list[DeliveryTable | StructureError] = []
    texts: dict[int, str] = {}
    grid: list[tuple[int, str]] = []
    """Candidates for Arrow: (index, body)."""
    grid_header: list[str] | None = None
    for index, (name, data) in enumerate(files):
        try:
            text = decode(data, wire.encoding, name)
            if not text.strip():
                raise StructureError(f"{name}: the file is empty (no header line)", kind="empty")
            if "\x00" in text:
                raise StructureError(f"{name}: not a CSV text file (it contains NUL bytes)", kind="not_csv")
            if "\r" in text and text.count("\r") == text.count("\r\n"):
                text = text.replace("\r\n", "\n")  # Windows line breaks: the same lines
            end = text.find("\n")
            if QUOTE not in text and "\r" not in text and end > 0 and len(text) < limit:
                header = [c.strip() for c in text[:end].split(delimiter)]
                extra = _check_columns(contract, header, name, delimiter)
                body = text[end + 1 :]
                # (Arrow would read an empty line as a row of empty values: such files go line by line.)
                if (
                    len(header) > 1
                    and (grid_header is None or header == grid_header)
                    and not body.startswith("\n")
                    and "\n\n" not in body
                ):
                    grid_header = header
                    if body and not body.endswith("\n"):
                        body += "\n"
                    rows = body.count("\n")
                    results.append(DeliveryTable(header, length=rows, segments=[("line ", np.arange(2, rows + 2))],
                                                 extra_columns=extra, all_text=True))
                    texts[index] = text
                    if rows:
                        grid.append((index, body))
                    continue
            results.append(read_csv(contract, data, name))
        except StructureError as error:
            results.append(error)
    arrow: pa.Table | None = None
    if grid:
        assert grid_header is not None
        try:
            arrow = _parse_grid(grid_header, [body for _, body in grid], delimiter)
        except pa.ArrowInvalid:
            # A line with another number of fields (or blank): find the files, read them line by line.
            regular = []
            width = len(grid_header)
            for index, body in grid:
                lines = body.split("\n")[:-1]
                if all(count == width - 1 for count in map(str.count, lines, repeat(delimiter, len(lines)))):
                    regular.append((index, body))
                else:
                    results[index] = _read_plain_csv(contract, _physical_lines(texts[index]), files[index][0])
            grid = regular
            arrow = _parse_grid(grid_header, [body for _, body in grid], delimiter) if grid else None
    in_grid = {index for index, _ in grid}
    parts: list[tuple[DeliveryTable, list[list[Any]] | None]] = []
    for index, result in enumerate(results):
        if isinstance(result, DeliveryTable) and result.length:
            parts.append((result, None if index in in_grid else result.data))
    if not parts:
        readable = [r for r in results if isinstance(r, DeliveryTable)]
        if not readable:
            return results, None
        # Only header lines (days without any row): no rows, the first one's columns.
        header = list(readable[0].columns)
        return results, DeliveryTable(header, data=[[] for _ in header], segments=[], all_text=True)
    expected = sum(table.length for table, data in parts if data is None)
    if (arrow.num_rows if arrow is not None else 0) != expected:  # pragma: no cover - a parser disagreement
        raise AssertionError(f"Arrow read {arrow.num_rows if arrow is not None else 0} rows, {expected} expected")
    arrow_columns = [column.combine_chunks() for column in arrow.columns] if arrow is not None else []
    columns: list[str] = []
    for table, _ in parts:
        columns.extend(c for c in table.columns if c not in columns)
    chunks: dict[str, list[pa.Array]] = {c: [] for c in columns}
    listed: dict[str, list[Any]] = {c: [] for c in columns}
    """Values of the files read line by line since the last Arrow slice (converted together)."""

    def flush_listed() -> None:
        if listed[columns[0]]:
            for column in columns:
                chunks[column].append(pa.array(listed[column], type=pa.string()))
                listed[column] = []

    offset = 0
    for table, values in parts:
        length = table.length
        if values is None:
            flush_listed()
            for column in columns:
                if column in table.columns:
                    chunks[column].append(arrow_columns[table.columns.index(column)].slice(offset, length))
                else:
                    chunks[column].append(pa.nulls(length, pa.string()))
            offset += length
        else:
            for column in columns:
                listed[column].extend(values[table.columns.index(column)] if column in table.columns else [None] * length)
    flush_listed()
    frame = pd.DataFrame({column: _categorical(chunks[column]) for column in columns}, columns=columns)
    segments = [segment for table, _ in parts for segment in table.segments]
    combined = DeliveryTable(columns, frame=frame, segments=segments,
                             all_text=all(len(table.columns) == len(columns) for table, _ in parts))
    return results, combined


def _parse_grid(header: list[str] | None, bodies: list[str], delimiter: str) -> pa.Table:
    """The concatenated bodies of regular CSV files (same header), every value a text, nothing unquoted or
    converted: exactly the pieces between delimiters."""
    assert header is not None
    names = [f"c{i}" for i in range(len(header))]
    data = "".join(bodies).encode("utf-8")
    return pa_csv.read_csv(
        io.BytesIO(data),
        read_options=pa_csv.ReadOptions(column_names=names, block_size=1 << 24),
        parse_options=pa_csv.ParseOptions(
            delimiter=delimiter,
            quote_char=False, escape_char=False, newlines_in_values=False, ignore_empty_lines=False,
        ),
        convert_options=pa_csv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False,
            quoted_strings_can_be_null=False, check_utf8=True,
        ),
    )


def _categorical(chunks: list[pa.Array]) -> pd.Categorical:
    """One column as codes into its distinct texts (in order of first appearance, as ``pd.factorize``)."""
    encoded = (chunks[0] if len(chunks) == 1 else pa.concat_arrays(chunks)).dictionary_encode()
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    categories = pd.Index(encoded.dictionary.to_numpy(zero_copy_only=False), dtype=object)
    return pd.Categorical.from_codes(codes, categories=categories)


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
    numbers: list[int] = []
    malformed: list[MalformedRow] = []
    for index, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            malformed.append(MalformedRow(f"record {index}", f"record {index} is not a JSON object", [json.dumps(record)]))
            continue
        for key in record:
            columns.setdefault(key, None)
        good.append(record)
        numbers.append(index)
    names = list(columns)
    extra: list[str] = []
    if good:
        extra = _check_columns(contract, names, "the delivery", None)
    else:
        names = list(contract.field_names)
    frame = pd.DataFrame({name: [r.get(name) for r in good] for name in names}, dtype=object, columns=names)
    return DeliveryTable(names, frame=frame, segments=[("record ", np.array(numbers, dtype=np.int64))],
                         extra_columns=extra, malformed=malformed)


def read_delivery_files(
    contract: Contract, files: list[tuple[str, bytes]], payload: PayloadKind, records_key: str | None
) -> DeliveryTable:
    """Read a delivery's files (``(name, bytes)``, as fetched or as landed)."""
    if payload == "csv":
        if contract.wire.format != "csv":
            raise StructureError(f"{contract.table} is delivered as {contract.wire.format}, not CSV", kind="format")
        tables = [read_csv(contract, data, name) for name, data in files]
        if len(tables) == 1:
            return tables[0]
        combined = combine_tables(tables)
        combined.segments = [
            (f"{name} {prefix}", numbers)
            for (name, _), t in zip(files, tables, strict=True)
            for prefix, numbers in t.segments
        ]
        combined.extra_columns = sorted({c for t in tables for c in t.extra_columns})
        combined.malformed = [m for t in tables for m in t.malformed]
        return combined
    return read_json(contract, files, payload, records_key)


def read_delivery(
    contract: Contract, folder: Path, file_names: list[str], payload: PayloadKind, records_key: str | None
) -> DeliveryTable:
    """Read a staged or landed delivery."""
    files = [(name, (folder / name).read_bytes()) for name in file_names]
    return read_delivery_files(contract, files, payload, records_key)

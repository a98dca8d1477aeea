"""An independent reader of the partners' stores, written from the contracts only (not from the writers).

Every value is parsed with the contract's wire spec (encoding, delimiter, decimal mark, timestamp
format and zone) and checked against the field's type, allowed values, range, pattern, length and
nullability. Any breach raises ``ContractBreach`` with the file and the offending value.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from observatoire.contracts import Contract, Field

PERSONAL_DATATOURISME_COLUMNS = ("point_de_contact", "telephone", "email")


class ContractBreach(AssertionError):
    pass


def parse_timestamp(text: str, contract: Contract, where: str) -> datetime:
    wire = contract.wire
    if wire.timestamp_format is not None:
        try:
            naive = datetime.strptime(text, wire.timestamp_format)
        except ValueError as error:
            raise ContractBreach(f"{where}: {text!r} is not {wire.timestamp_format}") from error
        return naive.replace(tzinfo=ZoneInfo(wire.timestamp_timezone))
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})", text):
        raise ContractBreach(f"{where}: {text!r} is not ISO 8601 with an offset")
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def parse_value(raw: Any, field: Field, contract: Contract, where: str) -> Any:
    where = f"{where} field {field.name}"
    if raw is None or raw == "":
        if not field.nullable:
            raise ContractBreach(f"{where}: missing value for a required field")
        return None
    value: Any
    if field.type == "timestamp":
        if not isinstance(raw, str):
            raise ContractBreach(f"{where}: timestamp must be a string, got {raw!r}")
        value = parse_timestamp(raw, contract, where)
    elif field.type == "integer":
        if isinstance(raw, bool) or not isinstance(raw, int | str):
            raise ContractBreach(f"{where}: not an integer: {raw!r}")
        if isinstance(raw, str) and not re.fullmatch(r"-?\d+", raw):
            raise ContractBreach(f"{where}: not an integer: {raw!r}")
        value = int(raw)
    elif field.type == "float":
        if isinstance(raw, str):
            if contract.wire.format == "csv" and contract.wire.decimal == ",":
                if "." in raw:
                    raise ContractBreach(f"{where}: decimal point in a decimal-comma file: {raw!r}")
                raw = raw.replace(",", ".")
            try:
                value = float(raw)
            except ValueError as error:
                raise ContractBreach(f"{where}: not a number: {raw!r}") from error
        elif isinstance(raw, int | float) and not isinstance(raw, bool):
            value = float(raw)
        else:
            raise ContractBreach(f"{where}: not a number: {raw!r}")
    elif field.type == "string":
        if not isinstance(raw, str):
            raise ContractBreach(f"{where}: not a string: {raw!r}")
        value = raw
    else:  # boolean
        value = raw
    if field.allowed is not None and value not in field.allowed:
        raise ContractBreach(f"{where}: {value!r} not in {field.allowed}")
    if field.minimum is not None and value < field.minimum:
        raise ContractBreach(f"{where}: {value!r} below {field.minimum}")
    if field.maximum is not None and value > field.maximum:
        raise ContractBreach(f"{where}: {value!r} above {field.maximum}")
    if field.pattern is not None and not re.fullmatch(field.pattern, value):
        raise ContractBreach(f"{where}: {value!r} does not match {field.pattern}")
    if field.max_length is not None and len(value) > field.max_length:
        raise ContractBreach(f"{where}: {value!r} longer than {field.max_length}")
    return value


def _check_interval(record: dict[str, Any], contract: Contract, where: str) -> None:
    if contract.start_field and contract.end_field:
        start, end = record.get(contract.start_field), record.get(contract.end_field)
        if start is not None and end is not None and end < start:
            raise ContractBreach(f"{where}: {contract.end_field} {end} before {contract.start_field} {start}")


def read_jsonl(path: Path, contract: Contract, extra_columns: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    records = []
    expected = set(contract.field_names) | set(extra_columns)
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        raw = json.loads(line)
        where = f"{path.name}:{number}"
        if set(raw) != expected:
            raise ContractBreach(f"{where}: columns {sorted(set(raw) ^ expected)} differ from the contract")
        record = {f.name: parse_value(raw[f.name], f, contract, where) for f in contract.fields}
        for column in extra_columns:
            record[column] = raw[column]
        _check_interval(record, contract, where)
        records.append(record)
    return records


def read_csv_file(path: Path, contract: Contract) -> list[dict[str, Any]]:
    wire = contract.wire
    text = path.read_bytes().decode(wire.encoding)  # strict: a wrong encoding fails here
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=wire.delimiter))
    if not rows or rows[0] != list(contract.field_names):
        raise ContractBreach(f"{path}: header {rows[:1]} is not {list(contract.field_names)}")
    records = []
    for number, row in enumerate(rows[1:], start=2):
        where = f"{path.parent.name}/{path.name}:{number}"
        if len(row) != len(contract.fields):
            raise ContractBreach(f"{where}: {len(row)} values for {len(contract.fields)} fields")
        record = {
            f.name: parse_value(value, f, contract, where)
            for f, value in zip(contract.fields, row, strict=True)
        }
        _check_interval(record, contract, where)
        records.append(record)
    return records


def read_daily_csv(directory: Path, contract: Contract) -> dict[str, list[dict[str, Any]]]:
    """{file day: records} for a directory of ``YYYY-MM-DD.csv`` files."""
    files = sorted(directory.glob("*.csv"))
    for path in files:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}\.csv", path.name):
            raise ContractBreach(f"{path}: not a daily file name")
    return {path.stem: read_csv_file(path, contract) for path in files}

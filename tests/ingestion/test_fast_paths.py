"""The fast paths read and validate exactly as the row-by-row ones: same rows, values, labels and messages."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

from observatoire.contracts import get_contract
from observatoire.ingestion import reader, validation
from observatoire.ingestion.reader import DeliveryTable, combine_tables, read_csv
from observatoire.ingestion.validation import validate

MANIF = get_contract("prefecture", "manifestations")
COUNTS = get_contract("smtpc", "comptages")
POLICE = get_contract("ville", "activite_police_municipale")

PIECES = ["", " ", "  x ", "a", "12", "1,5", "1.5", "é", "\t", "\x0b", "\x0c", "\x85", "\u2028", "\x1c", "x y"]
BREAKS = ["\n", "\r\n", "\r", "\n\n", "\r\r\n", "\n\r", "\n \n", "\n\t\n"]


def messy_text(rng: random.Random, header: list[str], delimiter: str) -> str:
    """A quote-free CSV text with blank and whitespace lines, rows of every width and every line break."""
    lines = [delimiter.join(header)]
    for _ in range(rng.randint(0, 40)):
        width = len(header) + rng.choice([0, 0, 0, 0, -1, 1, 1 - len(header)])
        lines.append(delimiter.join(rng.choice(PIECES) for _ in range(max(width, 1))))
    text = ""
    for line in lines:
        text += line + rng.choice(BREAKS)
    if rng.random() < 0.3:
        text = text.rstrip("\r\n")
    return text


def as_rows(table: DeliveryTable) -> tuple[list[list[str]], list[str], list[tuple[str, str, list[str]]], list[str]]:
    rows = [list(row) for row in zip(*table.data, strict=True)] if table.data else []
    malformed = [(m.label, m.reason, list(m.values)) for m in table.malformed]
    return rows, table.labels, malformed, table.columns


@pytest.mark.parametrize("contract", [MANIF, COUNTS])
def test_plain_csv_reading_equals_the_csv_module(contract: object) -> None:
    rng = random.Random(7)
    wire = contract.wire  # type: ignore[attr-defined]
    header = list(contract.field_names)  # type: ignore[attr-defined]
    for case in range(400):
        text = messy_text(rng, header, wire.delimiter)
        assert '"' not in text
        fast = reader._read_plain_csv(contract, reader._physical_lines(text), f"f{case}.csv")  # type: ignore[arg-type]
        slow = reader._read_quoted_csv(contract, text, f"f{case}.csv")  # type: ignore[arg-type]
        assert as_rows(fast) == as_rows(slow), repr(text)


def test_quoted_files_still_go_through_the_csv_module() -> None:
    data = (b'horodatage,sens,vehicules,vitesse_moy_kmh,taux_occupation_pct\n'
            b'"2025-07-01T00:00:00Z","PRADO_VERS_CARENAGE","1,2",3,4\n')
    table = read_csv(COUNTS, data, "f.csv")
    assert table.data is not None and table.data[2] == ["1,2"] and table.labels == ["line 2"]


def messy_counts(rng: random.Random, rows: int) -> bytes:
    header = "horodatage,sens,vehicules,vitesse_moy_kmh,taux_occupation_pct"
    stamps = ["2025-03-30T01:00:00Z", "2025-03-30T02:06:00Z", "2025-03-30T02:06:00+02:00", "hier", "",
              "2025-02-30T00:00:00Z", "2025-03-30 01:00:00"]
    senses = ["PRADO_VERS_CARENAGE", "CARENAGE_VERS_PRADO", "NORD", " PRADO_VERS_CARENAGE ", ""]
    numbers = ["1", "12", "-3", "1.5", "1,5", "", "abc", "9999", " 7 ", "1e3", "inf", "nan"]
    lines = [header]
    for _ in range(rows):
        lines.append(",".join([rng.choice(stamps), rng.choice(senses), rng.choice(numbers), rng.choice(numbers),
                               rng.choice(numbers)]))
    return ("\n".join(lines) + "\n").encode()


def test_validating_distinct_values_equals_validating_every_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """Texts are checked once per distinct text; the outcome must be the one row by row."""
    rng = random.Random(11)
    tables = [read_csv(COUNTS, messy_counts(rng, 300), f"d{i}.csv") for i in range(4)]
    combined = combine_tables(tables)
    owners = np.repeat(np.arange(len(tables)), [t.length for t in tables])
    fast = validate(COUNTS, combined, groups=owners)
    assert fast.distinct and set(fast.distinct) == set(COUNTS.field_names)

    slow_table = DeliveryTable(list(combined.columns), data=combined.data, segments=combined.segments)
    monkeypatch.setattr(validation, "_all_text", lambda column: False)
    slow = validate(COUNTS, slow_table, groups=owners)
    assert not slow.distinct
    pd.testing.assert_frame_equal(fast.valid, slow.valid)
    pd.testing.assert_frame_equal(fast.rejected, slow.rejected)
    assert list(fast.rejected_positions) == list(slow.rejected_positions)  # type: ignore[arg-type]
    assert 0 < len(fast.valid) < len(owners) and len(fast.rejected) > 100


def test_validating_distinct_values_of_a_prefecture_file(monkeypatch: pytest.MonkeyPatch) -> None:
    from .test_parsing import GOOD, prefecture_file

    rows = [GOOD.replace("C-1", f"C-{i}") for i in range(5)]
    rows += [GOOD.replace("43,295", "43.295"), GOOD.replace("1200", "douze"), GOOD.replace("C-1", "C-3"),
             GOOD.replace("01/07/2025 14:00", "30/03/2025 02:30")]
    table = read_csv(MANIF, prefecture_file(*rows), "f.csv")
    fast = validate(MANIF, table)
    monkeypatch.setattr(validation, "_all_text", lambda column: False)
    slow = validate(MANIF, DeliveryTable(table.columns, data=table.data, segments=table.segments))
    pd.testing.assert_frame_equal(fast.valid, slow.valid)
    pd.testing.assert_frame_equal(fast.rejected, slow.rejected)
    assert len(fast.rejected) == 4


def test_labels_are_spelled_out_on_demand() -> None:
    table = DeliveryTable(["a"], data=[["x", "y", "z", "w"]],
                          segments=[("f.csv line ", np.array([2, 5])), ("g.csv line ", np.array([2, 3]))])
    assert [table.label(i) for i in range(4)] == ["f.csv line 2", "f.csv line 5", "g.csv line 2", "g.csv line 3"]
    assert table.labels == [table.label(i) for i in range(4)]


def random_file(rng: random.Random, contract: object) -> bytes:
    wire = contract.wire  # type: ignore[attr-defined]
    header = list(contract.field_names)  # type: ignore[attr-defined]
    kind = rng.choice(["grid", "grid", "grid", "crlf", "quoted", "messy", "extra", "header_only", "missing", "cr",
                       "blank", "spaces", "separators"])
    if kind == "extra":
        header = [*header, "EXTRA"]
    if kind == "missing":
        header = header[:-1]
    lines = [wire.delimiter.join(header)]
    for _ in range(0 if kind == "header_only" else rng.randint(1, 30)):
        fields = [rng.choice(PIECES) for _ in header]
        if kind == "quoted" and rng.random() < 0.3:
            fields[0] = '"a' + wire.delimiter + 'b"'
        if kind == "separators" and rng.random() < 0.3:
            fields = [""] * len(fields)
        lines.append(wire.delimiter.join(fields))
        if kind in ("blank", "spaces") and rng.random() < 0.2:
            lines.append("" if kind == "blank" else rng.choice([" ", "\t", "  "]))
    if kind == "messy":
        return messy_text(rng, header, wire.delimiter).encode(wire.encoding, errors="replace")
    brk = {"crlf": "\r\n", "cr": "\r"}.get(kind, "\n")
    text = brk.join(lines) + (brk if rng.random() < 0.8 else "")
    return text.encode(wire.encoding, errors="replace")


@pytest.mark.parametrize("contract", [MANIF, COUNTS, POLICE])
def test_reading_files_together_equals_reading_each(contract: object) -> None:
    """``read_csv_group`` (Arrow for the regular files) gives each file's shape, rejection, labels and the
    same rows and values as ``read_csv`` file by file."""
    from observatoire.ingestion.reader import StructureError, read_csv_group

    rng = random.Random(3)
    for _ in range(150):
        files = [(f"f{i}.csv", random_file(rng, contract)) for i in range(rng.randint(1, 12))]
        results, combined = read_csv_group(contract, files)  # type: ignore[arg-type]
        expected: list[DeliveryTable] = []
        for (name, data), result in zip(files, results, strict=True):
            try:
                table = read_csv(contract, data, name)  # type: ignore[arg-type]
            except StructureError as error:
                assert isinstance(result, StructureError) and str(result) == str(error)
                continue
            assert isinstance(result, DeliveryTable)
            assert (result.length, result.rows, result.columns, result.extra_columns, result.labels) == (
                table.length, table.rows, table.columns, table.extra_columns, table.labels)
            assert [(m.label, m.reason, m.values) for m in result.malformed] == [
                (m.label, m.reason, m.values) for m in table.malformed]
            expected.append(table)
        readable = [t for t in expected if t.length]
        if not readable:
            # No row at all: nothing to combine, or (files with a header only) an empty table.
            assert combined is None if not expected else (combined is not None and combined.length == 0)
            continue
        assert combined is not None
        reference = combine_tables(readable)
        assert combined.labels == reference.labels
        mine = combined.frame.astype(object).where(combined.frame.notna(), None)
        theirs = reference.frame.astype(object).where(reference.frame.notna(), None)
        assert list(mine.columns) == list(theirs.columns)
        assert mine.to_numpy().tolist() == theirs.to_numpy().tolist()


def test_the_fast_iso_parser_gives_pandas_result_or_steps_aside() -> None:
    from observatoire.ingestion.timeparse import _parse_seconds_with_offset

    rng = random.Random(5)
    used = 0
    for _ in range(2000):
        values: list[str | None] = []
        for _ in range(rng.randint(1, 6)):
            if rng.random() < 0.8:  # mostly real instants, so that the fast path is taken
                stamp = pd.Timestamp("1950-01-01") + pd.Timedelta(seconds=rng.randint(0, 3_000_000_000))
                text = stamp.strftime("%Y-%m-%dT%H:%M:%S")
            else:
                text = (f"{rng.choice([1899, 2024, 2025, 2200])}-{rng.choice(['00', '02', '13'])}-"
                        f"{rng.choice(['29', '30', '32'])}T{rng.choice(['23', '24'])}:{rng.choice(['59', '60'])}:00")
            values.append(text + rng.choice(["Z", "Z", "+01:00", "-03:30", "+14:00", "+15:00", "+02:60", "", "+0100"]))
            if rng.random() < 0.1:
                values.append(None)
        texts = pd.Series(values, dtype=object)
        fast = _parse_seconds_with_offset(texts)
        if fast is None:
            continue
        used += 1
        expected = pd.to_datetime(texts, utc=True, format="ISO8601", errors="coerce")
        pd.testing.assert_series_equal(fast, expected)
    assert used > 200

"""Scans tables of a DuckDB file, read-only, with the same rules as deliveries.

DuckDB does the heavy lifting: for every text-like column it computes the distinct values with
their row counts (``GROUP BY``), streamed to pandas in Arrow batches, so a table of millions of rows
costs what its distinct texts cost, and numeric-only tables (tunnel counts, police activity) are not
read at all beyond their big integers. Great Expectations is never pointed at DuckDB through
SQLAlchemy (most metrics fail there); it gets the distinct values as pandas frames instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from ..errors import BadInput
from .findings import Finding, TableCheck
from .masking import mask_generic
from .rules import value_rules
from .schema import check_columns
from .values import scan_big_integers, scan_distinct

BATCH_ROWS = 250_000

_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT",
            "UHUGEINT", "FLOAT", "DOUBLE", "REAL")  # fmt: skip
_INTEGER = _NUMERIC[:10]
_NOT_TEXT_PREFIXES = ("DECIMAL", "DATE", "TIME", "TIMESTAMP", "INTERVAL", "BOOLEAN", "BLOB", "BIT", "UUID")


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def open_readonly(path: Path | str) -> duckdb.DuckDBPyConnection:
    """Opens ``path`` read-only; ``BadInput`` when it is missing or not a DuckDB database."""
    path = Path(path)
    if not path.is_file():
        raise BadInput(f"{path}: no such file")
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.Error as error:
        raise BadInput(f"{path}: not a readable DuckDB database ({error})") from error


def list_tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """Every (schema, table-or-view) of the open database, internal catalogs excluded."""
    rows = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "UNION ALL SELECT schema_name, view_name FROM duckdb_views() "
        "WHERE database_name = current_database() AND NOT internal ORDER BY 1, 2"
    ).fetchall()
    return [(str(s), str(t)) for s, t in rows]


def column_types(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[tuple[str, str]]:
    rows = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = ? AND table_name = ? ORDER BY column_index",
        [schema, table],
    ).fetchall()
    return [(str(n), str(t).upper()) for n, t in rows]


def is_text_type(duck_type: str) -> bool:
    """VARCHAR, JSON, ENUM, lists and structs (cast to text): anything that can carry free text."""
    return duck_type not in _NUMERIC and not duck_type.startswith(_NOT_TEXT_PREFIXES)


def distinct_text(
    con: duckdb.DuckDBPyConnection, relation: str, column: str, where: str = ""
) -> tuple[pd.Series, np.ndarray]:
    """Distinct non-null values of a column as text with their row counts, read in Arrow batches."""
    sql = (
        f"SELECT CAST({quote(column)} AS VARCHAR) AS v, count(*) AS n FROM {relation} "
        f"WHERE {quote(column)} IS NOT NULL {where} GROUP BY 1"
    )
    reader = con.execute(sql).fetch_record_batch(BATCH_ROWS)
    values: list[pd.Series] = []
    counts: list[np.ndarray] = []
    for batch in reader:
        frame = batch.to_pandas()
        values.append(frame["v"].astype(object))
        counts.append(frame["n"].to_numpy(dtype=np.int64))
    if not values:
        return pd.Series([], dtype=object), np.zeros(0, dtype=np.int64)
    return pd.concat(values, ignore_index=True), np.concatenate(counts)


@dataclass
class TableScan:
    """The outcome of scanning one table, plus what Great Expectations needs to replay it."""

    findings: list[Finding]
    check: TableCheck
    distinct: dict[str, pd.Series] = field(default_factory=dict)
    """Distinct values per scanned column (text columns and small-cell columns)."""
    small_cell_columns: tuple[str, ...] = ()


def scan_table(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    table: str,
    *,
    label: str | None = None,
    allowed: Callable[[str], bool] | None = None,
    small_cell_columns: Callable[[str], bool] | None = None,
    k: int = 5,
    keep_distinct: bool = False,
) -> TableScan:
    """All rules on one DuckDB table: names, values of text columns, big integers, small cells."""
    label = label or table
    relation = f"{quote(schema)}.{quote(table)}"
    types = column_types(con, schema, table)
    rows = int(con.execute(f"SELECT count(*) FROM {relation}").fetchone()[0])  # type: ignore[index]
    names = [n for n, _ in types]

    def examples(column: str) -> tuple[str, ...]:
        sample = con.execute(
            f"SELECT DISTINCT CAST({quote(column)} AS VARCHAR) FROM {relation} WHERE {quote(column)} IS NOT NULL LIMIT 3"
        ).fetchall()
        return tuple(mask_generic(str(v[0])) for v in sample)

    findings = check_columns(label, names, rows, allowed=allowed, examples=examples)
    rules = value_rules()
    text_columns: list[str] = []
    distinct: dict[str, pd.Series] = {}
    small: list[str] = []
    for name, duck_type in types:
        if is_text_type(duck_type):
            text_columns.append(name)
            values, counts = distinct_text(con, relation, name)
            findings.extend(scan_distinct(label, name, values, counts, rules))
            if keep_distinct:
                distinct[name] = values
        elif duck_type in _INTEGER:
            big = con.execute(
                f"SELECT {quote(name)}, count(*) FROM {relation} WHERE {quote(name)} >= 1000000000000 GROUP BY 1"
            ).fetchall()
            if big:
                findings.extend(
                    scan_big_integers(
                        label,
                        name,
                        np.array([int(v) for v, _ in big], dtype=object),
                        np.array([n for _, n in big]),
                    )
                )
        if small_cell_columns is not None and duck_type in _NUMERIC and small_cell_columns(name):
            small.append(name)
            below = con.execute(
                f"SELECT count(*) FROM {relation} WHERE {quote(name)} > 0 AND {quote(name)} < ?", [k]
            ).fetchone()
            n_below = int(below[0]) if below else 0
            if n_below:
                findings.append(
                    Finding(
                        label,
                        name,
                        "small_cell",
                        n_below,
                        detail=f"{n_below} published value(s) between 1 and {k - 1}: they must be suppressed (k = {k})",
                    )
                )
            if keep_distinct:
                distinct[name] = pd.Series(
                    [r[0] for r in con.execute(f"SELECT DISTINCT {quote(name)} FROM {relation}").fetchall()],
                    dtype=object,
                )
    check = TableCheck(
        table=label,
        rows=rows,
        columns=tuple(names),
        text_columns=tuple(text_columns),
        allowed_columns=tuple(n for n in names if allowed(n)) if allowed is not None else None,
        rules=tuple(r.id for r in rules),
    )
    return TableScan(findings, check, distinct, tuple(small))

"""The publish gate and small-cell suppression, run on the built marts before publication."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

import duckdb

from .duckdb_scan import column_types, list_tables, open_readonly, quote, scan_table
from .findings import Finding, GateResult
from .rules import published_rules
from .values import keeping_scanned

log = logging.getLogger(__name__)


def _schema_with_tables(con: duckdb.DuckDBPyConnection, preferred: Sequence[str]) -> str:
    present = {s for s, _ in list_tables(con)}
    for schema in preferred:
        if schema in present:
            return schema
    return preferred[0]


def check_published_tables(
    duckdb_path: Path | str,
    tables: Sequence[str] | None = None,
    *,
    schema: str | None = None,
    k: int | None = None,
    evidence: bool | Literal["on_refusal"] = True,
) -> GateResult:
    """Checks the tables about to be published; see the package docstring.

    ``tables=None`` checks every table of ``schema`` (default: ``main`` — the file being published —
    or ``marts`` when ``main`` is empty, i.e. the warehouse). A table not declared in
    ``expectations/published_tables.yml`` fails the gate with ``unknown_table``.

    ``evidence``: True records the GX evidence of the run (Data Docs); False runs the rules engine
    alone; ``"on_refusal"`` runs the engine and records GX evidence only when it refuses (a
    pre-check whose pass is followed by a gate with evidence, e.g. the marts before publication).
    ``result.timing`` says what the call cost (CPU and wall seconds, engine and GX parts).
    """
    started, started_cpu = time.perf_counter(), time.process_time()
    rules = published_rules()
    k = k if k is not None else rules.k
    path = Path(duckdb_path)
    result = GateResult(gate="publish", subject=str(path))
    scans = []
    con = open_readonly(path)
    try:
        # what the engine reads, kept for the evidence not to read it again
        with keeping_scanned() as scanned:
            schema = schema or _schema_with_tables(con, ("main", "marts"))
            present = [t for s, t in list_tables(con) if s == schema]
            wanted = list(tables) if tables is not None else present
            for table in wanted:
                if table not in present:
                    result.findings.append(
                        Finding(table, None, "missing_table", 0, detail=f"not found in schema {schema}")
                    )
                    continue
                spec = rules.tables.get(table)
                if spec is None:
                    result.findings.append(
                        Finding(
                            table,
                            None,
                            "unknown_table",
                            0,
                            detail="declare it (exact columns) in expectations/published_tables.yml after review",
                        )
                    )
                scan = scan_table(
                    con,
                    schema,
                    table,
                    allowed=spec.allows if spec is not None else (lambda column: False),
                    small_cell_columns=rules.is_small_cell_column,
                    k=k,
                    keep_distinct=bool(evidence),
                )
                result.findings.extend(scan.findings)
                result.checks.append(scan.check)
                scans.append(scan)
    finally:
        con.close()
    result.timing["engine_cpu_s"] = time.process_time() - started_cpu
    result.timing["engine_wall_s"] = time.perf_counter() - started
    if evidence is True or (evidence == "on_refusal" and not result.passed):
        from .evidence import publish_evidence, record_evidence

        record_evidence(result, [publish_evidence(scan, rules, k, scanned) for scan in scans])
    result.duration_s = time.perf_counter() - started
    result.timing["cpu_s"] = time.process_time() - started_cpu
    result.timing["wall_s"] = result.duration_s
    log.log(logging.INFO if result.passed else logging.WARNING, "%s", result.message)
    return result


def suppress_small_cells(
    con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str], k: int = 5
) -> int:
    """Replaces values strictly between 0 and ``k`` by NULL and sets ``<column>_suppressed`` to true.

    ``table`` may be qualified (``main.fct_event``). Zero is kept: "nothing happened" reveals no
    one. Returns the number of cells suppressed. Runs in the caller's connection (and transaction).
    """
    relation = ".".join(quote(part) for part in table.split("."))
    suppressed = 0
    for column in columns:
        flag = f"{column}_suppressed"
        con.execute(f"ALTER TABLE {relation} ADD COLUMN IF NOT EXISTS {quote(flag)} BOOLEAN DEFAULT FALSE")
        small = f"({quote(column)} > 0 AND {quote(column)} < {int(k)})"
        row = con.execute(f"SELECT count(*) FROM {relation} WHERE {small}").fetchone()
        count = int(row[0]) if row else 0
        # Both SET expressions read the row as it was before the update.
        con.execute(
            f"UPDATE {relation} SET {quote(flag)} = coalesce({quote(flag)}, FALSE) OR coalesce({small}, FALSE), "
            f"{quote(column)} = CASE WHEN {small} THEN NULL ELSE {quote(column)} END"
        )
        suppressed += count
    return suppressed


def suppress_all_small_cells(
    con: duckdb.DuckDBPyConnection, k: int | None = None, schema: str = "main"
) -> Mapping[str, int]:
    """Suppression in every table of ``schema`` for the columns declared in published_tables.yml.

    Matches ``observatoire.publish.SuppressFn``: returns the cells suppressed per table.
    """
    rules = published_rules()
    k = k if k is not None else rules.k
    done: dict[str, int] = {}
    for table_schema, table in list_tables(con):
        if table_schema != schema:
            continue
        kind = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = ? AND table_name = ?",
            [schema, table],
        ).fetchone()
        if not kind or not kind[0]:
            continue  # a view: publication materialises views before suppression
        columns = [
            name
            for name, duck_type in column_types(con, schema, table)
            if rules.is_small_cell_column(name) and not duck_type.startswith(("VARCHAR", "BOOLEAN"))
        ]
        if columns:
            done[table] = suppress_small_cells(con, f"{schema}.{table}", columns, k)
    return done

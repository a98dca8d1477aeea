"""``privacy-scan``: every table of every schema of any DuckDB file, with the same rules.

Known tables get their allowed column set (``raw.<partner>__<dataset>`` from the contracts, the
published tables from ``expectations/published_tables.yml``); any other table gets the denylist and
the value scans only, because nobody declared what it may hold.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from ..contracts import CONTRACTS
from .duckdb_scan import list_tables, open_readonly, scan_table
from .findings import GateResult
from .rules import published_rules

RAW_BOOKKEEPING = ("_delivery_id", "_loaded_at")


def allowed_set_for(schema: str, table: str) -> Callable[[str], bool] | None:
    if schema == "raw" and table in CONTRACTS:
        fields = set(CONTRACTS[table].field_names) | set(RAW_BOOKKEEPING)
        return fields.__contains__
    spec = published_rules().tables.get(table)
    if spec is not None and schema in ("main", "marts"):
        return spec.allows
    return None


def scan_file(path: Path | str, *, k: int | None = None) -> GateResult:
    """Scans every table of a DuckDB file; ``BadInput`` when the file cannot be read."""
    started = time.perf_counter()
    rules = published_rules()
    k = k if k is not None else rules.k
    result = GateResult(gate="scan", subject=str(path))
    con = open_readonly(path)
    try:
        for schema, table in list_tables(con):
            label = table if schema == "main" else f"{schema}.{table}"
            scan = scan_table(
                con,
                schema,
                table,
                label=label,
                allowed=allowed_set_for(schema, table),
                small_cell_columns=rules.is_small_cell_column,
                k=k,
            )
            result.findings.extend(scan.findings)
            result.checks.append(scan.check)
    finally:
        con.close()
    result.duration_s = time.perf_counter() - started
    return result

"""Raw loads into ``warehouse.duckdb``: ``raw.<partner>__<dataset>`` and the ``raw._deliveries`` ledger.

- Columns: exactly the contract's fields (``Field.duckdb_type``, timestamps ``TIMESTAMPTZ`` in UTC) plus
  ``_delivery_id`` and ``_loaded_at``.
- Upsert on the contract key. The version that wins is the one with the latest ``updated_field``; for
  datasets without one (daily exports), the one from the latest delivery interval (``version_at``). A
  delivery already in the ledger is skipped: re-loading it is a no-op.
- Bulk path: the batch's frames are registered with DuckDB, deduplicated on the key with a window
  function, compared with the current rows, then merged with one ``MERGE INTO`` statement.
- One transaction per batch (a batch holds whole deliveries): a failure rolls everything back, the table
  and the ledger stay as they were.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from ..config import paths
from ..contracts import CONTRACTS, Contract

log = logging.getLogger(__name__)
LEDGER = "raw._deliveries"
LEDGER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("table_name", "VARCHAR NOT NULL"),
    ("delivery_id", "VARCHAR NOT NULL"),
    ("partner", "VARCHAR NOT NULL"),
    ("dataset", "VARCHAR NOT NULL"),
    ("status", "VARCHAR NOT NULL"),
    ("connector", "VARCHAR"),
    ("source", "VARCHAR"),
    ("interval_start", "TIMESTAMPTZ"),
    ("interval_end", "TIMESTAMPTZ"),
    ("version_at", "TIMESTAMPTZ"),
    ("sha256", "VARCHAR"),
    ("bytes", "BIGINT"),
    ("rows_total", "BIGINT"),
    ("rows_loaded", "BIGINT"),
    ("rows_quarantined", "BIGINT"),
    ("gate_passed", "BOOLEAN"),
    ("gate_result", "VARCHAR"),
    ("message", "VARCHAR"),
    ("contract_version", "VARCHAR"),
    ("received_at", "TIMESTAMPTZ"),
    ("loaded_at", "TIMESTAMPTZ"),
)


@dataclass
class LoadItem:
    """One delivery ready to load (or to record as refused/rejected, with an empty ``valid`` frame)."""

    delivery_id: str
    manifest: dict[str, Any]
    valid: pd.DataFrame
    rows_total: int
    rows_quarantined: int
    gate: dict[str, Any] = field(default_factory=dict)
    status: str = "loaded"
    message: str = ""
    version_at: datetime | None = None


def connect(database: Path | None = None) -> duckdb.DuckDBPyConnection:
    target = database or paths().warehouse
    target.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(target))
    con.execute("SET TimeZone = 'UTC'")
    return con


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_ddl(contract: Contract) -> str:
    columns = [f"{_q(f.name)} {f.duckdb_type}" for f in contract.fields]
    columns += ['"_delivery_id" VARCHAR NOT NULL', '"_loaded_at" TIMESTAMPTZ NOT NULL']
    return f"CREATE TABLE IF NOT EXISTS raw.{_q(contract.table)} ({', '.join(columns)})"


def ensure_tables(con: duckdb.DuckDBPyConnection, contracts: Iterable[Contract] | None = None) -> None:
    """Create the ``raw`` schema, the ledger and the raw tables (all contracts by default)."""
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    ledger = ", ".join(f"{name} {kind}" for name, kind in LEDGER_COLUMNS)
    con.execute(f"CREATE TABLE IF NOT EXISTS {LEDGER} ({ledger}, PRIMARY KEY (table_name, delivery_id))")
    for contract in contracts if contracts is not None else CONTRACTS.values():
        con.execute(table_ddl(contract))


def recorded_ids(con: duckdb.DuckDBPyConnection, contract: Contract) -> set[str]:
    rows = con.execute(f"SELECT delivery_id FROM {LEDGER} WHERE table_name = ?", [contract.qualified_table]).fetchall()
    return {str(row[0]) for row in rows}


def _typed_frame(contract: Contract, items: Sequence[LoadItem]) -> pd.DataFrame:
    """The batch's valid rows in one frame, with the delivery id, its version and the row order."""
    loaded = [item for item in items if not item.valid.empty]
    if not loaded:
        return pd.DataFrame()
    fields = list(contract.field_names)
    frames = [item.valid.loc[:, fields] for item in loaded]
    combined = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].reset_index(drop=True)
    lengths = [len(f) for f in frames]
    combined["_delivery_id"] = np.repeat(np.array([i.delivery_id for i in loaded], dtype=object), lengths)
    versions = pd.to_datetime(pd.Series([i.version_at for i in loaded], dtype=object), utc=True)
    combined["_version_at"] = np.repeat(versions.to_numpy(), lengths)
    combined["_version_at"] = pd.to_datetime(combined["_version_at"], utc=True)
    combined["_seq"] = np.arange(len(combined), dtype="int64")
    return combined


def _merge_rows(con: duckdb.DuckDBPyConnection, contract: Contract, incoming: pd.DataFrame) -> int:
    table = f"raw.{_q(contract.table)}"
    keys = [_q(k) for k in contract.key]
    fields = [_q(f.name) for f in contract.fields]
    casts = ", ".join(f"CAST({_q(f.name)} AS {f.duckdb_type}) AS {_q(f.name)}" for f in contract.fields)
    order = ["_version_at DESC NULLS LAST", "_seq DESC"]
    if contract.updated_field:
        order.insert(0, f"{_q(contract.updated_field)} DESC NULLS LAST")
    con.register("_ingest_frame", incoming)
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _ingest_batch AS SELECT {casts}, _delivery_id, "
            f"CAST(_version_at AS TIMESTAMPTZ) AS _version_at, _seq FROM _ingest_frame "
            f"QUALIFY row_number() OVER (PARTITION BY {', '.join(keys)} ORDER BY {', '.join(order)}) = 1"
        )
    finally:
        con.unregister("_ingest_frame")
    join = " AND ".join(f"t.{k} = s.{k}" for k in keys)
    newer = "s._version_at >= coalesce(d.version_at, s._version_at)"
    if contract.updated_field:
        u = _q(contract.updated_field)
        newer = f"(s.{u} > t.{u} OR (s.{u} = t.{u} AND {newer}))"
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _ingest_apply AS SELECT s.* FROM _ingest_batch s "
        f"LEFT JOIN {table} t ON {join} "
        f"LEFT JOIN {LEDGER} d ON d.table_name = '{contract.qualified_table}' AND d.delivery_id = t._delivery_id "
        f"WHERE t.{keys[0]} IS NULL OR {newer}"
    )
    applied = con.execute("SELECT count(*) FROM _ingest_apply").fetchone()
    updates = ", ".join(f"{c} = s.{c}" for c in fields)
    con.execute(
        f"MERGE INTO {table} AS t USING _ingest_apply AS s ON ({join}) "
        f"WHEN MATCHED THEN UPDATE SET {updates}, _delivery_id = s._delivery_id, _loaded_at = now() "
        f"WHEN NOT MATCHED THEN INSERT ({', '.join(fields)}, _delivery_id, _loaded_at) "
        f"VALUES ({', '.join('s.' + c for c in fields)}, s._delivery_id, now())"
    )
    con.execute("DROP TABLE IF EXISTS _ingest_apply")
    con.execute("DROP TABLE IF EXISTS _ingest_batch")
    return int(applied[0]) if applied else 0


def _ledger_frame(contract: Contract, items: Sequence[LoadItem]) -> pd.DataFrame:
    rows = []
    for item in items:
        manifest = item.manifest
        interval = manifest.get("interval") or {}
        rows.append(
            {
                "table_name": contract.qualified_table,
                "delivery_id": item.delivery_id,
                "partner": contract.partner,
                "dataset": contract.dataset,
                "status": item.status,
                "connector": manifest.get("connector"),
                "source": manifest.get("source"),
                "interval_start": interval.get("start"),
                "interval_end": interval.get("end"),
                "version_at": item.version_at,
                "sha256": manifest.get("sha256"),
                "bytes": manifest.get("bytes"),
                "rows_total": item.rows_total,
                "rows_loaded": len(item.valid) if item.status == "loaded" else 0,
                "rows_quarantined": item.rows_quarantined,
                "gate_passed": item.gate.get("passed"),
                "gate_result": json.dumps(item.gate, ensure_ascii=False, default=str),
                "message": item.message,
                "contract_version": manifest.get("contract_version"),
                "received_at": manifest.get("received_at"),
            }
        )
    frame = pd.DataFrame(rows)
    for column in ("interval_start", "interval_end", "version_at", "received_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    return frame


def load_batch(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    items: Sequence[LoadItem],
    incoming: pd.DataFrame | None = None,
) -> list[LoadItem]:
    """Load whole deliveries in one transaction; returns the items actually loaded or recorded (new ones).

    ``incoming``: the valid rows of ``items`` already combined (with ``_delivery_id``, ``_version_at``,
    ``_seq``), as :func:`observatoire.ingestion.service.prepare_batch` builds them.
    """
    if not items:
        return []
    ensure_tables(con, [contract])
    con.execute("BEGIN TRANSACTION")
    try:
        known = recorded_ids(con, contract)
        todo: list[LoadItem] = []
        seen: set[str] = set()
        for item in items:
            if item.delivery_id not in known and item.delivery_id not in seen:
                todo.append(item)
                seen.add(item.delivery_id)
        if todo:
            ids = {i.delivery_id for i in todo if i.status == "loaded"}
            if incoming is None:
                incoming = _typed_frame(contract, [i for i in todo if i.status == "loaded"])
            elif not incoming.empty:
                incoming = incoming[incoming["_delivery_id"].isin(ids)]
            applied = _merge_rows(con, contract, incoming) if not incoming.empty else 0
            ledger = _ledger_frame(contract, todo)
            con.register("_ingest_ledger", ledger)
            try:
                names = ", ".join(ledger.columns)
                con.execute(f"INSERT INTO {LEDGER} ({names}, loaded_at) SELECT {names}, now() FROM _ingest_ledger")
            finally:
                con.unregister("_ingest_ledger")
            log.info(
                "%s: %d deliveries, %d rows merged (%d newer than the rows in place)",
                contract.qualified_table, len(todo), len(incoming), applied,
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return todo

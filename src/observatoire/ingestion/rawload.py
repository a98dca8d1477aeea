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
    rows_valid: int | None = None
    """Valid rows of the delivery when ``valid`` is not given (its rows are in the batch's frame)."""

    @property
    def rows_loaded(self) -> int:
        if self.status != "loaded":
            return 0
        return self.rows_valid if self.rows_valid is not None else len(self.valid)


def connect(database: Path | None = None) -> duckdb.DuckDBPyConnection:
    target = database or paths().warehouse
    target.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(target))
    con.execute("SET TimeZone = 'UTC'")
    return con


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


quoted = _q


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
    """Every delivery id of ``contract`` in the ledger (reads the whole ledger of the table: for repairs)."""
    rows = con.execute(f"SELECT delivery_id FROM {LEDGER} WHERE table_name = ?", [contract.qualified_table]).fetchall()
    return {str(row[0]) for row in rows}


def recorded_among(con: duckdb.DuckDBPyConnection, contract: Contract, delivery_ids: Iterable[str]) -> set[str]:
    """Which of ``delivery_ids`` the ledger already holds (a lookup on its primary key, not a scan)."""
    ids = list(dict.fromkeys(delivery_ids))
    if not ids:
        return set()
    rows = con.execute(
        f"SELECT delivery_id FROM {LEDGER} WHERE table_name = ? AND delivery_id IN (SELECT unnest(?::VARCHAR[]))",
        [contract.qualified_table, ids],
    ).fetchall()
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


def _typed_rows(contract: Contract, source: str) -> str:
    """The rows of ``source`` typed as in ``raw.*``, with ``_delivery_id``, ``_version_at`` and ``_seq``."""
    casts = ", ".join(f"CAST({_q(f.name)} AS {f.duckdb_type}) AS {_q(f.name)}" for f in contract.fields)
    return f"SELECT {casts}, _delivery_id, CAST(_version_at AS TIMESTAMPTZ) AS _version_at, _seq FROM {source}"


def _keep_latest_versions(con: duckdb.DuckDBPyConnection, contract: Contract, table: str) -> None:
    """Keep one row per key in the temporary ``table``: the latest version (latest ``updated_field``, then
    latest delivery interval, then last row). Nothing to do, and no sort, when every key is there once."""
    keys = ", ".join(_q(k) for k in contract.key)
    repeated = con.execute(f"SELECT EXISTS (SELECT 1 FROM {table} GROUP BY {keys} HAVING count(*) > 1)").fetchone()
    if not repeated or not repeated[0]:
        return
    order = ["_version_at DESC NULLS LAST", "_seq DESC"]
    if contract.updated_field:
        order.insert(0, f"{_q(contract.updated_field)} DESC NULLS LAST")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM {table} "
        f"QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY {', '.join(order)}) = 1"
    )


def _merge_rows(con: duckdb.DuckDBPyConnection, contract: Contract, incoming: pd.DataFrame) -> int:
    table = f"raw.{_q(contract.table)}"
    keys = [_q(k) for k in contract.key]
    fields = [_q(f.name) for f in contract.fields]
    con.register("_ingest_frame", incoming)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _ingest_batch AS {_typed_rows(contract, '_ingest_frame')}")
    finally:
        con.unregister("_ingest_frame")
    _keep_latest_versions(con, contract, "_ingest_batch")
    join = " AND ".join(f"t.{k} = s.{k}" for k in keys)
    newer = "s._version_at >= coalesce(d.version_at, s._version_at)"
    if contract.updated_field:
        u = _q(contract.updated_field)
        newer = f"(s.{u} > t.{u} OR (s.{u} = t.{u} AND {newer}))"
    # Only the table's rows whose first key is within the batch's range can match: the zone maps of a
    # table appended in time order then skip nearly all of it (a new day is compared with itself only).
    bounds = con.execute(f"SELECT min({keys[0]}), max({keys[0]}) FROM _ingest_batch").fetchone()
    low, high = bounds if bounds else (None, None)
    in_range = f"t.{keys[0]} BETWEEN $low AND $high"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _ingest_apply AS SELECT s.*, t.{keys[0]} IS NOT NULL AS _matched "
        f"FROM _ingest_batch s LEFT JOIN (SELECT * FROM {table} t WHERE {in_range}) t ON {join} "
        f"LEFT JOIN {LEDGER} d ON d.table_name = '{contract.qualified_table}' AND d.delivery_id = t._delivery_id "
        f"WHERE t.{keys[0]} IS NULL OR {newer}",
        {"low": low, "high": high},
    )
    counted = con.execute("SELECT count(*), count(*) FILTER (WHERE _matched) FROM _ingest_apply").fetchone()
    applied, matched = (int(counted[0]), int(counted[1])) if counted else (0, 0)
    if matched:
        updates = ", ".join(f"{c} = s.{c}" for c in fields)
        con.execute(
            f"MERGE INTO {table} AS t USING _ingest_apply AS s ON ({join}) "
            f"WHEN MATCHED THEN UPDATE SET {updates}, _delivery_id = s._delivery_id, _loaded_at = now() "
            f"WHEN NOT MATCHED THEN INSERT ({', '.join(fields)}, _delivery_id, _loaded_at) "
            f"VALUES ({', '.join('s.' + c for c in fields)}, s._delivery_id, now())"
        )
    elif applied:
        # Only new keys (the usual case: new days): an insert, without MERGE's join against the table.
        con.execute(
            f"INSERT INTO {table} ({', '.join(fields)}, _delivery_id, _loaded_at) "
            f"SELECT {', '.join(fields)}, _delivery_id, now() FROM _ingest_apply"
        )
    con.execute("DROP TABLE IF EXISTS _ingest_apply")
    con.execute("DROP TABLE IF EXISTS _ingest_batch")
    return applied


def _ledger_frame(contract: Contract, items: Sequence[LoadItem]) -> pd.DataFrame:
    manifests = [item.manifest for item in items]
    intervals = [m.get("interval") or {} for m in manifests]
    count = len(items)
    frame = pd.DataFrame({
        "table_name": [contract.qualified_table] * count,
        "delivery_id": [item.delivery_id for item in items],
        "partner": [contract.partner] * count,
        "dataset": [contract.dataset] * count,
        "status": [item.status for item in items],
        "connector": [m.get("connector") for m in manifests],
        "source": [m.get("source") for m in manifests],
        "interval_start": [i.get("start") for i in intervals],
        "interval_end": [i.get("end") for i in intervals],
        "version_at": [item.version_at for item in items],
        "sha256": [m.get("sha256") for m in manifests],
        "bytes": [m.get("bytes") for m in manifests],
        "rows_total": [item.rows_total for item in items],
        "rows_loaded": [item.rows_loaded for item in items],
        "rows_quarantined": [item.rows_quarantined for item in items],
        "gate_passed": [item.gate.get("passed") for item in items],
        "gate_result": [json.dumps(item.gate, ensure_ascii=False, default=str) for item in items],
        "message": [item.message for item in items],
        "contract_version": [m.get("contract_version") for m in manifests],
        "received_at": [m.get("received_at") for m in manifests],
    })
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
    ``_seq``), as :func:`observatoire.ingestion.service.prepare_group` builds them.
    """
    if not items:
        return []
    ensure_tables(con, [contract])
    con.execute("BEGIN TRANSACTION")
    try:
        known = recorded_among(con, contract, (item.delivery_id for item in items))
        todo: list[LoadItem] = []
        seen: set[str] = set()
        for item in items:
            if item.delivery_id not in known and item.delivery_id not in seen:
                todo.append(item)
                seen.add(item.delivery_id)
        if todo:
            loaded = [i for i in todo if i.status == "loaded"]
            if incoming is None:
                incoming = _typed_frame(contract, loaded)
            elif not incoming.empty and len(todo) < len(items):
                incoming = incoming[incoming["_delivery_id"].isin({i.delivery_id for i in loaded})]
            applied = _merge_rows(con, contract, incoming) if not incoming.empty else 0
            _insert_ledger(con, contract, todo)
            log.info(
                "%s: %d deliveries, %d rows merged (%d newer than the rows in place)",
                contract.qualified_table, len(todo), len(incoming), applied,
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return todo


def _insert_ledger(con: duckdb.DuckDBPyConnection, contract: Contract, items: Sequence[LoadItem]) -> None:
    ledger = _ledger_frame(contract, items)
    con.register("_ingest_ledger", ledger)
    try:
        names = ", ".join(ledger.columns)
        con.execute(f"INSERT INTO {LEDGER} ({names}, loaded_at) SELECT {names}, now() FROM _ingest_ledger")
    finally:
        con.unregister("_ingest_ledger")


def replace_table(
    con: duckdb.DuckDBPyConnection, contract: Contract, items: Sequence[LoadItem], source: str | None
) -> int:
    """Rebuild ``raw.<table>`` and its ledger rows from scratch, in one transaction: every delivery of
    ``items`` recorded, and the latest version of each key of ``source`` (a temporary table with the
    contract's typed fields, ``_delivery_id``, ``_version_at`` and ``_seq``: the order in which the
    deliveries were received) kept, by the rule of incremental loads. Returns the rows in the table."""
    ensure_tables(con, [contract])
    table = f"raw.{_q(contract.table)}"
    fields = ", ".join(_q(f.name) for f in contract.fields)
    if source is not None:
        _keep_latest_versions(con, contract, source)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"DELETE FROM {table}")
        con.execute(f"DELETE FROM {LEDGER} WHERE table_name = ?", [contract.qualified_table])
        if source is not None:
            con.execute(
                f"INSERT INTO {table} ({fields}, _delivery_id, _loaded_at) SELECT {fields}, _delivery_id, now() "
                f"FROM {source}"
            )
        if items:
            _insert_ledger(con, contract, items)
        row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    rows = int(row[0]) if row else 0
    log.info("%s: rebuilt with %d rows from %d deliveries", contract.qualified_table, rows, len(items))
    return rows

"""Atomic publication of the marts into ``published/observatoire.duckdb`` (DESIGN.md §2, §7).

Consumers (BI tools, notebooks, ``duckdb -readonly``) only ever open the published file, never the
warehouse. A publication therefore has to be invisible until it is complete and must never disturb
a reader that already holds the previous file:

1. a new file is built *beside* the published one (``observatoire.duckdb.tmp-<run>``, same
   directory so that the final rename stays on one file system);
2. the warehouse is ATTACHed ``READ_ONLY`` and every table/view of its ``marts`` schema is copied
   into the new file's ``main`` schema (views are materialised: consumers get plain tables);
3. small-cell suppression is applied to the copy, then the publish gate checks the copy itself,
   i.e. exactly the bytes that will be published;
4. the ``publish_log`` of the previous file is carried over and one row is added for this run;
5. one ``os.replace`` swaps the new file in. On POSIX a reader holding the old file keeps its open
   inode and goes on reading consistent data; new readers see the new file.

Any failure before step 5 deletes the temporary file and leaves the previous publication untouched.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from .errors import ObservatoireError

log = logging.getLogger(__name__)

PUBLISH_LOG_TABLE = "publish_log"
SOURCE_SCHEMA = "marts"

_PUBLISH_LOG_DDL = f"""
CREATE TABLE IF NOT EXISTS main.{PUBLISH_LOG_TABLE} (
    run_id VARCHAR NOT NULL,
    published_at TIMESTAMPTZ NOT NULL,
    tables_published INTEGER NOT NULL,
    rows_per_table JSON NOT NULL,
    gate_passed BOOLEAN NOT NULL,
    gate_summary JSON NOT NULL,
    cells_suppressed JSON,
    index_fingerprint VARCHAR,
    data_snapshot VARCHAR,
    data_snapshot_detail JSON
)
"""


class PublishBlocked(ObservatoireError):
    """The publish gate refused the new file: nothing was published, the previous file is kept."""

    exit_code = 3

    def __init__(self, message: str, gate: GateOutcome) -> None:
        super().__init__(message)
        self.gate = gate


@dataclass(frozen=True)
class GateOutcome:
    """What the publication needs from a privacy gate: a verdict and a JSON-able summary."""

    passed: bool
    summary: Mapping[str, Any] = field(default_factory=dict)


GateFn = Callable[[Path], GateOutcome]
"""Checks a (not yet published) DuckDB file; must open it read-only and close it before returning."""

SuppressFn = Callable[[duckdb.DuckDBPyConnection], Mapping[str, int]]
"""Suppresses small cells in the ``main`` tables of an open connection; returns cells suppressed per table."""


@dataclass(frozen=True)
class PublicationResult:
    run_id: str
    path: Path
    published_at: datetime
    rows_per_table: dict[str, int]
    gate: GateOutcome
    cells_suppressed: dict[str, int]
    index_fingerprint: str | None
    data_snapshot: str | None
    previous_publications: int

    def as_asset_extra(self) -> dict[str, Any]:
        """Metadata for the published file's Airflow asset event (JSON-serialisable)."""
        return {
            "run_id": self.run_id,
            "path": str(self.path),
            "published_at": self.published_at.isoformat(),
            "rows_per_table": self.rows_per_table,
            "gate_passed": self.gate.passed,
            "gate": dict(self.gate.summary),
            "cells_suppressed": self.cells_suppressed,
            "index_fingerprint": self.index_fingerprint,
            "data_snapshot": self.data_snapshot,
        }


def temporary_path(published: Path, run_id: str) -> Path:
    """Where the next file is built: same directory (atomic rename), name tied to the run."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", run_id)[:120]
    return published.with_name(f"{published.name}.tmp-{safe}")


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _remove_database_files(path: Path) -> None:
    for candidate in (path, path.with_name(path.name + ".wal")):
        try:
            candidate.unlink()
        except FileNotFoundError:
            pass


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable; without it a crash right after os.replace could resurrect
    # the old directory entry on some file systems.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _source_relations(con: duckdb.DuckDBPyConnection, catalog: str, schema: str) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_catalog = ? AND table_schema = ? ORDER BY table_name",
        [catalog, schema],
    ).fetchall()
    return [str(r[0]) for r in rows]


def _data_snapshot(con: duckdb.DuckDBPyConnection, catalog: str) -> tuple[str | None, dict[str, Any] | None]:
    """Which deliveries the published data was built from: the latest delivery per raw dataset.

    ``raw._deliveries`` is written by the ingestion; its absence (e.g. a warehouse built by hand)
    only means the log cannot say which deliveries were used.
    """
    has = con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_catalog = ? AND table_schema = 'raw' AND table_name = '_deliveries'",
        [catalog],
    ).fetchone()
    if not has or not has[0]:
        return None, None
    columns = {
        str(r[0])
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_catalog = ? AND table_schema = 'raw' AND table_name = '_deliveries'",
            [catalog],
        ).fetchall()
    }
    if "delivery_id" not in columns:
        return None, None
    deliveries = f"{_quote_ident(catalog)}.raw._deliveries"
    total = con.execute(f"SELECT count(*) FROM {deliveries}").fetchone()
    ids = [str(r[0]) for r in con.execute(f"SELECT delivery_id FROM {deliveries} ORDER BY 1").fetchall()]
    digest = hashlib.sha256("\n".join(ids).encode()).hexdigest()[:16]
    detail: dict[str, Any] = {"deliveries": int(total[0]) if total else 0, "digest": digest}
    if "table_name" in columns or {"partner", "dataset"} <= columns:
        key = "table_name" if "table_name" in columns else "partner || '__' || dataset"
        detail["latest"] = {
            str(k): str(v)
            for k, v in con.execute(
                f"SELECT {key}, max(delivery_id) FROM {deliveries} GROUP BY 1 ORDER BY 1"
            ).fetchall()
        }
    return f"{detail['deliveries']} deliveries, sha256:{digest}", detail


def read_publish_log(published: Path) -> list[dict[str, Any]]:
    """The publication history of a published file (oldest first); empty if there is none yet."""
    if not published.exists():
        return []
    with duckdb.connect(str(published), read_only=True) as con:
        present = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' AND table_name = ?",
            [PUBLISH_LOG_TABLE],
        ).fetchone()
        if not present or not present[0]:
            return []
        cursor = con.execute(f"SELECT * FROM main.{PUBLISH_LOG_TABLE} ORDER BY published_at")
        names = [d[0] for d in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def publish(
    warehouse: Path,
    published: Path,
    *,
    run_id: str,
    gate: GateFn | None = None,
    suppress: SuppressFn | None = None,
    index_fingerprint: str | None = None,
    source_schema: str = SOURCE_SCHEMA,
) -> PublicationResult:
    """Build the new published file from ``warehouse``'s marts and swap it in atomically.

    The caller must hold the warehouse writer slot: DuckDB refuses a read-only attach while another
    process has the warehouse open for writing. Raises ``PublishBlocked`` when the gate refuses the
    new file; any other exception propagates. In both cases the previous file is untouched.
    """
    if not warehouse.exists():
        raise ObservatoireError(f"no warehouse at {warehouse}: build it before publishing")
    published.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_path(published, run_id)
    _remove_database_files(tmp)  # a leftover of a crashed attempt of the same run
    try:
        result = _build_and_swap(
            warehouse,
            published,
            tmp,
            run_id=run_id,
            gate=gate,
            suppress=suppress,
            index_fingerprint=index_fingerprint,
            source_schema=source_schema,
        )
    except BaseException:
        _remove_database_files(tmp)
        raise
    return result


def _build_and_swap(
    warehouse: Path,
    published: Path,
    tmp: Path,
    *,
    run_id: str,
    gate: GateFn | None,
    suppress: SuppressFn | None,
    index_fingerprint: str | None,
    source_schema: str,
) -> PublicationResult:
    rows: dict[str, int] = {}
    suppressed: dict[str, int] = {}
    with duckdb.connect(str(tmp)) as con:
        # Attach under the warehouse's own catalog name (its file stem): dbt-duckdb writes views with
        # fully qualified names (warehouse.marts.x), which resolve only under that name.
        alias = warehouse.stem
        current = con.execute("SELECT current_database()").fetchone()
        if current is not None and current[0] == alias:
            raise ObservatoireError(f"the published file cannot share the warehouse's name {alias!r}")
        con.execute(f"ATTACH {_quote_literal(str(warehouse))} AS {_quote_ident(alias)} (READ_ONLY)")
        relations = _source_relations(con, alias, source_schema)
        if not relations:
            raise ObservatoireError(f"the warehouse has no table in schema {source_schema!r}: nothing to publish")
        if PUBLISH_LOG_TABLE in relations:
            raise ObservatoireError(f"the warehouse's {source_schema}.{PUBLISH_LOG_TABLE} would shadow the log")
        for name in relations:
            ident = _quote_ident(name)
            # CREATE TABLE AS materialises views too, so the file has no dependency on the warehouse.
            con.execute(
                f"CREATE TABLE main.{ident} AS SELECT * FROM {_quote_ident(alias)}.{_quote_ident(source_schema)}.{ident}"
            )
        snapshot, snapshot_detail = _data_snapshot(con, alias)
        con.execute(f"DETACH {_quote_ident(alias)}")
        if suppress is not None:
            suppressed = {str(k): int(v) for k, v in suppress(con).items()}
        for name in relations:
            count = con.execute(f"SELECT count(*) FROM main.{_quote_ident(name)}").fetchone()
            rows[name] = int(count[0]) if count else 0
        con.execute("CHECKPOINT")

    outcome = gate(tmp) if gate is not None else GateOutcome(True, {"gate": "none configured"})
    if not outcome.passed:
        raise PublishBlocked(
            f"the publish gate refused run {run_id}: the previous published file is kept", outcome
        )

    published_at = datetime.now(UTC)
    with duckdb.connect(str(tmp)) as con:
        con.execute(_PUBLISH_LOG_DDL)
        previous = 0
        if published.exists():
            con.execute(f"ATTACH {_quote_literal(str(published))} AS prev (READ_ONLY)")
            has_log = con.execute(
                "SELECT count(*) FROM information_schema.tables "
                "WHERE table_catalog = 'prev' AND table_schema = 'main' AND table_name = ?",
                [PUBLISH_LOG_TABLE],
            ).fetchone()
            if has_log and has_log[0]:
                # BY NAME keeps old rows readable even if this version added columns to the log.
                con.execute(f"INSERT INTO main.{PUBLISH_LOG_TABLE} BY NAME SELECT * FROM prev.main.{PUBLISH_LOG_TABLE}")
                counted = con.execute(f"SELECT count(*) FROM main.{PUBLISH_LOG_TABLE}").fetchone()
                previous = int(counted[0]) if counted else 0
            con.execute("DETACH prev")
        con.execute(
            f"INSERT INTO main.{PUBLISH_LOG_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                published_at,
                len(rows),
                json.dumps(rows, sort_keys=True),
                outcome.passed,
                json.dumps(dict(outcome.summary), sort_keys=True, default=str),
                json.dumps(suppressed, sort_keys=True),
                index_fingerprint,
                snapshot,
                json.dumps(snapshot_detail, sort_keys=True) if snapshot_detail is not None else None,
            ],
        )
        con.execute("CHECKPOINT")

    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, published)
    _fsync_directory(published.parent)
    log.info("published %s (%d tables, run %s)", published, len(rows), run_id)
    return PublicationResult(
        run_id=run_id,
        path=published,
        published_at=published_at,
        rows_per_table=rows,
        gate=outcome,
        cells_suppressed=suppressed,
        index_fingerprint=index_fingerprint,
        data_snapshot=snapshot,
        previous_publications=previous,
    )

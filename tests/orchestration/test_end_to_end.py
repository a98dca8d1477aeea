"""The whole job through Airflow on a small generated period (60 days, scale 0.3).

``observatoire demo --days 60`` runs every ingestion DAG and ``build_warehouse`` with ``dag.test()``;
the published file must hold the marts, the similarity tables and a publish log entry. Then a
failing gate and a failing task must leave the published file byte for byte unchanged.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from .support import built_demo_home, run_cli

EXPECTED_TABLES = {
    "fct_event",
    "fct_event_conflict",
    "event_similarity",
    "similarity_parameters",
    "similarity_evaluation",
    "publish_log",
}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    home, done = built_demo_home(tmp_path_factory.getbasetemp())
    return home, done.stdout if done is not None else ""


@pytest.mark.slow
def test_demo_publishes_every_table_with_a_log_entry(demo: tuple[Path, str]) -> None:
    home, stdout = demo
    published = home / "published" / "observatoire.duckdb"
    with duckdb.connect(str(published), read_only=True) as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()}
        assert EXPECTED_TABLES <= tables
        assert any(t.startswith("dim_") for t in tables)
        for table in EXPECTED_TABLES:
            row = con.execute(f'SELECT count(*) FROM main."{table}"').fetchone()
            assert row is not None and row[0] > 0, table
        log = con.execute("SELECT run_id, gate_passed, rows_per_table, index_fingerprint FROM publish_log").fetchall()
    assert len(log) == 1
    run_id, gate_passed, rows, fingerprint = log[0]
    assert gate_passed is True and run_id.startswith("manual__") and fingerprint
    assert json.loads(rows)["fct_event"] > 0
    assert not list(published.parent.glob("*.tmp-*"))
    for docs in ("dbt/index.html", "transparency"):
        assert (home / "docs" / docs).exists(), docs
    if stdout:
        assert "Similar past events" in stdout and "Published file" in stdout


@pytest.mark.slow
def test_failing_gate_blocks_publication_and_keeps_the_file(demo: tuple[Path, str]) -> None:
    home, _ = demo
    published = home / "published" / "observatoire.duckdb"
    before = _digest(published)
    warehouse = home / "warehouse" / "warehouse.duckdb"
    # A table nobody declared, holding an e-mail address: the publish gate must refuse it.
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE TABLE marts.contact_export AS SELECT 'jean.dupont@example.org' AS contact")
    try:
        done = run_cli(home, "run", "--dag", "build_warehouse")
    finally:
        with duckdb.connect(str(warehouse)) as con:
            con.execute("DROP TABLE IF EXISTS marts.contact_export")
    assert done.returncode == 3, done.stdout[-3000:] + done.stderr[-3000:]
    assert "publish_gate (failed)" in done.stdout
    assert _digest(published) == before
    assert not list(published.parent.glob("*.tmp-*"))


@pytest.mark.slow
def test_failing_task_keeps_the_published_file(demo: tuple[Path, str], tmp_path: Path) -> None:
    home, _ = demo
    published = home / "published" / "observatoire.duckdb"
    before = _digest(published)
    # dbt cannot open a warehouse that is a directory: the build fails before anything is published.
    broken = tmp_path / "not-a-database"
    broken.mkdir()
    done = run_cli(home, "run", "--dag", "build_warehouse", OBSERVATOIRE_WAREHOUSE=str(broken))
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    assert "dbt_producer_watcher (failed)" in done.stdout
    assert _digest(published) == before


def _published_rows(published: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every published table's rows, sorted. Left out: the publish log, which grows per run, and the upcoming
    conflicts, which depend on the clock (events that ended between two builds leave it)."""
    with duckdb.connect(str(published), read_only=True) as con:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()]
        return {
            table: sorted(con.execute(f'SELECT * FROM main."{table}"').fetchall(), key=repr)
            for table in tables
            if table not in ("publish_log", "upcoming_event_conflicts")
        }


@pytest.mark.slow
def test_rebuild_from_landing_republishes_the_same_data(demo: tuple[Path, str]) -> None:
    """``observatoire rebuild`` (raw reloaded from landing, full refresh, whole index) publishes exactly what
    the incremental pipeline published, with one more publish-log entry."""
    home, _ = demo
    published = home / "published" / "observatoire.duckdb"
    before = _published_rows(published)
    with duckdb.connect(str(published), read_only=True) as con:
        runs_before = con.execute("SELECT count(*) FROM publish_log").fetchone()
    done = run_cli(home, "rebuild", "--no-docs")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "rebuilt and published" in done.stdout
    after = _published_rows(published)
    assert sorted(after) == sorted(before)
    for table, rows in before.items():
        assert after[table] == rows, f"{table} differs after the rebuild"
    with duckdb.connect(str(published), read_only=True) as con:
        runs_after = con.execute("SELECT count(*), max(run_id) FROM publish_log").fetchone()
    assert runs_before is not None and runs_after is not None
    assert runs_after[0] == runs_before[0] + 1 and str(runs_after[1]).startswith("rebuild__")

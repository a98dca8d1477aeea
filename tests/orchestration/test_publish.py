"""Atomic publication: swap in one rename, readers of the old file unaffected, failures change nothing."""

from __future__ import annotations

import multiprocessing
from json import loads as json_loads
from pathlib import Path

import duckdb
import pytest

from observatoire import publish as publish_module
from observatoire.publish import GateOutcome, PublishBlocked, publish, read_publish_log


def _make_warehouse(path: Path, events: int) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA marts; CREATE SCHEMA raw")
        con.execute(
            "CREATE TABLE marts.fct_event AS SELECT 'e' || i AS event_id, i AS participants FROM range(?) t(i)",
            [events],
        )
        con.execute("CREATE TABLE marts.dim_nature AS SELECT 'concert' AS nature")
        # dbt-duckdb qualifies names with the catalog (the file stem), as here.
        catalog = path.stem
        con.execute(f"CREATE VIEW marts.v_counts AS SELECT count(*) AS n FROM {catalog}.marts.fct_event")
        con.execute("CREATE TABLE raw._deliveries (delivery_id VARCHAR, table_name VARCHAR)")
        con.execute("INSERT INTO raw._deliveries VALUES ('d1', 'ville__evenements'), ('d2', 'smtpc__comptages')")


def _passing(_: Path) -> GateOutcome:
    return GateOutcome(True, {"checks": 3, "failures": 0})


def _count(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        row = con.execute("SELECT count(*) FROM fct_event").fetchone()
        assert row is not None
        return int(row[0])


@pytest.fixture()
def layout(tmp_path: Path) -> tuple[Path, Path]:
    warehouse = tmp_path / "warehouse.duckdb"
    published = tmp_path / "published" / "observatoire.duckdb"
    _make_warehouse(warehouse, 10)
    return warehouse, published


def test_publish_copies_marts_into_main_and_logs(layout: tuple[Path, Path]) -> None:
    warehouse, published = layout
    result = publish(warehouse, published, run_id="run-1", gate=_passing, index_fingerprint="abc")
    assert result.rows_per_table == {"dim_nature": 1, "fct_event": 10, "v_counts": 1}
    with duckdb.connect(str(published), read_only=True) as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name='main'").fetchall()}
        assert tables == {"dim_nature", "fct_event", "v_counts", "publish_log"}
        # Views were materialised: the file does not depend on the warehouse.
        assert not con.execute("SELECT * FROM duckdb_views() WHERE NOT internal").fetchall()
    entries = read_publish_log(published)
    assert len(entries) == 1
    assert entries[0]["run_id"] == "run-1" and entries[0]["gate_passed"] is True
    assert entries[0]["index_fingerprint"] == "abc"
    assert entries[0]["data_snapshot"].startswith("2 deliveries")
    assert not list(published.parent.glob("*.tmp-*"))


def test_publish_log_carries_previous_entries(layout: tuple[Path, Path]) -> None:
    warehouse, published = layout
    publish(warehouse, published, run_id="run-1", gate=_passing)
    second = publish(warehouse, published, run_id="run-2", gate=_passing)
    assert second.previous_publications == 1
    assert [e["run_id"] for e in read_publish_log(published)] == ["run-1", "run-2"]


def _reader(path: str, ready: multiprocessing.synchronize.Event, go: multiprocessing.synchronize.Event,
            out: multiprocessing.queues.Queue) -> None:  # type: ignore[type-arg]
    con = duckdb.connect(path, read_only=True)
    before = con.execute("SELECT count(*), sum(participants) FROM fct_event").fetchone()
    ready.set()
    go.wait(60)
    after = con.execute("SELECT count(*), sum(participants) FROM fct_event").fetchone()
    out.put((before, after))
    con.close()


def test_reader_of_old_file_keeps_working(layout: tuple[Path, Path], tmp_path: Path) -> None:
    warehouse, published = layout
    publish(warehouse, published, run_id="run-1", gate=_passing)
    # Same connection in this process …
    old_reader = duckdb.connect(str(published), read_only=True)
    # … and one in another process, both opened before the swap.
    ctx = multiprocessing.get_context("spawn")
    ready, go, out = ctx.Event(), ctx.Event(), ctx.Queue()
    proc = ctx.Process(target=_reader, args=(str(published), ready, go, out))
    proc.start()
    assert ready.wait(60)

    bigger = tmp_path / "bigger.duckdb"
    _make_warehouse(bigger, 25)
    publish(bigger, published, run_id="run-2", gate=_passing)

    go.set()
    before, after = out.get(timeout=60)
    proc.join(60)
    assert before == after == (10, 45)
    assert old_reader.execute("SELECT count(*) FROM fct_event").fetchone() == (10,)
    old_reader.close()
    assert _count(published) == 25


def test_failing_gate_leaves_previous_file(layout: tuple[Path, Path], tmp_path: Path) -> None:
    warehouse, published = layout
    publish(warehouse, published, run_id="run-1", gate=_passing)
    before = published.read_bytes()
    bigger = tmp_path / "bigger.duckdb"
    _make_warehouse(bigger, 25)

    def refusing(_: Path) -> GateOutcome:
        return GateOutcome(False, {"failures": ["fct_event.email: e-mail addresses found"]})

    with pytest.raises(PublishBlocked) as caught:
        publish(bigger, published, run_id="run-2", gate=refusing)
    assert caught.value.exit_code == 3
    assert published.read_bytes() == before
    assert [e["run_id"] for e in read_publish_log(published)] == ["run-1"]
    assert not list(published.parent.glob("*.tmp-*"))


def test_exception_mid_copy_leaves_previous_file(
    layout: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse, published = layout
    publish(warehouse, published, run_id="run-1", gate=_passing)
    before = published.read_bytes()
    bigger = tmp_path / "bigger.duckdb"
    _make_warehouse(bigger, 25)

    def boom(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        publish(bigger, published, run_id="run-2", gate=_passing, suppress=boom)
    assert published.read_bytes() == before
    assert not list(published.parent.glob("*.tmp-*"))

    # A crash at the very last step (the rename) must not leave a half state either.
    def failing_replace(src: object, dst: object) -> None:
        raise OSError("rename failed")

    monkeypatch.setattr(publish_module.os, "replace", failing_replace)
    with pytest.raises(OSError):
        publish(bigger, published, run_id="run-3", gate=_passing)
    assert published.read_bytes() == before
    assert not list(published.parent.glob("*.tmp-*"))


def test_suppression_is_applied_before_the_gate(layout: tuple[Path, Path]) -> None:
    warehouse, published = layout
    seen: list[int] = []

    def suppress(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
        con.execute("UPDATE main.fct_event SET participants = NULL WHERE participants < 5")
        return {"fct_event": 5}

    def gate(path: Path) -> GateOutcome:
        with duckdb.connect(str(path), read_only=True) as con:
            row = con.execute("SELECT count(*) FROM fct_event WHERE participants IS NULL").fetchone()
            assert row is not None
            seen.append(int(row[0]))
        return GateOutcome(True)

    result = publish(warehouse, published, run_id="run-1", gate=gate, suppress=suppress)
    assert seen == [5]
    assert result.cells_suppressed == {"fct_event": 5}


# ------------------------------------------------------------- the warehouse DAG's gate and publication


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An OBSERVATOIRE_HOME whose warehouse holds clean marts (every published table)."""
    from tests.privacy.marts import build_clean_published

    home = tmp_path / "home"
    monkeypatch.setenv("OBSERVATOIRE_HOME", str(home))
    monkeypatch.setenv("GX_ANALYTICS_ENABLED", "False")
    clean = build_clean_published(tmp_path / "clean.duckdb")
    (home / "warehouse").mkdir(parents=True)
    with duckdb.connect(str(home / "warehouse" / "warehouse.duckdb")) as con:
        con.execute(f"ATTACH '{clean}' AS clean (READ_ONLY)")
        con.execute("CREATE SCHEMA marts")
        for (table,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'clean' AND table_name <> 'publish_log'"
        ).fetchall():
            con.execute(f'CREATE TABLE marts."{table}" AS SELECT * FROM clean.main."{table}"')
    return home


def test_marts_precheck_is_engine_only_and_publication_gates_once_with_evidence(home: Path) -> None:
    from observatoire.orchestration import warehouse

    precheck = warehouse.check_marts()
    assert precheck["passed"] and precheck["evidence"] == "rules engine only"
    assert precheck["timing"]["cpu_s"] > 0 and "gx_validate_cpu_s" not in precheck["timing"]
    assert not (home / "docs" / "data_docs").exists()  # no second GX run of the same tables

    extra = warehouse.publish_marts("run-1", {"fingerprint": "f"}, precheck)
    gate = extra["gate"]
    assert extra["gate_passed"] and gate["evidence"] == "great_expectations"
    assert {"cpu_s", "wall_s", "engine_cpu_s", "gx_validate_cpu_s", "data_docs_cpu_s"} <= set(gate["timing"])
    assert extra["warehouse_gate"] == precheck
    pages = list((home / "docs" / "data_docs" / "validations").rglob("*.html"))
    assert len(pages) == 2  # one GX run: the data of every table, and the engine's outcome
    (entry,) = read_publish_log(home / "published" / "observatoire.duckdb")
    assert json_loads(entry["gate_summary"])["timing"]["cpu_s"] > 0


def test_refused_marts_block_publication_with_evidence(home: Path) -> None:
    from observatoire.orchestration import warehouse

    with duckdb.connect(str(home / "warehouse" / "warehouse.duckdb")) as con:
        con.execute("UPDATE marts.dim_place SET place_name = 'Chez M. Dupont, 06 12 34 56 78'")
    with pytest.raises(PublishBlocked) as caught:
        warehouse.check_marts()
    assert caught.value.exit_code == 3
    assert caught.value.gate.summary["evidence"] == "great_expectations"  # the refusal is in Data Docs
    assert (home / "docs" / "data_docs" / "index.html").is_file()
    assert not (home / "published" / "observatoire.duckdb").exists()


def test_publication_gate_refuses_what_appears_after_the_precheck(home: Path) -> None:
    """The similarity tables are built after the pre-check: the gate of record sees them."""
    from observatoire.orchestration import warehouse

    precheck = warehouse.check_marts()
    extra = warehouse.publish_marts("run-1", {}, precheck)
    published = home / "published" / "observatoire.duckdb"
    before = published.read_bytes()
    with duckdb.connect(str(home / "warehouse" / "warehouse.duckdb")) as con:
        con.execute("CREATE TABLE marts.similarity_debug AS SELECT 'jean.dupont@example.fr' AS contact")
    with pytest.raises(PublishBlocked):
        warehouse.publish_marts("run-2", {}, precheck)
    assert published.read_bytes() == before
    assert extra["gate_passed"]

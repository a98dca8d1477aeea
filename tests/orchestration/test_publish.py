"""Atomic publication: swap in one rename, readers of the old file unaffected, failures change nothing."""

from __future__ import annotations

import multiprocessing
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

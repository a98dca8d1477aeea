"""Incremental builds write exactly the tables a full rebuild writes, and recompute only what can change."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from observatoire.similarity import columns as c
from observatoire.similarity.build import BuildResult, build_similarity_index
from observatoire.similarity.config import load_config

from .synthetic import synthetic_frame, write_warehouse

TABLES = {
    "marts.event_similarity": "event_id, rank",
    "marts.similarity_evaluation": "outcome, method",
    "marts.similarity_parameters": "position",
}


def _tables(path: Path) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {
            name: con.execute(f"SELECT * FROM {name} ORDER BY {order}").fetchdf()
            for name, order in TABLES.items()
        }


def _assert_same_as_full(warehouse: Path, tmp_path: Path, result: BuildResult) -> None:
    """The tables of ``warehouse`` equal those of a full rebuild of a copy, value for value."""
    copy = tmp_path / f"full-{result.data_snapshot_id[7:15]}.duckdb"
    shutil.copy(warehouse, copy)
    full = build_similarity_index(copy, artefact=tmp_path / "full.joblib", full=True)
    assert full.mode == "full" and full.reason == "requested"
    assert (full.pairs, full.data_snapshot_id) == (result.pairs, result.data_snapshot_id)
    got, expected = _tables(warehouse), _tables(copy)
    for name in TABLES:
        assert list(got[name].columns) == list(expected[name].columns), name
        pd.testing.assert_frame_equal(got[name], expected[name], check_exact=True, obj=name)


def _execute(path: Path, *statements: str) -> None:
    with duckdb.connect(str(path)) as con:
        for statement in statements:
            con.execute(statement)


def _later_day(frame: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """``n`` events on the day after the last one, with ids the frame does not use."""
    day = synthetic_frame(n, seed=seed, years=1 / 365, duplicates=0.2)
    shift = frame[c.STARTS_AT].max().normalize() + pd.Timedelta(days=1) - day[c.STARTS_AT].min().normalize()
    day[c.STARTS_AT] = day[c.STARTS_AT] + shift
    day[c.ENDS_AT] = day[c.ENDS_AT] + shift
    day[c.EVENT_ID] = [f"new{i:04d}" for i in range(n)]
    return day


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return write_warehouse(tmp_path / "warehouse.duckdb", synthetic_frame(1200, seed=31, years=3.0))


def test_first_build_is_full_then_nothing_to_recompute(warehouse: Path, tmp_path: Path) -> None:
    first = build_similarity_index(warehouse)
    assert (first.mode, first.reason, first.recomputed_events) == ("full", "no previous index build", 1200)
    again = build_similarity_index(warehouse)
    assert (again.mode, again.recomputed_events, again.scored_pairs) == ("incremental", 0, 0)
    assert again.pairs == first.pairs
    _assert_same_as_full(warehouse, tmp_path, again)


def test_added_day_modified_and_removed_events_equal_full_rebuild(warehouse: Path, tmp_path: Path) -> None:
    build_similarity_index(warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        frame = con.execute("SELECT * FROM marts.fct_event").fetchdf()
        old = con.execute(
            "SELECT event_id, starts_at FROM marts.fct_event ORDER BY starts_at, event_id LIMIT 1 OFFSET 900"
        ).fetchone()
        removed = con.execute(
            "SELECT event_id FROM marts.fct_event ORDER BY starts_at, event_id LIMIT 1 OFFSET 1000"
        ).fetchone()
    assert old is not None and removed is not None
    day = _later_day(frame, 12, seed=5)
    with duckdb.connect(str(warehouse)) as con:
        con.register("day", day)
        con.execute("INSERT INTO marts.fct_event BY NAME SELECT * FROM day")
        con.execute(
            "UPDATE marts.fct_event SET participants = participants * 3 + 7 WHERE event_id = ?", [old[0]]
        )
        con.execute("DELETE FROM marts.fct_event WHERE event_id = ?", [removed[0]])
        con.execute("UPDATE marts.fct_event SET offences_total = offences_total + 1")  # outcomes only
    result = build_similarity_index(warehouse)
    assert result.mode == "incremental"
    assert (result.new_events, result.removed_events, result.changed_events) == (12, 1, 1)
    # Every event from the modified one on (the 901st of 1,211), and only those, is recomputed.
    assert result.recomputed_events == 1211 - 900
    _assert_same_as_full(warehouse, tmp_path, result)


def test_only_later_events_added_recomputes_only_them(warehouse: Path, tmp_path: Path) -> None:
    build_similarity_index(warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        frame = con.execute("SELECT * FROM marts.fct_event").fetchdf()
    with duckdb.connect(str(warehouse)) as con:
        con.register("day", _later_day(frame, 9, seed=6))
        con.execute("INSERT INTO marts.fct_event BY NAME SELECT * FROM day")
    result = build_similarity_index(warehouse)
    assert (result.mode, result.recomputed_events, result.new_events) == ("incremental", 9, 9)
    _assert_same_as_full(warehouse, tmp_path, result)


def test_took_place_and_start_changes_count(warehouse: Path, tmp_path: Path) -> None:
    build_similarity_index(warehouse)
    _execute(
        warehouse,
        "UPDATE marts.fct_event SET took_place = NOT took_place WHERE event_id = "
        "(SELECT event_id FROM marts.fct_event ORDER BY starts_at, event_id LIMIT 1 OFFSET 1100)",
        # Moved later: its former start (the 601st) is where recomputing starts.
        "UPDATE marts.fct_event SET starts_at = starts_at + INTERVAL 400 DAY WHERE event_id = "
        "(SELECT event_id FROM marts.fct_event ORDER BY starts_at, event_id LIMIT 1 OFFSET 600)",
    )
    result = build_similarity_index(warehouse)
    assert (result.mode, result.changed_events, result.recomputed_events) == ("incremental", 2, 600)
    _assert_same_as_full(warehouse, tmp_path, result)


def test_configuration_change_or_tampering_means_full_rebuild(warehouse: Path) -> None:
    build_similarity_index(warehouse)
    changed = build_similarity_index(warehouse, config=load_config().with_weights(location=3))
    assert (changed.mode, changed.reason) == ("full", "the configuration changed")
    _execute(warehouse, "DELETE FROM marts.event_similarity WHERE rank = 1")
    tampered = build_similarity_index(warehouse, config=load_config().with_weights(location=3))
    assert tampered.mode == "full" and "not what the previous build wrote" in tampered.reason
    _execute(warehouse, "DROP SCHEMA similarity_state CASCADE")
    lost = build_similarity_index(warehouse, config=load_config().with_weights(location=3))
    assert (lost.mode, lost.reason) == ("full", "no previous index build")


def test_state_tables_are_not_in_the_published_schema(warehouse: Path) -> None:
    build_similarity_index(warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        marts = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts'"
            ).fetchall()
        }
        state = con.execute(
            "SELECT count(*), count(DISTINCT event_id) FROM similarity_state.event_state"
        ).fetchone()
    assert not {"event_state", "build"} & marts
    assert state == (1200, 1200)


def test_a_failed_build_leaves_the_previous_tables(
    warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from observatoire.similarity import build as build_module
    from observatoire.similarity.storage import Edit

    build_similarity_index(warehouse)
    before = _tables(warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        frame = con.execute("SELECT * FROM marts.fct_event").fetchdf()
        state = con.execute("SELECT * FROM similarity_state.event_state ORDER BY event_id").fetchdf()
    with duckdb.connect(str(warehouse)) as con:
        con.register("day", _later_day(frame, 7, seed=8))
        con.execute("INSERT INTO marts.fct_event BY NAME SELECT * FROM day")

    original = build_module.incremental_edits

    def failing(*args: object) -> list[Edit]:
        return [*original(*args), Edit("SELECT * FROM no_such_table")]  # type: ignore[arg-type]

    monkeypatch.setattr(build_module, "incremental_edits", failing)
    with pytest.raises(duckdb.Error):
        build_similarity_index(warehouse)
    after = _tables(warehouse)
    for name in TABLES:
        pd.testing.assert_frame_equal(after[name], before[name], check_exact=True, obj=name)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        kept_state = con.execute("SELECT * FROM similarity_state.event_state ORDER BY event_id").fetchdf()
        leftovers = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '__staging_%'"
        ).fetchone()
    pd.testing.assert_frame_equal(kept_state, state)
    assert leftovers == (0,)
    monkeypatch.undo()
    result = build_similarity_index(warehouse)
    assert (result.mode, result.recomputed_events) == ("incremental", 7)
    _assert_same_as_full(warehouse, tmp_path, result)

"""An incremental build after a day of deliveries (with late corrections) equals a full rebuild.

The session's fixture warehouse (tests/dbt/conftest.py, already built) is copied twice; one more day of
deliveries with corrections of past records (tests/dbt/dbt_increment_fixture.py) is loaded into both;
one copy is built incrementally, the other with ``--full-refresh``, both with the production arguments
(no unit tests). Every mart must hold exactly the same rows (EXCEPT ALL, both ways), and so must the
incremental models (bookkeeping watermarks aside); the increment must have changed what it says, and the
incremental run must have left untouched rows alone.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

try:  # tests/ is a package (tests.dbt), or tests/dbt is on sys.path
    from .conftest import run_dbt
    from .dbt_increment_fixture import INCREMENT_LOADED_AT, apply_increment
    from .dbt_raw_fixture import EXPECTED_EVENT_COUNT, LOADED_AT
except ImportError:  # pragma: no cover
    from conftest import run_dbt  # type: ignore[no-redef]
    from dbt_increment_fixture import INCREMENT_LOADED_AT, apply_increment  # type: ignore[no-redef]
    from dbt_raw_fixture import EXPECTED_EVENT_COUNT, LOADED_AT  # type: ignore[no-redef]

pytestmark = pytest.mark.timeout(900)

# what the production build runs (orchestration/dbt.py, the benchmark): unit tests are for CI
PRODUCTION_BUILD = ["build", "--exclude-resource-type", "unit_test"]

# incremental models and their bookkeeping columns (watermarks differ by design: when a row was computed)
INCREMENTAL_MODELS = {
    "staging.stg_ville__activite_police_municipale": [],
    "staging.stg_smtpc__comptages": [],
    "intermediate.int_police_activity_cells_located": [],
    "intermediate.int_police_activity_cell_hours": [],
    "intermediate.int_tunnel_traffic_hourly": [],
    "intermediate.int_tunnel_traffic_usual_levels": ["counts_loaded_at"],
    "intermediate.int_event_outcomes_police": ["activity_loaded_at"],
    "intermediate.int_event_outcomes_tunnel": ["counts_loaded_at", "closures_loaded_at"],
    "intermediate.int_event_outcomes_rtm": ["disruptions_loaded_at"],
    "intermediate.int_event_conflict_sets": ["context_loaded_at"],
}


@dataclass
class IncrementalPair:
    incremental: Path
    full: Path
    incremental_result: object
    full_result: object

    def query(self, which: str, sql: str, params: list | None = None) -> list[tuple]:
        con = duckdb.connect(str(self.incremental if which == "incremental" else self.full), read_only=True)
        try:
            con.execute("set timezone = 'UTC'")
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()


def _copy_warehouse(source: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)
    wal = source.with_name(source.name + ".wal")
    if wal.exists():
        shutil.copy2(wal, target.with_name(target.name + ".wal"))
    return target


@pytest.fixture(scope="module")
def incremental_pair(dbt_build, tmp_path_factory: pytest.TempPathFactory) -> IncrementalPair:
    assert dbt_build.result.success, "the fixture's first build failed"
    root = tmp_path_factory.mktemp("dbt_incremental")
    incremental = _copy_warehouse(dbt_build.warehouse, root / "incremental" / "warehouse.duckdb")
    apply_increment(incremental)
    full = _copy_warehouse(incremental, root / "full" / "warehouse.duckdb")
    incremental_result = run_dbt(PRODUCTION_BUILD, incremental, root / "target_incremental")
    full_result = run_dbt([*PRODUCTION_BUILD, "--full-refresh"], full, root / "target_full")
    return IncrementalPair(incremental, full, incremental_result, full_result)


def _failures(result) -> list[str]:
    return [f"{r.node.unique_id}: {r.status} {r.message}" for r in result.result if str(r.status) not in ("success", "pass")]


def test_both_builds_succeed_without_unit_tests(incremental_pair):
    for result in (incremental_pair.incremental_result, incremental_pair.full_result):
        assert result.success, _failures(result)
        assert "unit_test" not in {str(r.node.resource_type) for r in result.result}


def _differences(pair: IncrementalPair, relation: str, excluded: list[str]) -> tuple[int, int, int]:
    columns = f"* exclude ({', '.join(excluded)})" if excluded else "*"
    con = duckdb.connect()
    try:
        con.execute("set timezone = 'UTC'")
        con.execute(f"attach '{pair.incremental}' as incremental (read_only)")
        con.execute(f"attach '{pair.full}' as full_refresh (read_only)")
        one = f"select {columns} from incremental.{relation}"
        other = f"select {columns} from full_refresh.{relation}"
        only_incremental = con.execute(f"select count(*) from ({one} except all {other})").fetchone()[0]
        only_full = con.execute(f"select count(*) from ({other} except all {one})").fetchone()[0]
        rows = con.execute(f"select count(*) from ({one})").fetchone()[0]
        return only_incremental, only_full, rows
    finally:
        con.close()


def test_every_mart_equals_a_full_refresh(incremental_pair):
    marts = {
        row[0]
        for row in incremental_pair.query(
            "full", "select table_name from duckdb_tables() where schema_name = 'marts'"
        )
    }
    assert {"fct_event", "fct_event_conflict", "upcoming_event_conflicts", "dim_place", "dim_nature"} <= marts
    views = incremental_pair.query("full", "select view_name from duckdb_views() where schema_name = 'marts'")
    assert views == []  # every mart is a table (publishing copies tables)
    for table in sorted(marts):
        only_incremental, only_full, rows = _differences(incremental_pair, f"marts.{table}", [])
        assert (only_incremental, only_full) == (0, 0), (table, only_incremental, only_full)
        assert rows > 0 or table == "upcoming_event_conflicts", table


def test_incremental_models_equal_a_full_refresh(incremental_pair):
    for relation, bookkeeping in INCREMENTAL_MODELS.items():
        only_incremental, only_full, rows = _differences(incremental_pair, relation, bookkeeping)
        assert (only_incremental, only_full) == (0, 0), (relation, only_incremental, only_full)
        assert rows > 0, relation


def _event(pair: IncrementalPair, source_id: str) -> dict:
    rows = pair.query(
        "incremental",
        "select * from marts.fct_event where list_contains(string_split(source_ids, ','), ?)",
        [source_id],
    )
    assert len(rows) == 1, source_id
    names = [
        row[0]
        for row in pair.query(
            "incremental",
            "select column_name from duckdb_columns() where schema_name = 'marts' and table_name = 'fct_event' "
            "order by column_index",
        )
    ]
    return dict(zip(names, rows[0], strict=True))


def test_the_increment_changed_what_it_says(incremental_pair):
    pair = incremental_pair
    # + the 3 May concert (with its DataTourisme duplicate) and cortège; DT-2 joins the city's exhibition
    assert pair.query("incremental", "select count(*) from marts.fct_event")[0][0] == EXPECTED_EVENT_COUNT + 2
    concert = _event(pair, "ville:ville__evenements:VE-7")
    assert "metropole:metropole__datatourisme_poi:DT-5" in concert["source_ids"]
    assert concert["conflict_count"] == 1 and concert["offences_atteinte_personnes"] == 6
    exhibition = _event(pair, "ville:ville__evenements:VE-8")
    assert "metropole:metropole__datatourisme_poi:DT-2" in exhibition["source_ids"]
    cortege = _event(pair, "prefecture:prefecture__manifestations:C-0503")
    assert "prefecture:prefecture__operations_programmees:OP-4" in cortege["source_ids"]
    assert "metropole:metropole__perturbations_rtm:RTM-3" in cortege["source_ids"]
    assert cortege["offences_total"] == 3 and cortege["tunnel_closures"] == 1
    # late corrections
    march = _event(pair, "prefecture:prefecture__manifestations:C-0501")
    assert march["participants"] == 6000
    assert march["offences_tranquillite"] == 9
    assert march["tunnel_closures"] == 1 and march["tunnel_incidents"] == 1
    assert march["tunnel_traffic_deviation_pct"] == pytest.approx(-18.18, abs=0.01)
    match = _event(pair, "ville:ville__evenements:VE-2")
    assert (match["status"], match["took_place"]) == ("cancelled", False)
    marsatac = _event(pair, "ville:ville__evenements:VE-1")
    assert marsatac["offences_total"] == 9 + 4
    assert marsatac["rtm_disruptions"] == 0  # RTM-2 moved to 25 June
    carnival = _event(pair, "ville:ville__evenements:VE-4")
    assert carnival["tunnel_incidents"] == 0  # TI-0 moved to 12 March
    upcoming = pair.query("incremental", "select conflict_kind, conflicting_id from marts.upcoming_event_conflicts")
    assert upcoming == [("works", "ville:ville__arretes_circulation:AR-4")]


def test_the_incremental_run_left_untouched_rows_alone(incremental_pair):
    """Rows of events the increment does not concern keep the watermark of the first build."""
    pair = incremental_pair
    visit_police, visit_conflicts = pair.query(
        "incremental",
        "select police.activity_loaded_at, conflicts.context_loaded_at "
        "from intermediate.int_event_outcomes_police as police "
        "inner join intermediate.int_event_conflict_sets as conflicts using (event_id) "
        "where event_id = md5('prefecture:prefecture__visites_officielles:V-1')",
    )[0]
    first_build, increment = pair.query(
        "incremental", f"select timestamptz '{LOADED_AT}', timestamptz '{INCREMENT_LOADED_AT}'"
    )[0]
    assert visit_police == first_build and visit_conflicts == first_build
    march_police = pair.query(
        "incremental",
        "select activity_loaded_at from intermediate.int_event_outcomes_police "
        "where event_id = md5('prefecture:prefecture__manifestations:C-0501')",
    )[0][0]
    assert march_police == increment
    # the full refresh recomputed everything
    assert pair.query("full", "select count(distinct activity_loaded_at) from intermediate.int_event_outcomes_police")[0][0] == 1

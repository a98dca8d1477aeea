"""The dbt project builds on a small raw fixture, and the marts hold what the fixture's stories say."""

from __future__ import annotations

import json

import pytest

try:  # tests/ is a package (tests.dbt), or tests/dbt is on sys.path
    from .dbt_raw_fixture import EXPECTED_EVENT_COUNT
except ImportError:  # pragma: no cover
    from dbt_raw_fixture import EXPECTED_EVENT_COUNT  # type: ignore[no-redef]

pytestmark = pytest.mark.timeout(900)

MARTS = ("fct_event", "fct_event_conflict", "upcoming_event_conflicts", "dim_nature", "dim_arrondissement", "dim_sector", "dim_place")
AGREED_FCT_EVENT_COLUMNS = (
    "event_id nature nature_family place_name latitude longitude arrondissement sector starts_at ends_at "
    "duration_hours participants participants_imputed emprise_m2 emprise_imputed is_weekend is_summer status "
    "took_place source_partners source_ids source_count offences_total offences_atteinte_biens "
    "offences_atteinte_personnes offences_tranquillite offences_circulation offences_stationnement "
    "offences_environnement interventions_total agents_municipal agents_prefecture agents_total tunnel_vehicles "
    "tunnel_vehicles_usual tunnel_traffic_deviation_pct tunnel_incidents tunnel_closures rtm_disruptions "
    "conflict_count offences_atteinte_personnes_suppressed"
).split()


def test_build_succeeds(dbt_build):
    failures = [
        f"{r.node.unique_id}: {r.status} {r.message}"
        for r in dbt_build.result.result
        if str(r.status) not in ("success", "pass")
    ]
    assert dbt_build.result.success, failures
    kinds = {r.node.resource_type for r in dbt_build.result.result}
    assert {"model", "test", "seed", "unit_test"} <= {str(k) for k in kinds}


def test_schemas_have_exact_names(dbt_build):
    schemas = {row[0] for row in dbt_build.query("select distinct schema_name from duckdb_schemas()")}
    assert {"raw", "staging", "intermediate", "marts", "reference"} <= schemas
    tables = {row[0] for row in dbt_build.query("select table_name from duckdb_tables() where schema_name = 'marts'")}
    views = {row[0] for row in dbt_build.query("select view_name from duckdb_views() where schema_name = 'marts'")}
    assert set(MARTS) <= tables | views


def test_fct_event_has_the_agreed_columns(dbt_build):
    columns = [row[0] for row in dbt_build.query(
        "select column_name from duckdb_columns() where schema_name = 'marts' and table_name = 'fct_event'"
    )]  # fmt: skip
    missing = [c for c in AGREED_FCT_EVENT_COLUMNS if c not in columns]
    assert not missing


def test_one_row_per_real_event(dbt_build):
    assert dbt_build.query("select count(*) from marts.fct_event")[0][0] == EXPECTED_EVENT_COUNT


def _event(dbt_build, source_id: str) -> dict:
    cursor_rows = dbt_build.query(
        "select * from marts.fct_event where list_contains(string_split(source_ids, ','), ?)", [source_id]
    )
    assert len(cursor_rows) == 1, source_id
    names = [row[0] for row in dbt_build.query(
        "select column_name from duckdb_columns() where schema_name = 'marts' and table_name = 'fct_event' order by column_index"
    )]  # fmt: skip
    return dict(zip(names, cursor_rows[0], strict=True))


def test_festival_in_city_and_datatourisme_is_one_event(dbt_build):
    festival = _event(dbt_build, "ville:ville__evenements:VE-1")
    assert "metropole:metropole__datatourisme_poi:DT-1" in festival["source_ids"]
    assert "prefecture:prefecture__operations_programmees:OP-2" in festival["source_ids"]
    assert festival["source_partners"] == "metropole,prefecture,ville"
    assert festival["nature"] == "festival" and festival["sector"] == 4
    assert festival["offences_atteinte_personnes"] == 6 and not festival["offences_atteinte_personnes_suppressed"]
    # 3 + 6 in the window; the 5 at 03:00 UTC are past the end + 1 h margin
    assert festival["offences_total"] == 9
    assert festival["agents_prefecture"] == 50


def test_cortege_order_disruption_and_operation_are_one_event(dbt_build):
    march = _event(dbt_build, "prefecture:prefecture__manifestations:C-0501")
    for source in (
        "ville:ville__arretes_circulation:AR-1",
        "metropole:metropole__perturbations_rtm:RTM-1",
        "prefecture:prefecture__operations_programmees:OP-1",
    ):
        assert source in march["source_ids"]
    assert march["source_count"] == 4
    assert march["participants"] == 5000 and not march["participants_imputed"]
    assert march["emprise_method"] == "route" and march["emprise_imputed"]
    assert march["agents_prefecture"] == 150 + 80
    assert march["offences_atteinte_personnes"] == 7  # 4 + 3 along the route
    assert march["offences_stationnement"] == 0  # l'Estaque is far away
    assert march["tunnel_traffic_deviation_pct"] == pytest.approx(-25.0)
    assert march["tunnel_incidents"] == 1 and march["tunnel_closures"] == 2
    assert march["rtm_disruptions"] == 1
    assert march["is_weekend"] is False and march["is_summer"] is True


def test_carnival_in_city_and_prefecture_is_one_event(dbt_build):
    carnival = _event(dbt_build, "ville:ville__evenements:VE-4")
    assert "prefecture:prefecture__manifestations:C-0310" in carnival["source_ids"]
    assert carnival["participants_method"] == "declared"


def test_order_with_event_id_attaches_to_its_event(dbt_build):
    shoot = _event(dbt_build, "ville:ville__evenements:VE-5")
    assert "ville:ville__arretes_circulation:AR-2" in shoot["source_ids"]


def test_events_that_did_not_take_place_are_kept_and_flagged(dbt_build):
    refused = _event(dbt_build, "ville:ville__evenements:VE-3")
    forbidden = _event(dbt_build, "prefecture:prefecture__manifestations:C-0915")
    assert (refused["status"], refused["took_place"]) == ("refused", False)
    assert (forbidden["status"], forbidden["took_place"]) == ("forbidden", False)


def test_datatourisme_only_event_and_ignored_records(dbt_build):
    expo = _event(dbt_build, "metropole:metropole__datatourisme_poi:DT-2")
    assert expo["nature"] == "exposition" and expo["participants_imputed"]
    assert dbt_build.query(
        "select count(*) from marts.fct_event where source_ids like '%DT-3%' or source_ids like '%DT-4%'"
    )[0][0] == 0


def test_match_after_midnight_is_a_sunday_in_winter(dbt_build):
    match = _event(dbt_build, "ville:ville__evenements:VE-2")  # 2024-03-30 23:30 UTC = Sunday 00:30 in Paris
    assert match["is_weekend"] is True and match["is_summer"] is False


def test_small_cells_are_suppressed(dbt_build):
    rows = dbt_build.query(
        "select count(*) from marts.fct_event where offences_atteinte_personnes between 1 and 4 "
        "or (offences_atteinte_personnes is null) <> offences_atteinte_personnes_suppressed"
    )
    assert rows[0][0] == 0
    # A zero concerns nobody: it is published as it is, not hidden.
    zeros = dbt_build.query(
        "select count(*) from marts.fct_event where offences_atteinte_personnes = 0 "
        "and not offences_atteinte_personnes_suppressed"
    )
    assert zeros[0][0] > 0


def test_upcoming_conflicts_list_the_works_next_to_the_future_concert(dbt_build):
    rows = dbt_build.query("select nature, conflict_kind, conflicting_id, distance_m from marts.upcoming_event_conflicts")
    assert rows == [("concert", "works", "ville:ville__arretes_circulation:AR-3", pytest.approx(91.7, abs=1))]
    kinds = {row[0] for row in dbt_build.query("select conflict_kind from marts.fct_event_conflict")}
    assert kinds == {"works", "tunnel_closure"}


def test_every_mart_column_is_documented_and_classified(dbt_build):
    manifest = json.loads((dbt_build.target / "manifest.json").read_text())
    marts = [n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["schema"] == "marts"]
    assert {n["name"] for n in marts} == set(MARTS)
    for node in marts:
        assert node["config"]["contract"]["enforced"], node["name"]
        assert node["columns"], node["name"]
        for name, column in node["columns"].items():
            assert column["description"], (node["name"], name)
            assert column["data_type"], (node["name"], name)
            meta = column.get("config", {}).get("meta") or column.get("meta")
            assert meta and meta["personal"] is False and meta["source"] and meta["derivation"], (node["name"], name)


def test_docs_generate_offline(dbt_build):
    try:
        from .conftest import run_dbt
    except ImportError:  # pragma: no cover
        from conftest import run_dbt  # type: ignore[no-redef]

    result = run_dbt(["docs", "generate", "--no-compile"], dbt_build.warehouse, dbt_build.target)
    assert result.success
    assert (dbt_build.target / "index.html").exists()
    catalog = json.loads((dbt_build.target / "catalog.json").read_text())
    assert "model.observatoire.fct_event" in catalog["nodes"]

"""Publish gate: a clean file passes; poisoned marts, unknown tables and small cells block it."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from observatoire.privacy import check_published_tables, suppress_all_small_cells, suppress_small_cells
from observatoire.privacy.rules import published_rules

from .marts import build_clean_published


@pytest.fixture()
def published(tmp_path: Path) -> Path:
    return build_clean_published(tmp_path / "observatoire.duckdb")


def _rules(result) -> set[tuple[str, str | None, str]]:  # type: ignore[no-untyped-def]
    return {(f.table, f.column, f.rule) for f in result.refusals}


def test_clean_published_file_passes(published: Path) -> None:
    result = check_published_tables(published, evidence=False)
    assert result.passed, result.message
    assert {c.table for c in result.checks} == set(published_rules().tables)


def test_poisoned_mart_blocks_publication(published: Path) -> None:
    con = duckdb.connect(str(published))
    con.execute(
        "UPDATE fct_event SET place_name = 'Chez M. Dupont, 06 12 34 56 78' WHERE event_id = 'EVE-000003'"
    )
    con.execute("ALTER TABLE fct_event ADD COLUMN organisateur_email VARCHAR")
    con.execute("UPDATE fct_event SET organisateur_email = 'jean.dupont@example.fr'")
    con.execute("UPDATE dim_place SET place_name = 'IBAN FR76 3000 6000 0112 3456 7890 189'")
    con.close()
    result = check_published_tables(published, evidence=False)
    assert not result.passed
    found = _rules(result)
    assert ("fct_event", "place_name", "phone_fr") in found
    assert ("fct_event", "place_name", "person_title") in found
    assert ("fct_event", "organisateur_email", "personal_column_name") in found
    assert ("fct_event", "organisateur_email", "email") in found
    assert ("dim_place", "place_name", "iban") in found
    assert "Dupont" not in result.to_json() and "jean.dupont" not in result.to_json()
    assert "previously published file stays" in result.message


def test_unknown_table_and_undeclared_column(published: Path) -> None:
    con = duckdb.connect(str(published))
    con.execute("CREATE TABLE fct_secret AS SELECT 1 AS n")
    con.execute("ALTER TABLE dim_sector ADD COLUMN couleur VARCHAR")
    con.close()
    found = _rules(check_published_tables(published, evidence=False))
    assert ("fct_secret", None, "unknown_table") in found
    assert ("dim_sector", "couleur", "unexpected_column") in found
    only = check_published_tables(published, tables=["dim_nature", "nope"], evidence=False)
    assert {f.rule for f in only.refusals} == {"missing_table"}


def test_small_cells_block_then_suppression_fixes(published: Path) -> None:
    con = duckdb.connect(str(published))
    con.execute(
        "UPDATE fct_event SET offences_atteinte_personnes = 3 WHERE event_id IN ('EVE-000002', 'EVE-000004')"
    )
    con.close()
    result = check_published_tables(published, evidence=False)
    (finding,) = [f for f in result.refusals if f.rule == "small_cell"]
    assert finding.column == "offences_atteinte_personnes" and finding.count == 2
    con = duckdb.connect(str(published))
    assert suppress_all_small_cells(con) == {"fct_event": 2}
    flags = con.execute(
        "SELECT count(*) FILTER (offences_atteinte_personnes_suppressed), "
        "count(*) FILTER (offences_atteinte_personnes IS NULL), count(*) FILTER (offences_atteinte_personnes = 0) "
        "FROM fct_event"
    ).fetchone()
    con.close()
    assert flags == (2, 2, 10)  # zeros are kept
    assert check_published_tables(published, evidence=False).passed


def test_suppress_small_cells_adds_flag(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute(
        "CREATE SCHEMA marts; CREATE TABLE marts.t AS SELECT * FROM (VALUES (0), (1), (4), (5), (NULL)) v(c)"
    )
    assert suppress_small_cells(con, "marts.t", ["c"], k=5) == 2
    rows = con.execute("SELECT c, c_suppressed FROM marts.t ORDER BY rowid").fetchall()
    assert rows == [(0, False), (None, True), (None, True), (5, False), (None, False)]
    assert suppress_small_cells(con, "marts.t", ["c"], k=5) == 0  # idempotent, flags kept
    assert con.execute("SELECT count(*) FROM marts.t WHERE c_suppressed").fetchone() == (2,)
    con.close()


def test_warehouse_marts_schema(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE SCHEMA marts; CREATE TABLE marts.dim_sector (sector BIGINT, label_fr VARCHAR, arrondissements VARCHAR)"
    )
    con.execute("INSERT INTO marts.dim_sector VALUES (1, '1er secteur', '1er, 7e')")
    con.close()
    assert check_published_tables(path, evidence=False).passed


def test_marts_declaration_matches_dbt_when_available() -> None:
    """Once dbt's marts YAML exists, every mart column must be declared for publication."""
    import yaml

    from observatoire.config import dbt_project_dir

    files = list((dbt_project_dir() / "models" / "marts").glob("*.yml"))
    assert files, "the dbt marts YAML is missing: the published tables cannot be compared with it"
    declared = published_rules().tables
    missing: list[str] = []
    for file in files:
        for model in (yaml.safe_load(file.read_text(encoding="utf-8")) or {}).get("models", []):
            spec = declared.get(model["name"])
            for column in model.get("columns", []):
                if spec is None or not spec.allows(column["name"]):
                    missing.append(f"{model['name']}.{column['name']}")
    assert not missing, f"declare in expectations/published_tables.yml after review: {missing}"


def test_result_fits_the_publication_interface(published: Path) -> None:
    import json

    from observatoire.publish import GateOutcome

    result = check_published_tables(published, evidence=False)
    outcome = GateOutcome(result.passed, result.summary)
    assert outcome.passed and json.loads(json.dumps(dict(outcome.summary)))["tables"] == len(result.checks)

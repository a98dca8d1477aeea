"""``observatoire privacy-scan`` exit codes and report; Great Expectations Data Docs evidence."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from observatoire import cli
from observatoire.contracts import get_contract
from observatoire.privacy import check_delivery, check_published_tables, evidence

from .conftest import clean_frame
from .marts import build_clean_published


@pytest.fixture(autouse=True)
def _only_privacy_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    # Other areas' commands are built in parallel: test ours alone.
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("observatoire.privacy.commands",))


def test_privacy_scan_clean_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = build_clean_published(tmp_path / "clean.duckdb")
    report = tmp_path / "report.md"
    assert cli.main(["privacy-scan", str(path), "--report", str(report)]) == 0
    out = capsys.readouterr().out
    assert "NOTHING PERSONAL FOUND" in out and "What was checked" in out
    assert report.read_text(encoding="utf-8") == out


def test_privacy_scan_findings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "any.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA staging")
    con.execute("CREATE TABLE staging.contacts (id INTEGER, telephone VARCHAR, note VARCHAR)")
    con.execute(
        "INSERT INTO staging.contacts VALUES (1, '06 12 34 56 78', 'voir Mme Martin'), (2, NULL, 'ok')"
    )
    con.execute("CREATE TABLE numbers (n BIGINT, label VARCHAR)")
    con.execute("INSERT INTO numbers VALUES (42, 'Orange Vélodrome')")
    con.close()
    assert cli.main(["privacy-scan", str(path)]) == 3
    out = capsys.readouterr().out
    assert "staging.contacts" in out and "`06 ** ** ** 78`" in out and "Mme M***" in out
    assert "12 34 56" not in out and "Martin" not in out
    assert cli.main(["privacy-scan", str(path), "--json"]) == 3
    data = json.loads(capsys.readouterr().out)
    assert data["passed"] is False
    assert {(f["column"], f["rule"]) for f in data["findings"]} >= {
        ("telephone", "personal_column_name"),
        ("note", "person_title"),
    }


def test_privacy_scan_unreadable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.duckdb"
    bad.write_text("not a database", encoding="utf-8")
    assert cli.main(["privacy-scan", str(bad)]) == 2
    assert cli.main(["privacy-scan", str(tmp_path / "missing.duckdb")]) == 2


def test_gates_record_great_expectations_data_docs(tmp_path: Path, _home: Path) -> None:
    contract = get_contract("metropole", "datatourisme_poi")
    frame = clean_frame(contract)
    clean = check_delivery(contract, frame, delivery_id="ok-1")
    assert clean.passed, clean.message
    assert clean.evidence["success"] is True
    frame["email"] = "jean.dupont@example.fr"
    frame.loc[0, "nom_poi"] = "Fête — 06 12 34 56 78"
    dirty = check_delivery(contract, frame, delivery_id="bad-1")
    assert not dirty.passed and dirty.evidence["success"] is False
    failed = {v["suite"]: v["failed"] for v in dirty.evidence["validations"]}
    assert "expect_column_values_to_not_match_regex" in failed["privacy_delivery.metropole__datatourisme_poi"]
    assert "expect_column_values_to_be_in_set" in failed["privacy_delivery.engine"]  # the email column

    # three tables keep the test fast; every table is covered by the engine tests
    published = check_published_tables(
        build_clean_published(tmp_path / "p.duckdb"), tables=["fct_event", "dim_sector", "publish_log"]
    )
    assert published.passed, published.message
    # one validation of all the tables (columns named table.column) and one of the engine's outcome
    assert [v["suite"] for v in published.evidence["validations"]] == ["privacy_publish.tables", "privacy_publish.engine"]

    docs = _home / "docs" / "data_docs"
    assert (docs / "index.html").is_file()
    pages = [p for p in docs.rglob("*.html") if "validations" in p.parts]
    assert len(pages) == 3 * 2  # two pages per gate run: every run is in the Data Docs
    for result in (clean, dirty, published):
        run = result.evidence["run_name"]
        assert sum(run in str(p) for p in pages) == 2, run
    index = (docs / "index.html").read_text(encoding="utf-8")
    assert all(result.evidence["run_name"] in index for result in (clean, dirty, published))
    text = "\n".join(p.read_text(encoding="utf-8") for p in pages)
    assert "fct_event.place_name" in text
    assert "metropole__datatourisme_poi.email" in text  # the column GX found outside the allowed set
    assert "06 ** ** ** 78" in text  # masked evidence shown
    assert "jean.dupont" not in text and "34 56" not in text  # never the values

    # Regression: a later process re-reads the GX project from disk, where the progress-bar settings
    # come back as a dict; the gate used to fail there with "evidence unavailable".
    for cache in (evidence._CONTEXTS, evidence._DEFINITIONS, evidence._SITE_BUILDERS):
        cache.clear()
    again = check_delivery(contract, clean_frame(contract), delivery_id="ok-2")
    assert again.passed, again.message
    # ... and reuses the suite stored by an earlier process instead of storing it again
    for cache in (evidence._CONTEXTS, evidence._DEFINITIONS, evidence._SITE_BUILDERS):
        cache.clear()
    suite_file = next((_home / "state" / "gx").rglob("privacy_delivery/metropole__datatourisme_poi.json"))
    before = suite_file.stat().st_mtime_ns
    again = check_delivery(contract, clean_frame(contract), delivery_id="ok-3")
    assert again.passed, again.message
    assert suite_file.stat().st_mtime_ns == before
    timing = again.summary["timing"]
    assert {"cpu_s", "wall_s", "engine_cpu_s", "gx_validate_cpu_s", "data_docs_cpu_s"} <= set(timing)
    assert timing["cpu_s"] >= timing["engine_cpu_s"] + timing["gx_validate_cpu_s"] - 0.05


def test_great_expectations_must_agree_with_the_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the engine missed a plain pattern that GX catches, the gate refuses, naming the table."""
    from observatoire.privacy import duckdb_scan

    path = build_clean_published(tmp_path / "p.duckdb")
    con = duckdb.connect(str(path))
    con.execute("UPDATE dim_place SET place_name = 'écrire à jean.dupont@example.fr' WHERE rowid = 0")
    con.close()
    monkeypatch.setattr(duckdb_scan, "scan_distinct", lambda *args, **kwargs: [])  # a blind engine
    result = check_published_tables(path, tables=["dim_place", "dim_sector"])
    assert not result.passed
    assert {(f.table, f.rule) for f in result.refusals} == {("dim_place", "gx_expectation_failed")}


def test_marts_precheck_records_evidence_only_on_refusal(tmp_path: Path, _home: Path) -> None:
    path = build_clean_published(tmp_path / "p.duckdb")
    clean = check_published_tables(path, tables=["dim_sector"], evidence="on_refusal")
    assert clean.passed and clean.evidence == {}
    assert "gx_validate_cpu_s" not in clean.timing
    con = duckdb.connect(str(path))
    con.execute("UPDATE dim_sector SET label_fr = 'voir Mme Martin'")
    con.close()
    refused = check_published_tables(path, tables=["dim_sector"], evidence="on_refusal")
    assert not refused.passed and refused.evidence["success"] is False
    assert (_home / "docs" / "data_docs" / "index.html").is_file()


def test_great_expectations_checks_column_names_on_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An undeclared column the engine let through is refused through GX's allowed-column check."""
    from observatoire.privacy import duckdb_scan

    path = build_clean_published(tmp_path / "p.duckdb")
    con = duckdb.connect(str(path))
    con.execute("ALTER TABLE dim_sector ADD COLUMN couleur VARCHAR DEFAULT 'bleu'")
    con.close()
    monkeypatch.setattr(duckdb_scan, "check_columns", lambda *args, **kwargs: [])  # an engine blind to names
    result = check_published_tables(path, tables=["dim_place", "dim_sector"])
    assert {(f.table, f.rule) for f in result.refusals} == {("dim_sector", "gx_expectation_failed")}


def test_suite_changed_by_another_process_is_stored_again(_home: Path) -> None:
    """Two processes sharing the GX project, with two versions of one suite: neither run is refused."""
    contract = get_contract("prefecture", "visites_officielles")
    first = check_delivery(contract, clean_frame(contract), delivery_id="a")
    assert first.passed, first.message
    process_a = {name: dict(cache) for name, cache in _caches().items()}
    for cache in _caches().values():
        cache.clear()
    other = clean_frame(contract)
    other["remarque"] = "RAS"  # another variant of the suite (one more text column), stored by "process B"
    assert not check_delivery(contract, other, delivery_id="b").passed
    for name, cache in _caches().items():  # back in process A, with its cached suite
        cache.clear()
        cache.update(process_a[name])
    again = check_delivery(contract, clean_frame(contract), delivery_id="c")
    assert again.passed, again.message
    assert again.evidence["success"] is True


def _caches() -> dict[str, dict]:  # type: ignore[type-arg]
    return {"contexts": evidence._CONTEXTS, "definitions": evidence._DEFINITIONS, "sites": evidence._SITE_BUILDERS}


def test_gx_project_declares_no_config_variables_file(_home: Path) -> None:
    """GX re-reads a declared config-variables file at every store access (~20 times per gate run): none."""
    contract = get_contract("prefecture", "visites_officielles")
    assert check_delivery(contract, clean_frame(contract), delivery_id="a").passed
    context = evidence._context()
    assert not context.variables.config_variables_file_path
    evidence._CONTEXTS.clear()  # as a later process would read the project
    assert not evidence._context().variables.config_variables_file_path

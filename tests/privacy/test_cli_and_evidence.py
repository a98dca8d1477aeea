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
    assert "expect_table_columns_to_match_set" in failed["privacy_delivery.metropole__datatourisme_poi"]
    assert "expect_column_values_to_not_match_regex" in failed["privacy_delivery.metropole__datatourisme_poi"]

    # three tables keep the test fast; every table is covered by the engine tests
    published = check_published_tables(
        build_clean_published(tmp_path / "p.duckdb"), tables=["fct_event", "dim_sector", "publish_log"]
    )
    assert published.passed, published.message

    docs = _home / "docs" / "data_docs"
    assert (docs / "index.html").is_file()
    pages = [p for p in docs.rglob("*.html") if "validations" in p.parts]
    assert len(pages) >= 2 + 2 + len(published.checks) + 1
    text = "\n".join(p.read_text(encoding="utf-8") for p in pages)
    assert "06 ** ** ** 78" in text  # masked evidence shown
    assert "jean.dupont" not in text and "34 56" not in text  # never the values

    # Regression: a later process re-reads the GX project from disk, where the progress-bar settings
    # come back as a dict; the gate used to fail there with "evidence unavailable".
    evidence._CONTEXTS.clear()
    again = check_delivery(contract, clean_frame(contract), delivery_id="ok-2")
    assert again.passed, again.message

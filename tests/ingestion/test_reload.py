"""``reload_from_landing``: the raw tables and the ledger rebuilt from the landed deliveries are exactly the
ones incremental ingestion built; the delivery gate's rules are applied again to what is reloaded."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from observatoire.config import paths
from observatoire.contracts import CONTRACTS, get_contract
from observatoire.ingestion import rawload, service
from observatoire.ingestion.intervals import Interval

from .conftest import FAST_RETRIES
from .test_parsing import GOOD, prefecture_file

MANIF = get_contract("prefecture", "manifestations")
COUNTS = get_contract("smtpc", "comptages")
EVENTS = get_contract("ville", "evenements")
LEDGER_TIMESTAMPS = ("loaded_at",)


def table_snapshot(con: duckdb.DuckDBPyConnection, table: str, skip: tuple[str, ...]) -> str:
    """A ``SELECT`` of ``table`` without the columns in ``skip`` (timestamps of the load itself)."""
    columns = [c[0] for c in con.execute(f"DESCRIBE {table}").fetchall() if c[0] not in skip]
    return f"SELECT {', '.join(columns)} FROM {table}"


def differences(left: Path, right: Path) -> dict[str, tuple[int, int]]:
    """Per table (every raw table and the ledger): rows only in ``left``, rows only in ``right``."""
    found = {}
    with duckdb.connect(str(left), read_only=True) as con:
        con.execute(f"ATTACH '{right}' AS other (READ_ONLY)")
        tables = [f"raw.{c.table}" for c in CONTRACTS.values()] + [rawload.LEDGER]
        for table in tables:
            skip = LEDGER_TIMESTAMPS if table == rawload.LEDGER else ("_loaded_at",)
            mine = table_snapshot(con, table, skip)
            theirs = mine.replace(f"FROM {table}", f"FROM other.{table}")
            only_left = con.execute(f"SELECT count(*) FROM ({mine} EXCEPT ALL {theirs})").fetchone()
            only_right = con.execute(f"SELECT count(*) FROM ({theirs} EXCEPT ALL {mine})").fetchone()
            assert only_left is not None and only_right is not None
            if only_left[0] or only_right[0]:
                found[table] = (int(only_left[0]), int(only_right[0]))
    return found


def count(table: str, database: Path | None = None) -> int:
    with duckdb.connect(str(database or paths().warehouse), read_only=True) as con:
        row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert row is not None
    return int(row[0])


@pytest.fixture
def ingested(partners: Any, home: Path) -> Iterator[Path]:
    """A history ingested the incremental way, with every case the ledger and the upsert know: several runs,
    a late file carrying an older version, rows quarantined one by one, a delivery refused whole by the
    privacy gate and one rejected whole for its structure."""
    drop = home / "drop/prefecture/manifestations"
    # Rows quarantined one by one (end before start, a duplicated key), and a later export of C-7.
    bad = GOOD.replace("C-1", "C-9").replace("01/07/2025 18:00", "01/07/2025 10:00")
    (drop / "manifestations_2025-07-01.csv").write_bytes(
        prefecture_file(GOOD.replace("C-1", "C-7"), bad, GOOD, GOOD.replace("DECLAREE", "TERMINEE"))
    )
    (drop / "manifestations_2025-07-03.csv").write_bytes(prefecture_file(GOOD.replace("C-1", "C-7").replace("1200", "1500")))
    # Refused whole by the gate (an e-mail), rejected whole (a missing column).
    (drop / "manifestations_2025-07-04.csv").write_bytes(prefecture_file(GOOD.replace("Retraites", "jean.dupont@example.org")))
    (drop / "manifestations_2025-07-05.csv").write_bytes(prefecture_file(header="ID_CORTEGE;DATE_DEBUT"))
    for day in (date(2025, 3, 29), date(2025, 3, 30), date(2025, 3, 31)):
        service.ingest_dataset(COUNTS, Interval.of_day(day), policy=FAST_RETRIES)
    for partner in ("ville", "metropole"):
        service.ingest_partner(partner, Interval.parse("2025-03-29", "2025-04-01"), policy=FAST_RETRIES, full_history=True)
    service.ingest_dataset(MANIF, Interval.parse(None, "2025-07-03"))
    # A late file with an older version of C-7, received after the newer one.
    (drop / "manifestations_2025-07-02.csv").write_bytes(prefecture_file(GOOD.replace("C-1", "C-7").replace("1200", "900")))
    service.ingest_partner("prefecture", Interval.parse(None, "2025-07-06"))
    service.ingest_partner("smtpc", Interval.parse("2025-03-29", "2025-04-01"), policy=FAST_RETRIES)
    yield paths().warehouse


def test_reload_into_a_fresh_warehouse_gives_the_same_tables_and_ledger(ingested: Path, tmp_path: Path) -> None:
    assert count("raw._deliveries") > 20
    with duckdb.connect(str(ingested), read_only=True) as con:
        statuses = {r[0] for r in con.execute("SELECT DISTINCT status FROM raw._deliveries").fetchall()}
        quarantined = con.execute("SELECT sum(rows_quarantined) FROM raw._deliveries WHERE status = 'loaded'").fetchone()
    assert statuses == {"loaded", "refused", "rejected"} and quarantined is not None and quarantined[0] >= 2
    rows_file = next((paths().quarantine / "prefecture/manifestations").glob("*/rows.csv"))
    before = rows_file.read_text(), rows_file.stat().st_mtime_ns

    fresh = tmp_path / "fresh.duckdb"
    con = rawload.connect(fresh)
    try:
        reports = service.reload_from_landing(con=con)
    finally:
        con.close()
    assert differences(ingested, fresh) == {}
    assert {r.table for r in reports} == {c.qualified_table for c in CONTRACTS.values()}
    manif = next(r for r in reports if r.table == MANIF.qualified_table)
    assert len(manif.refused) == 1 and len(manif.rejected) == 1 and manif.rows_quarantined >= 2
    assert manif.gate["passed"] is True
    # The rows files of quarantined rows are the same, and left untouched.
    assert (rows_file.read_text(), rows_file.stat().st_mtime_ns) == before
    with duckdb.connect(str(fresh)) as check:
        kept = check.execute("SELECT PARTICIPANTS_DECLARES FROM raw.prefecture__manifestations WHERE ID_CORTEGE = 'C-7'").fetchall()
        for contract in CONTRACTS.values():
            assert check.execute(f"SELECT count(*) FROM raw.{contract.table}").fetchone() != (0,), contract.table
        # The comparison does see a difference.
        check.execute("UPDATE raw.smtpc__comptages SET vehicules = vehicules + 1 WHERE vehicules = 95")
    assert kept == [(1500,)]  # the 3 July export, not the late file received after it
    assert set(differences(ingested, fresh)) == {"raw.smtpc__comptages"}


def test_reload_makes_one_evidence_call_per_table(ingested: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from observatoire.privacy import evidence

    calls: list[str] = []

    def fake_record(result: Any, tables: Any, build_docs: bool = True) -> None:
        calls.append(result.subject)
        result.evidence = {"engine": "great_expectations", "success": result.passed}

    monkeypatch.setattr(evidence, "record_evidence", fake_record)
    reports = service.reload_from_landing(evidence=True)
    assert len(calls) == len(CONTRACTS) == len(reports)
    counts = next(r for r in reports if r.table == COUNTS.qualified_table)
    assert counts.gate["passed"] is True and counts.gate["checked_with"] == 3


def test_reload_in_place_is_idempotent(ingested: Path, tmp_path: Path) -> None:
    copy = tmp_path / "before.duckdb"
    copy.write_bytes(ingested.read_bytes())
    service.reload_from_landing()
    service.reload_from_landing([MANIF, COUNTS])
    assert differences(copy, ingested) == {}


def test_a_rule_added_since_landing_withdraws_the_delivery_on_reload(
    ingested: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from observatoire.privacy import delivery_gate
    from observatoire.privacy.findings import Finding

    scan = delivery_gate.scan_delivery_frame

    def stricter(contract: Any, frame: Any, raw_header: Any = None) -> Any:
        findings, check = scan(contract, frame, raw_header)
        if "THEME" in frame.columns and frame["THEME"].astype(str).str.contains("Estaque").any():
            findings = [*findings, Finding(contract.table, "THEME", "new_rule", 1, (), detail="a rule added since")]
        return findings, check

    monkeypatch.setattr(delivery_gate, "scan_delivery_frame", stricter)
    landed_before = set(os.listdir(home / "landing/prefecture/manifestations"))
    reports = service.reload_from_landing([MANIF])
    withdrawn = [r["delivery_id"] for r in reports[0].refused if "when reloaded" in r["message"]]
    assert len(withdrawn) == 3  # the three fixture days: each has the Estaque fête
    folder = home / "quarantine/prefecture/manifestations" / withdrawn[0]
    reason = json.loads((folder / "reason.json").read_text())
    assert reason["kind"] == "privacy" and reason["status"] == "refused" and "a rule added since" in reason["message"]
    assert json.loads((folder / "manifest.json").read_text())["status"] == "privacy"
    assert set(os.listdir(home / "landing/prefecture/manifestations")) == landed_before - set(withdrawn)
    with duckdb.connect(str(ingested), read_only=True) as con:
        left = con.execute("SELECT count(*) FROM raw.prefecture__manifestations WHERE THEME LIKE '%Estaque%'").fetchone()
        statuses = con.execute(
            "SELECT status, count(*) FROM raw._deliveries WHERE table_name = 'raw.prefecture__manifestations' "
            "AND delivery_id IN (SELECT unnest(?)) GROUP BY ALL", [withdrawn]
        ).fetchall()
    assert left == (0,) and statuses == [("refused", 3)]


def test_a_failing_evidence_on_reload_leaves_the_table_as_it_was(
    ingested: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from observatoire.privacy import evidence

    def broken(result: Any, tables: Any, build_docs: bool = True) -> None:
        result.findings.append(evidence.Finding(result.subject, None, "evidence_unavailable", 0, detail="GX is down"))

    monkeypatch.setattr(evidence, "record_evidence", broken)
    rows = count("raw.smtpc__comptages")
    with pytest.raises(service.ReloadRefused, match="no delivery is to blame"):
        service.reload_from_landing([COUNTS], evidence=True)
    assert count("raw.smtpc__comptages") == rows
    assert len(os.listdir(paths().landing / "smtpc/comptages")) == 3

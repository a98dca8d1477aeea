"""The whole job: landing, idempotence, backfills, quarantine, raw loads, manual deliveries."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from observatoire.cli import main
from observatoire.config import paths
from observatoire.contracts import get_contract
from observatoire.ingestion import rawload, service
from observatoire.ingestion.intervals import Interval
from observatoire.ingestion.watermarks import read_watermark

from .conftest import FAST_RETRIES
from .test_parsing import GOOD, HEADER, prefecture_file

MANIF = get_contract("prefecture", "manifestations")
COUNTS = get_contract("smtpc", "comptages")
EVENTS = get_contract("ville", "evenements")


def table_rows(table: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(paths().warehouse), read_only=True) as con:
        columns = [c[0] for c in con.execute(f"DESCRIBE {table}").fetchall() if c[0] not in ("_loaded_at",)]
        return con.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY ALL").fetchall()


def ledger() -> list[tuple[Any, ...]]:
    with duckdb.connect(str(paths().warehouse), read_only=True) as con:
        return con.execute(
            "SELECT table_name, delivery_id, status, rows_total, rows_loaded, rows_quarantined FROM raw._deliveries "
            "ORDER BY ALL"
        ).fetchall()


def test_same_interval_twice_gives_the_same_delivery_and_rows(partners: Any, home: Path) -> None:
    interval = Interval.parse("2025-03-29", "2025-03-31")
    first = service.ingest_dataset(COUNTS, interval, policy=FAST_RETRIES)
    assert first.new == 2 and first.rows_loaded == 40
    before, before_ledger = table_rows("raw.smtpc__comptages"), ledger()
    second = service.ingest_dataset(COUNTS, interval, policy=FAST_RETRIES)
    assert second.pulled == first.pulled and second.new == 0 and second.rows_loaded == 0
    assert table_rows("raw.smtpc__comptages") == before and ledger() == before_ledger
    folder = home / "landing/smtpc/comptages" / first.pulled[0]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["rows"] == 20 and manifest["interval"] == {"start": "2025-03-29T00:00:00Z", "end": "2025-03-30T00:00:00Z"}
    assert {"sha256", "bytes", "contract_version", "received_at", "connector", "source"} <= manifest.keys()
    landed = folder / "comptages_2025-03-29.csv"
    assert not landed.stat().st_mode & stat.S_IWUSR  # read-only
    assert manifest["files"][0]["sha256"] == hashlib.sha256(landed.read_bytes()).hexdigest()


def test_backfill_of_several_intervals_then_a_whole_pull_adds_nothing(partners: Any) -> None:
    for day in (date(2025, 3, 29), date(2025, 3, 30), date(2025, 3, 31)):
        service.ingest_dataset(COUNTS, Interval.of_day(day), policy=FAST_RETRIES)
    assert len(table_rows("raw.smtpc__comptages")) == 60
    again = service.ingest_dataset(COUNTS, Interval.parse("2025-03-29", "2025-04-01"), policy=FAST_RETRIES)
    assert again.new == 0 and len(table_rows("raw.smtpc__comptages")) == 60


def test_city_api_watermark_moves_after_the_load(partners: Any) -> None:
    report = service.ingest_dataset(EVENTS, Interval(), policy=FAST_RETRIES)
    assert report.rows_loaded == 30
    assert read_watermark(EVENTS) is not None and read_watermark(EVENTS).isoformat() == "2025-03-31T23:00:00+00:00"  # type: ignore[union-attr]
    assert service.ingest_dataset(EVENTS, Interval(), policy=FAST_RETRIES).pulled == []  # nothing newer


def test_latest_version_wins_whatever_the_load_order(home: Path) -> None:
    newer = prefecture_file(GOOD.replace("DECLAREE", "TERMINEE").replace(";;80;", ";1500;80;"))
    older = prefecture_file(GOOD)
    drop = home / "drop/prefecture/manifestations"
    drop.mkdir(parents=True)
    (drop / "manifestations_2025-07-02.csv").write_bytes(newer)
    service.ingest_dataset(MANIF, Interval.parse(None, "2025-07-05"))
    (drop / "manifestations_2025-07-01.csv").write_bytes(older)  # a late file with an older version
    late = service.ingest_dataset(MANIF, Interval.parse(None, "2025-07-05"))
    assert late.new == 1 and late.rows_loaded == 1
    rows = table_rows("raw.prefecture__manifestations")
    assert len(rows) == 1 and "TERMINEE" in rows[0]  # the 2 July export, even though read second


def test_a_failed_load_leaves_the_table_and_ledger_as_they_were(partners: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    service.ingest_dataset(COUNTS, Interval.parse("2025-03-29", "2025-03-30"), policy=FAST_RETRIES)
    before, before_ledger = table_rows("raw.smtpc__comptages"), ledger()

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(rawload, "_ledger_frame", broken)  # fails after the MERGE, inside the transaction
        with pytest.raises(RuntimeError, match="disk full"):
            service.ingest_dataset(COUNTS, Interval.parse("2025-03-30", "2025-04-01"), policy=FAST_RETRIES)
    assert table_rows("raw.smtpc__comptages") == before and ledger() == before_ledger
    # The deliveries stayed landed: the next run loads them.
    report = service.load_dataset(COUNTS)
    assert report.rows_loaded == 40 and len(table_rows("raw.smtpc__comptages")) == 60


def test_every_partner_fills_raw(partners: Any) -> None:
    interval = Interval.parse("2025-03-29", "2025-04-01")
    for partner in ("ville", "prefecture", "smtpc", "metropole"):
        for report in service.ingest_partner(partner, interval, policy=FAST_RETRIES, full_history=True):
            assert report.rows_loaded > 0 and not report.refused and not report.rejected, report
    poi = table_rows("raw.metropole__datatourisme_poi")
    assert [r[0] for r in poi] == ["POI-0", "POI-1", "POI-2"]  # events only, not the museum
    with duckdb.connect(str(paths().warehouse), read_only=True) as con:
        columns = {c[0] for c in con.execute("DESCRIBE raw.metropole__datatourisme_poi").fetchall()}
        assert columns == set(get_contract("metropole", "datatourisme_poi").field_names) | {"_delivery_id", "_loaded_at"}
        dst = con.execute(
            "SELECT DATE_DEBUT FROM raw.prefecture__manifestations WHERE ID_CORTEGE = 'C-20250330-2'"
        ).fetchone()
    assert dst is not None and dst[0].isoformat() == "2025-03-30T01:30:00+00:00"  # 02:30 did not exist that night


# ------------------------------------------------------------------------------------ manual deliveries


def run_cli(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["ingest", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_manual_delivery_loads_and_quarantines_rows(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = GOOD.replace("C-1", "C-2").replace("01/07/2025 18:00", "01/07/2025 10:00")
    path = tmp_path / "export.csv"
    path.write_bytes(prefecture_file(GOOD, bad))
    code, out, _ = run_cli("prefecture", "manifestations", str(path), capsys=capsys)
    assert code == 0
    assert "1 rows loaded, 1 rows quarantined" in out
    rows_file = next((home / "quarantine/prefecture/manifestations").glob("*/rows.csv"))
    assert "line 3: DATE_FIN 01/07/2025 10:00 is before DATE_DEBUT 01/07/2025 14:00" in rows_file.read_text()
    code, out, _ = run_cli("prefecture", "manifestations", str(path), capsys=capsys)
    assert code == 0 and "already ingested" in out and "1 rows loaded, 1 rows quarantined" in out
    assert len(table_rows("raw.prefecture__manifestations")) == 1


def test_manual_delivery_with_missing_columns_exits_2_and_is_kept(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(prefecture_file(header=HEADER.replace(";STATUT", "")))
    code, _, err = run_cli("prefecture", "manifestations", str(path), capsys=capsys)
    assert code == 2 and "the columns STATUT required by the contract" in err
    reason = next((home / "quarantine/prefecture/manifestations").glob("*/reason.json"))
    assert json.loads(reason.read_text())["kind"] == "missing_columns"
    assert (reason.parent / "export.csv").read_bytes() == path.read_bytes()
    assert not (home / "landing/prefecture/manifestations").exists() or not os.listdir(home / "landing/prefecture/manifestations")


def test_manual_delivery_unreadable_or_unknown(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli("prefecture", "manifestations", str(tmp_path / "nope.csv"), capsys=capsys)
    assert code == 2 and "cannot read" in err
    code, _, err = run_cli("prefecture", "cortege", str(tmp_path / "nope.csv"), capsys=capsys)
    assert code == 2 and "unknown dataset" in err
    path = tmp_path / "events.json"
    path.write_text("this is not json")
    code, _, err = run_cli("ville", "evenements", str(path), capsys=capsys)
    assert code == 2 and "not valid JSON" in err


def test_manual_delivery_refused_by_the_privacy_gate_exits_3(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(prefecture_file(GOOD + ";jean.dupont@example.org", header=HEADER + ";COURRIEL_ORGANISATEUR"))
    code, _, err = run_cli("prefecture", "manifestations", str(path), capsys=capsys)
    assert code == 3 and "privacy" in err.lower()
    reason = json.loads(next((home / "quarantine/prefecture/manifestations").glob("*/reason.json")).read_text())
    assert reason["kind"] == "privacy" and reason["gate"]["passed"] is False
    with duckdb.connect(str(paths().warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM raw.prefecture__manifestations").fetchone() == (0,)
        assert con.execute("SELECT status FROM raw._deliveries").fetchall() == [("refused",)]


def test_help_documents_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["ingest", "--help"])
    text = capsys.readouterr().out
    assert "0  loaded" in text and "2  unreadable" in text and "3  refused by the privacy" in text


def test_gx_evidence_is_recorded_once_per_dataset_run(partners: Any, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every delivery is checked before it lands by ONE gate call (rules engine + GX evidence, seconds per
    call) over the run's combined frame; when that call finds something, the rules engine alone finds the
    offending deliveries, each refused with its own evidence, and the others get one evidence call."""
    from observatoire.privacy import evidence

    calls: list[tuple[str, int]] = []

    def fake_record(result: Any, tables: Any, build_docs: bool = True) -> None:
        calls.append((result.subject, sum(len(t.frame) for t in tables)))
        result.evidence = {"engine": "great_expectations", "success": result.passed}

    monkeypatch.setattr(evidence, "record_evidence", fake_record)
    monkeypatch.setenv("OBSERVATOIRE_GATE_EVIDENCE", "1")
    monkeypatch.setattr(service, "GATE_GROUP_DELIVERIES", 2)  # several engine groups in one run
    report = service.ingest_dataset(COUNTS, Interval.parse("2025-03-29", "2025-04-01"), policy=FAST_RETRIES)
    assert report.rows_loaded == 60 and len(report.loaded) == 3
    assert len(calls) == 1 and "3 deliveries" in calls[0][0], calls
    assert report.gate["passed"] is True and report.gate["checked_with"] == 3

    # A poisoned day: refused with its own evidence; the good days of the run share one evidence call.
    calls.clear()
    drop = home / "drop/prefecture/manifestations"
    poisoned = drop / "manifestations_2025-03-30.csv"
    assert poisoned.is_file()
    os.chmod(poisoned, 0o644)
    poisoned.write_bytes(poisoned.read_bytes().replace(b"Retraites", b"Retraites jean.dupont@example.org"))
    report = service.ingest_dataset(MANIF, Interval.parse(None, "2025-04-01"))
    assert [r["delivery_id"] for r in report.refused] and len(report.refused) == 1
    assert "2025-03-30" in json.dumps(report.refused) or "20250329T2" in report.refused[0]["delivery_id"]
    assert len(report.loaded) == 2 and report.rows_loaded == 4
    # The run's call (which found the e-mail), the refused delivery's own, then the two good ones together.
    assert len(calls) == 3, calls
    assert "3 deliveries" in calls[0][0] and "2025" in calls[1][0] and "deliveries" not in calls[1][0]
    assert "2 deliveries" in calls[2][0]


def test_failed_run_evidence_refuses_the_run(partners: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from observatoire.privacy import evidence

    def broken(result: Any, tables: Any, build_docs: bool = True) -> None:
        raise_finding = evidence.Finding(result.subject, None, "evidence_unavailable", 0, detail="GX is down")
        result.findings.append(raise_finding)

    monkeypatch.setattr(evidence, "record_evidence", broken)
    monkeypatch.setenv("OBSERVATOIRE_GATE_EVIDENCE", "1")
    report = service.ingest_dataset(COUNTS, Interval.parse("2025-03-29", "2025-04-01"), policy=FAST_RETRIES)
    assert report.rows_loaded == 0 and len(report.refused) == 3 and not report.loaded


def test_a_run_mixing_headers_gates_every_delivered_column(partners: Any, home: Path) -> None:
    """Deliveries of one run with different headers are read together; the extra column of one of them
    (and its values) reaches the gate, which refuses that delivery only."""
    from .test_parsing import HEADER

    drop = home / "drop/prefecture/manifestations"
    (drop / "manifestations_2025-07-01.csv").write_bytes(
        prefecture_file(GOOD + ";jean.dupont@example.org", header=HEADER + ";COMMENTAIRE")
    )
    report = service.ingest_dataset(MANIF, Interval.parse(None, "2025-07-05"))
    assert len(report.refused) == 1 and len(report.loaded) == 3, report
    assert "COMMENTAIRE" in report.refused[0]["message"]
    refused = home / "quarantine/prefecture/manifestations" / report.refused[0]["delivery_id"]
    assert (refused / "manifestations_2025-07-01.csv").is_file()
    assert len(table_rows("raw.prefecture__manifestations")) == 6


def test_the_run_gate_call_sees_the_values_of_every_delivered_column() -> None:
    from observatoire.ingestion.gate import RunEvidence
    from observatoire.ingestion.reader import combine_tables, read_csv

    from .test_parsing import HEADER

    plain = read_csv(MANIF, prefecture_file(GOOD), "a.csv")
    extra = read_csv(MANIF, prefecture_file(GOOD.replace("C-1", "C-2") + ";note", header=HEADER + ";COMMENTAIRE"), "b.csv")
    entries = [service.Incoming("a", {"interval": {"end": "2025-07-02T00:00:00Z"}}, plain),
               service.Incoming("b", {"interval": {"end": "2025-07-03T00:00:00Z"}}, extra)]
    combined = combine_tables([plain, extra])
    group = service.prepare_group(MANIF, entries, combined)
    run = RunEvidence(MANIF)
    service._for_the_gate(run, entries, combined, group)
    frame = run.frame()
    assert "COMMENTAIRE" in run.header and "note" in set(frame["COMMENTAIRE"])
    assert set(frame["ID_CORTEGE"]) == {"C-1", "C-2"} and len(group.valid) == 2

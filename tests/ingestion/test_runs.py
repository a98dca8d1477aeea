"""Runs: deliveries landed straight from memory, the pending journal instead of scans, interrupted runs,
several partners in one process."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from observatoire.config import paths
from observatoire.contracts import get_contract
from observatoire.ingestion import gate, landing, rawload, service
from observatoire.ingestion.http import PartnerUnavailable
from observatoire.ingestion.intervals import Interval

from .conftest import FAST_RETRIES
from .test_parsing import HEADER, prefecture_file
from .test_service import ledger, table_rows

MANIF = get_contract("prefecture", "manifestations")
COUNTS = get_contract("smtpc", "comptages")
THREE_DAYS = Interval.parse("2025-03-29", "2025-04-01")


def no_scans(monkeypatch: pytest.MonkeyPatch) -> None:
    """A run must not list every landed delivery nor read every delivery id of the ledger."""

    def scan(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a whole-history scan in a scheduled run")

    monkeypatch.setattr(landing, "landed_ids", scan)
    monkeypatch.setattr(landing, "quarantined_ids", scan)
    monkeypatch.setattr(rawload, "recorded_ids", scan)


def test_a_run_lands_straight_from_memory_and_scans_nothing(partners: Any, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    no_scans(monkeypatch)
    first = service.ingest_dataset(COUNTS, THREE_DAYS, policy=FAST_RETRIES)
    assert first.new == 3 and first.rows_loaded == 60
    assert not (home / "landing/.incoming/smtpc/comptages").exists() or not os.listdir(home / "landing/.incoming/smtpc/comptages")
    assert not os.listdir(home / "landing/.pending/smtpc/comptages")  # journal cleared once loaded
    for delivery_id in first.pulled:
        folder = home / "landing/smtpc/comptages" / delivery_id
        assert sorted(os.listdir(folder)) == sorted(["manifest.json", f"comptages_{delivery_id[:4]}-{delivery_id[4:6]}-{delivery_id[6:8]}.csv"])
        assert not folder.stat().st_mode & stat.S_IWUSR
        assert all(not (folder / name).stat().st_mode & stat.S_IWUSR for name in os.listdir(folder))
        manifest = json.loads((folder / "manifest.json").read_text())
        assert manifest["rows"] == 20 and manifest["gate"]["passed"] and "landed_at" in manifest
    again = service.ingest_dataset(COUNTS, THREE_DAYS, policy=FAST_RETRIES)
    assert again.new == 0 and again.rows_loaded == 0 and len(table_rows("raw.smtpc__comptages")) == 60


def test_a_structure_rejection_goes_straight_to_quarantine(partners: Any, home: Path) -> None:
    drop = home / "drop/prefecture/manifestations"
    (drop / "manifestations_2025-07-01.csv").write_bytes(prefecture_file(header=HEADER.replace(";STATUT", "")))
    report = service.ingest_dataset(MANIF, Interval.parse(None, "2025-07-05"))
    assert len(report.rejected) == 1 and len(report.loaded) == 3
    folder = home / "quarantine/prefecture/manifestations" / report.rejected[0]["delivery_id"]
    assert sorted(os.listdir(folder)) == ["manifest.json", "manifestations_2025-07-01.csv", "reason.json"]
    assert json.loads((folder / "reason.json").read_text())["kind"] == "missing_columns"
    assert json.loads((folder / "manifest.json").read_text())["status"] == "missing_columns"
    assert ("raw.prefecture__manifestations", report.rejected[0]["delivery_id"], "rejected", 0, 0, 0) in ledger()


def test_a_partner_failing_mid_pull_keeps_what_came_before(partners: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    real = service.fetch

    def two_then_fail(*args: Any, **kwargs: Any) -> Iterator[Any]:
        for index, delivered in enumerate(real(*args, **kwargs)):
            if index == 2:
                raise PartnerUnavailable("smtpc did not answer")
            yield delivered

    monkeypatch.setattr(service, "fetch", two_then_fail)
    with pytest.raises(PartnerUnavailable):
        service.ingest_dataset(COUNTS, THREE_DAYS, policy=FAST_RETRIES)
    assert len(table_rows("raw.smtpc__comptages")) == 40  # the two days fetched before the failure
    monkeypatch.setattr(service, "fetch", real)
    assert service.ingest_dataset(COUNTS, THREE_DAYS, policy=FAST_RETRIES).new == 1


def test_a_run_that_fails_in_the_gate_leaves_the_drop_files_to_the_next_run(
    partners: Any, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bug fixed: a file-drop delivery staged but never gated was remembered as known by the drop index
    and never picked up again by in-process runs."""

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("gate crashed")

    with monkeypatch.context() as patch:
        patch.setattr(gate, "_gate_function", broken)
        with pytest.raises(RuntimeError, match="gate crashed"):
            service.ingest_dataset(MANIF, Interval.parse(None, "2025-04-01"))
    assert not (home / "landing/prefecture/manifestations").exists()
    report = service.ingest_dataset(MANIF, Interval.parse(None, "2025-04-01"))
    assert report.new == 3 and len(report.loaded) == 3 and len(table_rows("raw.prefecture__manifestations")) == 6


def test_deliveries_left_in_the_incoming_area_are_gated_by_the_next_run(partners: Any, home: Path) -> None:
    pulled = service.pull_dataset(COUNTS, THREE_DAYS, policy=FAST_RETRIES)
    assert len(landing.incoming_ids(COUNTS)) == 3
    report = service.ingest_dataset(COUNTS, Interval.parse("2025-03-31", "2025-04-01"), policy=FAST_RETRIES)
    assert sorted(report.loaded) == sorted(pulled.pulled) and landing.incoming_ids(COUNTS) == []


def test_an_interrupted_load_is_finished_by_the_next_run_from_the_journal(
    partners: Any, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(rawload, "load_batch", broken)
        with pytest.raises(RuntimeError, match="disk full"):
            service.ingest_dataset(COUNTS, Interval.parse("2025-03-29", "2025-03-31"), policy=FAST_RETRIES)
    assert len(os.listdir(home / "landing/smtpc/comptages")) == 2 and ledger() == []
    journals, ids = landing.pending(COUNTS)
    assert len(journals) == 1 and len(ids) == 2
    no_scans(monkeypatch)
    report = service.ingest_dataset(COUNTS, THREE_DAYS, policy=FAST_RETRIES)
    assert report.new == 1 and len(report.loaded) == 3 and len(table_rows("raw.smtpc__comptages")) == 60
    assert landing.pending(COUNTS) == ([], [])


def test_debris_of_an_interrupted_promotion_is_staged_again(partners: Any, home: Path) -> None:
    service.pull_dataset(COUNTS, Interval.parse("2025-03-29", "2025-03-30"), policy=FAST_RETRIES)
    (delivery_id,) = landing.incoming_ids(COUNTS)
    folder = landing.delivery_dir("incoming", COUNTS, delivery_id)
    (folder / "manifest.json").unlink()  # as if the promotion stopped between its two renames
    assert landing.where_is(COUNTS, delivery_id) is None
    pulled = service.pull_dataset(COUNTS, Interval.parse("2025-03-29", "2025-03-30"), policy=FAST_RETRIES)
    assert pulled.new == 1 and landing.where_is(COUNTS, delivery_id) == "incoming"
    assert service.gate_dataset(COUNTS).refused == [] and service.load_dataset(COUNTS).rows_loaded == 20


def test_a_large_run_is_gated_in_parts(partners: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "GATE_GROUP_DELIVERIES", 1)
    monkeypatch.setattr(service, "RUN_ROWS", 30)
    calls: list[int] = []
    real = gate.RunEvidence.record

    def counting(self: gate.RunEvidence, evidence: bool = True) -> Any:
        calls.append(len(self.deliveries))
        return real(self, evidence)

    monkeypatch.setattr(gate.RunEvidence, "record", counting)
    report = service.ingest_dataset(COUNTS, THREE_DAYS, policy=FAST_RETRIES)
    assert calls == [2, 1] and report.rows_loaded == 60


def test_every_partner_in_one_process(partners: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    connections: list[object] = []
    real = rawload.connect

    def counting(*args: Any, **kwargs: Any) -> Any:
        connections.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(rawload, "connect", counting)
    reports = service.ingest_partners(None, THREE_DAYS, policy=FAST_RETRIES, full_history=True)
    assert len(connections) == 1
    assert {r.table.split(".")[1].split("__")[0] for r in reports} == {"ville", "prefecture", "smtpc", "metropole"}
    assert all(r.rows_loaded > 0 and not r.refused and not r.rejected for r in reports), reports
    assert service.ingest_partners(["smtpc"], THREE_DAYS, policy=FAST_RETRIES)[0].new == 0
    with duckdb.connect(str(paths().warehouse), read_only=True) as con:
        assert con.execute("SELECT count(DISTINCT table_name) FROM raw._deliveries").fetchone() == (11,)


def test_one_new_day_reads_only_that_day(partners: Any, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The daily increment: the new day's delivery only; nothing of the history is listed or re-read."""
    service.ingest_dataset(MANIF, Interval.parse(None, "2025-03-31"))
    read: list[str] = []
    real = service.read_group

    def counting(contract: Any, raws: Any) -> Any:
        read.extend(name for raw in raws for name, _ in raw.files)
        return real(contract, raws)

    monkeypatch.setattr(service, "read_group", counting)
    no_scans(monkeypatch)
    report = service.ingest_dataset(MANIF, Interval.parse(None, str(date(2025, 4, 1))))
    assert report.new == 1 and read == ["manifestations_2025-03-31.csv"]


def test_a_day_without_any_row_is_landed_and_recorded(partners: Any, home: Path) -> None:
    """Bug fixed: a run whose only new files held a header and no row failed (one file, or several)."""
    drop = home / "drop/prefecture/manifestations"
    service.ingest_dataset(MANIF, Interval.parse(None, "2025-04-01"))
    (drop / "manifestations_2025-07-01.csv").write_bytes(prefecture_file())
    report = service.ingest_dataset(MANIF, Interval.parse(None, "2025-07-05"))
    assert report.new == 1 and len(report.loaded) == 1 and report.rows_loaded == 0
    (drop / "manifestations_2025-07-02.csv").write_bytes(prefecture_file())
    (drop / "manifestations_2025-07-03.csv").write_bytes(prefecture_file(header=HEADER + ";EXTRA"))
    report = service.ingest_dataset(MANIF, Interval.parse(None, "2025-07-05"))
    assert report.new == 2 and len(report.loaded) == 1 and len(report.refused) == 1
    assert len(table_rows("raw.prefecture__manifestations")) == 6


def test_the_rules_engine_reads_a_run_once(partners: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """One gate call per dataset run, whatever the number of groups: the engine does not check each group
    and then the whole run again (every distinct value was scanned twice)."""
    from observatoire.privacy import delivery_gate

    scans: list[int] = []
    real = delivery_gate.scan_delivery_frame

    def counting(contract: Any, frame: Any, raw_header: Any = None) -> Any:
        scans.append(len(frame))
        return real(contract, frame, raw_header)

    monkeypatch.setattr(delivery_gate, "scan_delivery_frame", counting)
    monkeypatch.setattr(service, "GATE_GROUP_DELIVERIES", 1)
    report = service.ingest_dataset(COUNTS, THREE_DAYS, policy=FAST_RETRIES)
    assert report.rows_loaded == 60 and report.gate["checked_with"] == 3
    assert len(scans) == 1 and scans[0] == 30  # the run's distinct values: 10 periods a day, 3 days

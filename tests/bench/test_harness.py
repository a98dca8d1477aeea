"""Smoke tests of the benchmark harness itself (measurement, stages, reports) on a tiny period.

Nothing here depends on speed: the figures are checked for presence and sense, never against a limit.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from pathlib import Path

import pytest

from observatoire.bench import commands, report
from observatoire.bench.measure import machine, run_child, stage_command
from observatoire.bench.runner import (
    BUILD_STAGES,
    INCREMENT_STAGES,
    INGESTION_STAGES,
    WAREHOUSE_STAGES,
    history_start,
)
from observatoire.bench.stages import dbt_timings, planned_events, reference_query, stage_reference


def _env(home: Path) -> dict[str, str]:
    return dict(os.environ, OBSERVATOIRE_HOME=str(home))


def test_a_child_stage_is_measured_and_its_rows_reported(tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = run_child(
        "generate",
        stage_command("generate", home, start="2025-06-01", end="2025-06-02", scale=0.05, seed=1),
        env=_env(home),
        workdir=tmp_path / "bench",
    )
    assert result.ok, result.error
    assert result.wall_s > 0 and result.cpu_s > 0 and result.peak_rss_mb > 10
    assert result.rows_out and result.rows_out > 0
    assert (home / "partners" / "manifest.json").is_file()
    assert Path(str(result.log)).is_file()


def test_a_failing_stage_is_reported_not_raised(tmp_path: Path) -> None:
    home = tmp_path / "empty"
    result = run_child(
        "generate",
        stage_command("generate", home, start="2025-06-02", end="2025-06-01", scale=0.05),
        env=_env(home),
        workdir=tmp_path / "bench",
    )
    assert not result.ok
    assert result.error and "before" in result.error
    assert json.loads((tmp_path / "bench" / "measured" / "generate.json").read_text())["ok"] is False


def test_reference_read_counts_landed_csv_and_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OBSERVATOIRE_HOME", str(tmp_path))
    csv_dir = tmp_path / "landing" / "prefecture" / "visites_officielles" / "d1"
    csv_dir.mkdir(parents=True)
    header = (
        "ID_VISITE;DATE_DEBUT;DATE_FIN;NIVEAU;LIEU;ARRONDISSEMENT;LAT;LON;PERIMETRE_SECURITE_M;EFFECTIFS_FDO"
    )
    body = "\r\n".join(
        [header]
        + [
            f"V{i};01/06/2025 10:00;01/06/2025 12:00;MINISTRE;Préfecture;6;43,29;5,38;300;150"
            for i in range(3)
        ]
    )
    (csv_dir / "visites.csv").write_bytes((body + "\r\n").encode("cp1252"))
    (csv_dir / "manifest.json").write_text(json.dumps({"payload": "csv", "files": [{"name": "visites.csv"}]}))
    json_dir = tmp_path / "landing" / "ville" / "evenements" / "d2"
    json_dir.mkdir(parents=True)
    page = {"data": [{"id": "EV-1"}, {"id": "EV-2"}], "page": 1, "next": None}
    (json_dir / "page-0001.json").write_text(json.dumps(page))
    (json_dir / "manifest.json").write_text(
        json.dumps({"payload": "json", "files": [{"name": "page-0001.json"}]})
    )

    outcome = stage_reference(tmp_path, argparse.Namespace())

    tables = outcome.details["tables"]
    assert tables["prefecture__visites_officielles"]["rows"] == 3
    assert tables["ville__evenements"]["rows"] == 2
    assert outcome.rows_out == 5


def test_reference_query_reads_csv_with_the_contract_dialect() -> None:
    query = reference_query("prefecture__manifestations", "csv", None, [Path("/x/a.csv")])
    assert "delim=';'" in query and "latin-1" in query


def test_dbt_timings_slowest_first() -> None:
    nodes = dbt_timings(
        {
            "results": [
                {"unique_id": "a", "status": "success", "execution_time": 1.0},
                {"unique_id": "b", "status": "pass", "execution_time": 3.0},
            ]
        }
    )
    assert [n["node"] for n in nodes] == ["b", "a"]


def test_planned_events_are_reproducible() -> None:
    assert planned_events(5, 3) == planned_events(5, 3)
    assert len(planned_events(200, 1)) == 200


def _stage(name: str, wall: float, rss: float = 100.0, ok: bool = True) -> dict[str, object]:
    return {
        "stage": name,
        "ok": ok,
        "wall_s": wall,
        "cpu_s": wall,
        "peak_rss_mb": rss,
        "rows_in": 10,
        "rows_out": 10,
        "details": {},
        "error": None,
        "log": None,
    }


def _results(increment_wall: float) -> dict[str, object]:
    stages = (
        [_stage("generate", 5.0), _stage("reference_read", 1.0)]
        + [_stage(n, 30.0) for n in INGESTION_STAGES]
        + [_stage(n, 10.0) for n in WAREHOUSE_STAGES]
        + [_stage(n, 10.0) for n in BUILD_STAGES]
    )
    stages[1]["details"] = {"tables": {"t": {"wall_s": 0.5}}}
    # Gates: 2 s in each ingestion, 4 s in publish_gate and in publish → 16 s added to 144 s without them.
    for stage in stages:
        seconds = {"publish_gate": 4.0, "publish": 4.0}.get(
            str(stage["stage"]), 2.0 if str(stage["stage"]).startswith("ingest_") else 0.0
        )
        if seconds:
            stage["details"] = {"privacy_gate": {"wall_s": seconds, "cpu_s": seconds, "calls": 1}}
    return {
        "started_at": "2026-01-01T10:00:00+00:00",
        "duration_s": 100.0,
        "options": {
            "years": [10],
            "scale": 1.0,
            "queries": 200,
            "seed": 42,
            "end": "2025-12-31",
            "quick_days": None,
        },
        "machine": machine() | {"load_average_at_end": [1.0, 1.0, 1.0]},
        "scenarios": [
            {
                "label": "10y",
                "years": 10.0,
                "days": 3652,
                "start": "2016-01-01",
                "end": "2025-12-31",
                "stages": stages
                + [_stage("queries", 1.0) | {"details": {"p50_ms": 5.0, "p95_ms": 9.0, "max_ms": 10}}],
                "increment": [_stage(n, increment_wall) for n in INCREMENT_STAGES],
                "profiled": [],
            }
        ],
        "synthetic_similarity": _stage("similarity_index_100000_events", 20.0) | {"rows_in": 100_000},
    }


def test_targets_met_and_missed(tmp_path: Path) -> None:
    summary = report.summarise(_results(increment_wall=10.0))
    verdicts = {t["target"].split(",")[0]: t["met"] for t in summary["targets"]}
    assert verdicts["full build"] is True  # reload + 4 warehouse stages × 10 s = 50 s < 120 s
    assert verdicts["ingestion of the 10y history"] is True  # 4 partners × 30 s = 120 s < 180 s
    assert verdicts["daily increment on top of 10y history"] is False  # 5 stages × 10 s = 50 s > 30 s
    assert verdicts["both privacy gates"] is True  # 16 s added to 144 s: 11 %
    gates = summary["scenarios"][0]["gates_in_pipeline"]
    assert gates["wall_s"] == 16.0 and gates["added_share"] == round(16.0 / 144.0, 4)
    assert verdicts["similarity index at 100"] is True
    assert verdicts["one similar-events query"] is True
    json_path, md_path = report.write(_results(increment_wall=1.0), tmp_path)
    assert json.loads(json_path.read_text())["summary"]["targets"]
    text = md_path.read_text()
    assert "Shared machine" in text and "| dbt_build |" in text and "20×" in text
    assert (tmp_path / "latest.md").read_text() == text


def test_quick_options_and_history_start() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    commands.register(sub)
    args = parser.parse_args(["bench", "--quick", "--workdir", "/tmp/x"])
    options = commands.options_from(args)
    assert options.quick_days == commands.QUICK_DAYS and options.scale == commands.QUICK_SCALE
    full = commands.options_from(parser.parse_args(["bench"]))
    assert full.years == [1, 3, 10] and full.queries == 200 and full.synthetic_events == 100_000
    assert history_start(date(2025, 12, 31), 10) == date(2016, 1, 1)
    assert sys.executable  # the children run with this interpreter


def test_an_interrupted_run_is_recovered_from_its_progress_lines(tmp_path: Path) -> None:
    from observatoire.bench.recover import recover

    home = tmp_path / "y10"
    (home / "bench" / "full" / "results").mkdir(parents=True)
    (home / "bench" / "full" / "results" / "ingest_ville.json").write_text(
        json.dumps({"ok": True, "rows_in": 5, "rows_out": 5, "details": {"phases": {}}})
    )
    log = tmp_path / "run.out"
    log.write_text(
        "[bench     0.3s] === 10y: 2016-01-01 → 2025-12-31 at scale 1.0\n"
        "[bench   292.8s]   10y/full/generate: generate: 292.5s wall, 27.0s CPU, 747 MB peak, rows 0 → 2653352\n"
        "[bench   400.0s]   10y/full/ingest_ville: ingest_ville: 100.0s wall, 20.0s CPU, 500 MB peak, rows 5 → 5\n"
        "[bench   500.0s]   10y/full/ingest_smtpc: ingest_smtpc: FAILED after 10.0s — TypeError: boom\n"
        "[bench   600.0s]   10y/full/ingest_prefecture …\n",
        encoding="utf-8",
    )
    results = recover(tmp_path, log)
    (scenario,) = results["scenarios"]
    assert [s["stage"] for s in scenario["stages"]] == ["generate", "ingest_ville", "ingest_smtpc"]
    assert scenario["stages"][1]["cpu_s"] == 20.0 and scenario["stages"][1]["rows_out"] == 5
    assert not scenario["stages"][2]["ok"]
    assert results["complete"] is False
    assert report.summarise(results)["targets"]


def test_a_gate_reached_through_two_wrapped_names_is_timed_once() -> None:
    from observatoire.bench.stages import PhaseTimer

    timer = PhaseTimer()
    inner = timer.wrap("privacy_gate", lambda: 1)
    outer = timer.wrap("privacy_gate", lambda: inner() + 1)
    assert outer() == 2
    assert timer.to_dict()["privacy_gate"]["calls"] == 1

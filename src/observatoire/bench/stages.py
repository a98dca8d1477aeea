"""What each measured child process does: one stage of the pipeline, through the package's own API.

Run as ``python -m observatoire.bench.stages STAGE --home HOME --result FILE [options]``. The child
sets ``OBSERVATOIRE_HOME``, runs the stage and writes ``{"ok", "rows_in", "rows_out", "details"}`` to
``FILE``; the parent measures wall time, CPU time and peak RSS (:mod:`.measure`). With ``--profile``
the stage runs under cProfile and the top entries (cumulative time) go into ``details["profile"]``.

A stage whose code has not landed yet fails with ``error`` naming what is missing: the benchmark
reports the gap and goes on with the other stages.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import io
import json
import os
import pstats
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ..contracts.registry import PARTNERS

PARIS = ZoneInfo("Europe/Paris")
PROFILE_TOP = 25


class StageMissing(RuntimeError):
    """The code a stage needs is not in the package (yet)."""


@dataclass
class Outcome:
    rows_in: int | None = None
    rows_out: int | None = None
    details: dict[str, Any] = field(default_factory=dict)


def _find(candidates: list[tuple[str, str]]) -> Callable[..., Any]:
    """The first ``module:function`` of ``candidates`` that exists."""
    tried = []
    for module_name, attribute in candidates:
        tried.append(f"{module_name}.{attribute}")
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        function = getattr(module, attribute, None)
        if callable(function):
            return function  # type: ignore[no-any-return]
    raise StageMissing("none of " + ", ".join(tried) + " exists yet")


# ----------------------------------------------------------------------------------------- generation


def stage_generate(home: Path, args: argparse.Namespace) -> Outcome:
    from ..simulation.generator import generate

    summary = generate(
        date.fromisoformat(args.start), date.fromisoformat(args.end), args.seed, args.scale, home / "partners"
    )
    return Outcome(
        rows_in=0,
        rows_out=sum(summary.rows.values()),
        details={
            "rows": dict(summary.rows),
            "files": dict(summary.files),
            "real_events": summary.real_events,
        },
    )


# ------------------------------------------------------------------------------------------ ingestion


class PhaseTimer:
    """Cumulative wall and CPU seconds of the functions it wraps (landing, gate, validation, load)."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._active: set[str] = set()

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            # Only the outermost call of a phase counts (a gate reached through two wrapped names is one gate).
            if name in self._active:
                return function(*args, **kwargs)
            self._active.add(name)
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                self._active.discard(name)
                self.wall[name] = self.wall.get(name, 0.0) + time.perf_counter() - wall
                self.cpu[name] = self.cpu.get(name, 0.0) + time.process_time() - cpu
                self.calls[name] = self.calls.get(name, 0) + 1

        return timed

    def to_dict(self) -> dict[str, Any]:
        return {
            name: {
                "wall_s": round(self.wall[name], 3),
                "cpu_s": round(self.cpu[name], 3),
                "calls": self.calls[name],
            }
            for name in self.wall
        }


PRIVACY_GATE_PHASE = "privacy_gate"

# (module, attribute, phase): wrapped when present; the ingestion's code is evolving, so absent ones are skipped.
INGESTION_PHASES: tuple[tuple[str, str, str], ...] = (
    ("observatoire.ingestion.landing", "stage_incoming", "land_incoming"),
    ("observatoire.ingestion.landing", "land_new", "land"),
    ("observatoire.ingestion.landing", "quarantine_new", "quarantine"),
    ("observatoire.ingestion.service", "read_delivery", "parse"),
    ("observatoire.ingestion.service", "read_group", "parse"),
    ("observatoire.ingestion.gate", "run_delivery_gate", "delivery_gate"),
    ("observatoire.privacy.evidence", "record_evidence", "delivery_gate_gx_evidence"),
    ("observatoire.ingestion.landing", "promote", "promote"),
    ("observatoire.ingestion.service", "validate", "validate"),
    ("observatoire.ingestion.rawload", "load_batch", "load_raw"),
)


# Every entry point of the two privacy gates (package attribute and defining module: callers use either).
GATE_PHASES: tuple[tuple[str, str, str], ...] = (
    ("observatoire.privacy", "check_delivery", PRIVACY_GATE_PHASE),
    ("observatoire.privacy.delivery_gate", "check_delivery", PRIVACY_GATE_PHASE),
    ("observatoire.privacy", "check_published_tables", PRIVACY_GATE_PHASE),
    ("observatoire.privacy.publish_gate", "check_published_tables", PRIVACY_GATE_PHASE),
)


def instrument_gates(timer: PhaseTimer) -> list[str]:
    """Time every privacy gate call of the stage (delivery and publish gates, GX evidence included)."""
    return _instrument(timer, GATE_PHASES)


def instrument_ingestion(timer: PhaseTimer) -> list[str]:
    """Time the ingestion's phases from outside: module attributes are wrapped, the code is unchanged."""
    return _instrument(timer, INGESTION_PHASES)


def _instrument(timer: PhaseTimer, phases: tuple[tuple[str, str, str], ...]) -> list[str]:
    wrapped = []
    for module_name, attribute, phase in phases:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        function = getattr(module, attribute, None)
        if callable(function):
            setattr(module, attribute, timer.wrap(phase, function))
            wrapped.append(f"{module_name}.{attribute}")
    return wrapped


def _interval(args: argparse.Namespace) -> Any:
    from ..ingestion.intervals import Interval

    start = date.fromisoformat(args.start)
    end = date.fromisoformat(args.end)
    return Interval(
        datetime(start.year, start.month, start.day, tzinfo=PARIS),
        datetime(end.year, end.month, end.day, tzinfo=PARIS) + timedelta(days=1),
    )


def stage_ingest(home: Path, args: argparse.Namespace) -> Outcome:
    """``--partner P``: one partner; ``--partner all`` (or a comma list): every partner in this one process."""
    from ..ingestion.service import default_getter, ingest_partner

    timer = PhaseTimer()
    wrapped = instrument_ingestion(timer)
    partners = list(PARTNERS) if args.partner == "all" else args.partner.split(",")
    interval = _interval(args)
    if len(partners) == 1:
        reports = ingest_partner(partners[0], interval, getter=default_getter)
    else:
        try:
            together = _find([("observatoire.ingestion.service", "ingest_partners")])
            reports = together(partners, interval, getter=default_getter)
        except StageMissing:
            reports = [r for p in partners for r in ingest_partner(p, interval, getter=default_getter)]
    return _ingestion_outcome(reports, timer, wrapped)


def stage_reload(home: Path, args: argparse.Namespace) -> Outcome:
    """Every ``raw.*`` table rebuilt from the immutable landing (the start of a full build from landed files)."""
    timer = PhaseTimer()
    wrapped = instrument_ingestion(timer)
    reload = _find([("observatoire.ingestion.service", "reload_from_landing")])
    return _ingestion_outcome(reload(), timer, wrapped)


def _ingestion_outcome(reports: list[Any], timer: PhaseTimer, wrapped: list[str]) -> Outcome:
    datasets = {}
    rows_loaded = rows_quarantined = 0
    for report in reports:
        rows_loaded += report.rows_loaded
        rows_quarantined += report.rows_quarantined
        datasets[report.table] = {
            "deliveries_pulled": len(report.pulled),
            "deliveries_new": report.new,
            "deliveries_loaded": len(report.loaded),
            "refused": len(report.refused),
            "rejected": len(report.rejected),
            "rows_loaded": report.rows_loaded,
            "rows_quarantined": report.rows_quarantined,
            "missing_days": len(report.missing_days),
            "gate_available": report.gate_available,
            "first_refusals": [r.get("message", "")[:300] for r in report.refused[:3]]
            + [r.get("message", "")[:300] for r in report.rejected[:3]],
        }
    return Outcome(
        rows_in=rows_loaded + rows_quarantined,
        rows_out=rows_loaded,
        details={"datasets": datasets, "phases": timer.to_dict(), "instrumented": wrapped},
    )


# --------------------------------------------------------------------------------- physical reference


def _landed(home: Path) -> Iterator[tuple[str, str, dict[str, Any], list[Path]]]:
    """(table, payload kind, manifest, files) of every landed delivery."""
    root = home / "landing"
    if not root.is_dir():
        return
    for partner in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for dataset in sorted(d for d in partner.iterdir() if d.is_dir()):
            for delivery in sorted(dataset.iterdir()):
                manifest_path = delivery / "manifest.json"
                if not manifest_path.is_file():
                    continue
                manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
                files = [delivery / f["name"] for f in manifest.get("files", [])]
                yield f"{partner.name}__{dataset.name}", str(manifest.get("payload", "")), manifest, files


def _sql_list(paths: list[Path]) -> str:
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


def reference_query(table: str, payload: str, records_key: str | None, files: list[Path]) -> str:
    """The plainest DuckDB read that counts the records of these landed files."""
    from ..contracts import CONTRACTS

    contract = CONTRACTS[table]
    if payload == "csv":
        encoding = contract.wire.encoding.lower().replace("_", "-")
        # DuckDB reads latin-1 natively; cp1252 differs only in 0x80-0x9F, which cannot change a count.
        duck_encoding = (
            "latin-1" if encoding in ("cp1252", "windows-1252", "latin-1", "iso-8859-1") else "utf-8"
        )
        return (
            f"SELECT count(*) FROM read_csv({_sql_list(files)}, delim='{contract.wire.delimiter}', header=true, "
            f"all_varchar=true, encoding='{duck_encoding}')"
        )
    if records_key:
        return (
            f"SELECT coalesce(sum(len({records_key})), 0) FROM read_json({_sql_list(files)}, "
            "format='auto', maximum_object_size=1073741824)"
        )
    return (
        f"SELECT count(*) FROM read_json({_sql_list(files)}, format='auto', maximum_object_size=1073741824)"
    )


def _json_records_key(files: list[Path]) -> str | None:
    """``data``/``results``/``records`` when the landed JSON files are pages wrapping the records."""
    for path in files[:1]:
        with open(path, encoding="utf-8", errors="replace") as handle:
            head = handle.read(4096).lstrip()
        if head.startswith("{"):
            for key in ("data", "results", "records"):
                if f'"{key}"' in head[:4096]:
                    first_line = head.split("\n", 1)[0]
                    # JSON lines of records also start with "{": only a wrapper holds a list under the key.
                    if f'"{key}": [' in first_line or f'"{key}":[' in first_line:
                        return key
    return None


def stage_reference(home: Path, args: argparse.Namespace) -> Outcome:
    """DuckDB simply reading each dataset's landed files: the physical floor every stage is compared to."""
    import duckdb

    groups: dict[str, dict[str, Any]] = {}
    for table, payload, manifest, files in _landed(home):
        group = groups.setdefault(
            table, {"payload": payload, "files": [], "records_key": manifest.get("records_key")}
        )
        group["files"].extend(f for f in files if f.is_file())
    con = duckdb.connect()
    con.execute(f"SET threads = {max(1, len(os.sched_getaffinity(0)))}")
    per_table: dict[str, Any] = {}
    total_rows = 0
    total_bytes = 0
    for table, group in sorted(groups.items()):
        files = group["files"]
        if not files:
            continue
        key = group["records_key"] if group["payload"] != "csv" else None
        if group["payload"] != "csv" and not key:
            key = _json_records_key(files)
        query = reference_query(table, group["payload"], key, files)
        started, cpu = time.perf_counter(), time.process_time()
        error = None
        try:
            fetched = con.execute(query).fetchone()
        except duckdb.Error as failure:
            error = str(failure)[:300]
            # cp1252 bytes 0x80-0x9F (’, œ, €) are not latin-1 and DuckDB has no cp1252 reader without the
            # encodings extension: read as UTF-8 skipping the undecodable lines (the read is still timed).
            fallback = query.replace("encoding='latin-1'", "encoding='utf-8', ignore_errors=true")
            try:
                fetched = con.execute(fallback).fetchone()
                error = f"fallback utf-8 + ignore_errors (rows approximate): {error[:120]}"
            except duckdb.Error:
                fetched = None
        rows = int(fetched[0]) if fetched else 0
        size = sum(f.stat().st_size for f in files)
        per_table[table] = {
            "files": len(files),
            "bytes": size,
            "rows": rows,
            "wall_s": round(time.perf_counter() - started, 4),
            "cpu_s": round(time.process_time() - cpu, 4),
            "error": error,
        }
        total_rows += rows
        total_bytes += size
    con.close()
    return Outcome(
        rows_in=total_rows, rows_out=total_rows, details={"tables": per_table, "bytes": total_bytes}
    )


# ------------------------------------------------------------------------------------------ warehouse


def _count(con: Any, relation: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {relation}").fetchone()
    return int(row[0]) if row else 0


def schema_rows(database: Path, schema: str) -> dict[str, int]:
    import duckdb

    if not database.exists():
        return {}
    con = duckdb.connect(str(database), read_only=True)
    try:
        names = [
            str(r[0])
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE' "
                "ORDER BY 1",
                [schema],
            ).fetchall()
        ]
        return {name: _count(con, f'{schema}."{name}"') for name in names}
    finally:
        con.close()


def stage_dbt(home: Path, args: argparse.Namespace) -> Outcome:
    """``dbt build`` as its own process (the parent's ``wait4`` includes it), then the marts counted here.

    In-process, dbt-duckdb keeps its connection to the warehouse open until the interpreter ends, and a
    second connection with another configuration is refused: hence the subprocess."""
    import subprocess

    from ..config import dbt_project_dir
    from ..orchestration.dbt import dbt_executable, production_build_options

    project = dbt_project_dir()
    target = home / "dbt_target" / "bench"
    warehouse = home / "warehouse" / "warehouse.duckdb"
    raw = schema_rows(warehouse, "raw")
    env = dict(
        os.environ, DBT_SEND_ANONYMOUS_USAGE_STATS="False", DO_NOT_TRACK="1", OBSERVATOIRE_HOME=str(home)
    )
    command = [str(dbt_executable()), "build", "--project-dir", str(project), "--profiles-dir", str(project),
               "--target-path", str(target)]  # fmt: skip
    command += production_build_options(full_refresh=args.mode == "full")
    if args.quiet_dbt:
        command.append("--quiet")
    done = subprocess.run(command, env=env, check=False)
    details: dict[str, Any] = {"raw_rows": raw, "command": " ".join(command[1:])}
    run_results = target / "run_results.json"
    if run_results.is_file():
        data = json.loads(run_results.read_text(encoding="utf-8"))
        details["models"] = dbt_timings(data)
        details["dbt_elapsed_s"] = data.get("elapsed_time")
    marts = schema_rows(warehouse, "marts")
    details["marts_rows"] = marts
    if done.returncode != 0:
        failures = [m for m in details.get("models", []) if m.get("status") not in ("success", "pass")]
        raise RuntimeError(f"dbt build failed (exit {done.returncode}): {failures[:5]}")
    return Outcome(rows_in=sum(raw.values()), rows_out=sum(marts.values()), details=details)


def dbt_timings(run_results: dict[str, Any]) -> list[dict[str, Any]]:
    """Per node: status and execution seconds, slowest first."""
    nodes = []
    for item in run_results.get("results", []):
        nodes.append(
            {
                "node": str(item.get("unique_id", "")),
                "status": str(item.get("status", "")),
                "seconds": round(float(item.get("execution_time") or 0.0), 3),
                "rows": (item.get("adapter_response") or {}).get("rows_affected"),
            }
        )
    return sorted(nodes, key=lambda n: -float(n["seconds"]))


# -------------------------------------------------------------------------------------------- privacy


def stage_publish_gate(home: Path, args: argparse.Namespace) -> Outcome:
    """The publish gate's first pass over the warehouse marts, as the warehouse DAG runs it (``check_marts``):
    the rules engine, with Great Expectations evidence only when it refuses; the gate of record runs on
    the file about to be published (stage ``publish``)."""
    from ..orchestration.warehouse import check_marts

    summary = check_marts()
    rows = int(summary.get("rows_checked", 0) or 0)
    return Outcome(
        rows_in=rows,
        rows_out=rows if summary.get("passed", True) else 0,
        details={
            "passed": bool(summary.get("passed", True)),
            "tables": summary.get("tables_checked"),
            "findings": summary.get("findings"),
            "timing": summary.get("timing"),
            "message": str(summary.get("message", ""))[:500],
        },
    )


# ---------------------------------------------------------------------------------------- similarity


def stage_similarity(home: Path, args: argparse.Namespace) -> Outcome:
    warehouse = home / "warehouse" / "warehouse.duckdb"
    build = _find(
        [
            ("observatoire.similarity.build", "build_similarity_index"),
            ("observatoire.similarity.index", "build_index"),
        ]
    )
    import inspect

    if "full" in inspect.signature(build).parameters:
        result = build(warehouse, full=args.mode == "full")
    else:
        result = build(warehouse)
    data = result.__dict__ if hasattr(result, "__dict__") else {}
    details = {
        k: (str(v) if isinstance(v, Path) else v)
        for k, v in data.items()
        if isinstance(v, (int, float, str, Path, dict))
    }
    events = int(data.get("events", 0) or 0)
    pairs = int(data.get("pairs", 0) or 0)
    return Outcome(rows_in=events, rows_out=pairs, details=details)


def synthetic_events(n: int, seed: int, years: float) -> Any:
    """``n`` made-up events with every column the index reads, spread over ``years`` years."""
    import numpy as np
    import pandas as pd

    from ..similarity import columns as c

    rng = np.random.default_rng(seed)
    families = {
        "concert": "spectacle",
        "festival": "spectacle",
        "spectacle": "spectacle",
        "fete": "fete",
        "feu_artifice": "fete",
        "match_football": "sport",
        "course": "sport",
        "marche": "commerce",
        "brocante": "commerce",
        "tournage": "tournage",
        "ceremonie": "ceremonie",
        "manifestation": "manifestation",
        "visite_officielle": "visite",
    }
    natures = np.array(sorted(families))
    nature = natures[rng.integers(0, len(natures), n)]
    begin = pd.Timestamp("2016-01-01", tz="UTC")
    offsets = pd.to_timedelta(rng.integers(0, int(years * 365.25 * 24 * 4), n) * 15, unit="min")
    starts = begin + offsets
    duration = np.round(10 ** rng.uniform(-0.3, 2.0, n), 1)
    local = starts.tz_convert("Europe/Paris")
    frame = pd.DataFrame(
        {
            c.EVENT_ID: [f"bench-{i:07d}" for i in range(n)],
            c.NATURE: nature,
            c.NATURE_FAMILY: [families[x] for x in nature],
            c.PLACE_NAME: [f"lieu {i % 400}" for i in range(n)],
            c.LATITUDE: 43.30 + rng.normal(0, 0.03, n),
            c.LONGITUDE: 5.38 + rng.normal(0, 0.03, n),
            c.ARRONDISSEMENT: rng.integers(1, 17, n),
            c.SECTOR: rng.integers(1, 9, n),
            c.STARTS_AT: starts,
            c.ENDS_AT: starts + pd.to_timedelta(duration, unit="h"),
            c.DURATION_HOURS: duration,
            c.PARTICIPANTS: np.round(10 ** rng.uniform(1, 5, n)),
            c.PARTICIPANTS_IMPUTED: rng.random(n) < 0.2,
            c.EMPRISE_M2: np.round(10 ** rng.uniform(1, 4.5, n)),
            c.EMPRISE_IMPUTED: rng.random(n) < 0.3,
            c.IS_WEEKEND: np.asarray(local.dayofweek >= 5),
            c.IS_SUMMER: np.asarray((local.month >= 4) & (local.month <= 9)),
            c.STATUS: "termine",
            c.TOOK_PLACE: rng.random(n) < 0.95,
        }
    )
    for outcome in c.OUTCOMES:
        frame[outcome] = rng.poisson(3, n).astype("float64")
    return frame


def stage_similarity_synthetic(home: Path, args: argparse.Namespace) -> Outcome:
    """The index's search on ``--events`` synthetic events (the 100,000-event target), in memory."""
    from ..similarity.config import load_config
    from ..similarity.events import events_from_frame
    from ..similarity.index import fit_index

    frame = synthetic_events(args.events, args.seed, args.years_span)
    config = load_config()
    started = time.perf_counter()
    events = events_from_frame(frame)
    index = fit_index(events, config)
    seconds = time.perf_counter() - started
    pairs = len(index.neighbours.query)
    return Outcome(
        rows_in=len(frame),
        rows_out=pairs,
        details={
            "fit_seconds": round(seconds, 3),
            "scored_pairs": int(index.neighbours.scored_pairs),
            "k": config.k,
        },
    )


# ------------------------------------------------------------------------------------------ publication


def stage_publish(home: Path, args: argparse.Namespace) -> Outcome:
    """Publication as the warehouse DAG does it: copy, small-cell suppression, publish gate, atomic swap."""
    from ..orchestration.warehouse import publish_marts

    extra = publish_marts(f"bench-{int(time.time())}", {}, {})
    rows = extra.get("rows_per_table", {}) or {}
    gate = extra.get("gate", {}) or {}
    return Outcome(
        rows_in=sum(int(v) for v in rows.values()),
        rows_out=sum(int(v) for v in rows.values()),
        details={
            "rows_per_table": rows,
            "gate_passed": extra.get("gate_passed"),
            "gate_duration_s": gate.get("duration_s"),
            "gate_timing": gate.get("timing"),
            "cells_suppressed": extra.get("cells_suppressed"),
            "bytes": (home / "published" / "observatoire.duckdb").stat().st_size
            if (home / "published" / "observatoire.duckdb").exists()
            else None,
        },
    )


# ------------------------------------------------------------------------------------------------ query


def planned_events(count: int, seed: int) -> list[dict[str, Any]]:
    """Hypothetical upcoming events spread over natures, places, sizes and seasons."""
    import numpy as np

    rng = np.random.default_rng(seed)
    natures = [
        "concert",
        "festival",
        "match_football",
        "manifestation_revendicative",
        "marche",
        "brocante",
        "feu_artifice",
        "course",
        "tournage",
        "ceremonie",
        "spectacle",
        "fete_populaire",
    ]
    base = datetime(2026, 12, 1, tzinfo=PARIS)
    planned = []
    for i in range(count):
        start = base + timedelta(days=int(rng.integers(0, 365)), hours=int(rng.integers(8, 22)))
        planned.append(
            {
                "nature": natures[i % len(natures)],
                "latitude": float(43.30 + rng.normal(0, 0.025)),
                "longitude": float(5.38 + rng.normal(0, 0.025)),
                "starts_at": start,
                "duration_hours": float(round(10 ** rng.uniform(0, 1.5), 1)),
                "participants": int(round(10 ** rng.uniform(1.5, 4.8))),
                "emprise_m2": float(round(10 ** rng.uniform(1.5, 4.2))),
            }
        )
    return planned


def stage_queries(home: Path, args: argparse.Namespace) -> Outcome:
    """``--count`` planned events queried one by one in this warm process; p50/p95 of the query alone."""
    import numpy as np

    published = home / "published" / "observatoire.duckdb"
    if not published.exists():
        # Publication failed: the query API also reads the warehouse's marts (same tables, schema marts).
        published = home / "warehouse" / "warehouse.duckdb"
    query = _query_function()
    planned = planned_events(args.count, args.seed)
    load_started = time.perf_counter()
    handle = query.open(published)
    open_s = time.perf_counter() - load_started
    known = list(getattr(getattr(handle, "events", None), "natures", ()) or ())
    if known:  # natures must be known to the published file: cycle over its own vocabulary
        for i, event in enumerate(planned):
            event["nature"] = known[i % len(known)]
    query.run(handle, planned[0])  # warm-up, not counted
    latencies = []
    cpu_latencies = []
    returned = 0
    for event in planned:
        started, cpu = time.perf_counter(), time.process_time()
        answer = query.run(handle, event)
        latencies.append(time.perf_counter() - started)
        cpu_latencies.append(time.process_time() - cpu)
        returned += answer
    ms = np.array(latencies) * 1000.0
    cpu_ms = np.array(cpu_latencies) * 1000.0
    return Outcome(
        rows_in=len(planned),
        rows_out=returned,
        details={
            "api": query.name,
            "database": str(published),
            "open_s": round(open_s, 3),
            "p50_ms": round(float(np.percentile(ms, 50)), 2),
            "p95_ms": round(float(np.percentile(ms, 95)), 2),
            "max_ms": round(float(ms.max()), 2),
            "mean_ms": round(float(ms.mean()), 2),
            "p50_cpu_ms": round(float(np.percentile(cpu_ms, 50)), 2),
            "p95_cpu_ms": round(float(np.percentile(cpu_ms, 95)), 2),
        },
    )


@dataclass
class QueryApi:
    name: str
    open: Callable[[Path], Any]
    run: Callable[[Any, dict[str, Any]], int]


def _query_function() -> QueryApi:
    """The similarity package's planned-event query, whichever of its known shapes has landed."""
    try:
        module = importlib.import_module("observatoire.similarity.query")
    except ImportError as error:
        raise StageMissing(f"observatoire.similarity.query does not exist yet ({error})") from error
    query = getattr(module, "query_planned_event", None)
    loader = getattr(module, "load_index", None)
    planned_class = getattr(module, "PlannedEvent", None)
    if callable(query) and callable(loader) and planned_class is not None:
        import inspect

        accepted = set(inspect.signature(planned_class).parameters)
        state: dict[str, Path] = {}

        def open_(path: Path) -> Any:
            state["path"] = path
            return loader(path)  # loads and caches the events: later queries are warm

        def run(handle: Any, event: dict[str, Any]) -> int:
            result = query(state["path"], planned_class(**{k: v for k, v in event.items() if k in accepted}))
            return len(getattr(result, "neighbours", ()) or ())

        return QueryApi(name="observatoire.similarity.query.query_planned_event", open=open_, run=run)
    return _adapt_query_module(module)


def _count_rows(answer: Any) -> int:
    for attribute in ("neighbours", "neighbors", "rows", "frame"):
        value = getattr(answer, attribute, None)
        if value is not None:
            try:
                return len(value)
            except TypeError:
                continue
    try:
        return len(answer)
    except TypeError:
        return 1


def _adapt_query_module(module: Any) -> QueryApi:
    """A loader (``load_query_index``/``QueryIndex.load``/…) plus a query function taking a planned event."""
    import inspect

    loader = None
    for name in ("load_query_index", "load_index", "open_index", "QueryIndex", "SimilarityQuery", "Searcher"):
        candidate = getattr(module, name, None)
        if candidate is None:
            continue
        if inspect.isclass(candidate):
            for constructor in ("load", "open", "from_file", "from_published"):
                if hasattr(candidate, constructor):
                    loader = getattr(candidate, constructor)
                    break
        else:
            loader = candidate
        if loader is not None:
            break
    planned_class = getattr(module, "PlannedEvent", None)
    runner = None
    for name in ("query_similar", "similar_events", "query", "find_similar", "query_planned_event"):
        if callable(getattr(module, name, None)):
            runner = getattr(module, name)
            break
    if runner is None and loader is None:
        raise StageMissing(f"{module.__name__} has no known loader or query function")

    def make_event(event: dict[str, Any]) -> Any:
        if planned_class is None:
            return event
        accepted = set(inspect.signature(planned_class).parameters)
        return planned_class(**{k: v for k, v in event.items() if k in accepted})

    def open_(path: Path) -> Any:
        return loader(path) if loader is not None else path

    def run(handle: Any, event: dict[str, Any]) -> int:
        planned = make_event(event)
        if runner is not None:
            return _count_rows(runner(handle, planned))
        for method in ("query", "similar", "search"):
            if hasattr(handle, method):
                return _count_rows(getattr(handle, method)(planned))
        raise StageMissing("the loaded index has no query method")

    return QueryApi(
        name=f"{module.__name__}.{getattr(runner, '__name__', 'handle.query')}", open=open_, run=run
    )


# ------------------------------------------------------------------------------------------- diagnostic


PROBE_ENV = "OBSERVATOIRE_BENCH_PROBE"
PROBED_MODULES: tuple[str, ...] = ("great_expectations", "pandas", "duckdb", "observatoire.ingestion.service")


def stage_probe(home: Path, args: argparse.Namespace) -> Outcome:
    """Not part of the pipeline: what a stage process finds when it starts (checks of the harness).

    Which libraries are already imported (a fork of the warm worker finds its preload), the process's
    parent, the home it resolves, ``$OBSERVATOIRE_BENCH_PROBE`` (the environment it was given), then ``--seconds`` waiting for a ``sleep`` child (to test the stage timeout)."""
    imported = {name: name in sys.modules for name in PROBED_MODULES}
    from ..config import paths

    resolved = str(paths().home)
    if args.seconds:
        # A child of its own, as dbt is for the dbt stage: a stage timeout must end it too.
        import subprocess

        sleeper = subprocess.Popen(["sleep", str(args.seconds)])
        print(f"probe: waiting for pid {sleeper.pid}", flush=True)
        sleeper.wait()
    return Outcome(
        rows_in=0,
        rows_out=0,
        details={
            "imported_at_start": imported,
            "pid": os.getpid(),
            "parent_pid": os.getppid(),
            "home": resolved,
            "env_home": os.environ.get("OBSERVATOIRE_HOME"),
            "env_probe": os.environ.get(PROBE_ENV),
        },
    )


# ------------------------------------------------------------------------------------------------ main

STAGES: dict[str, Callable[[Path, argparse.Namespace], Outcome]] = {
    "generate": stage_generate,
    "ingest": stage_ingest,
    "reload": stage_reload,
    "reference": stage_reference,
    "dbt": stage_dbt,
    "publish_gate": stage_publish_gate,
    "similarity": stage_similarity,
    "similarity_synthetic": stage_similarity_synthetic,
    "publish": stage_publish,
    "queries": stage_queries,
    "probe": stage_probe,
}


def profile_top(profiler: cProfile.Profile, top: int = PROFILE_TOP) -> list[dict[str, Any]]:
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    rows = []
    for (filename, line, function), (_cc, calls, tottime, cumtime, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append(
            {
                "function": f"{Path(filename).name}:{line}({function})",
                "file": filename,
                "calls": calls,
                "tottime_s": round(tottime, 3),
                "cumtime_s": round(cumtime, 3),
            }
        )
    by_cum = sorted(rows, key=lambda r: -float(r["cumtime_s"]))[:top]
    by_own = sorted(rows, key=lambda r: -float(r["tottime_s"]))[:top]
    return [{"by": "cumulative", "entries": by_cum}, {"by": "own time", "entries": by_own}]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m observatoire.bench.stages")
    p.add_argument("stage", choices=sorted(STAGES))
    p.add_argument("--home", type=Path, required=True)
    p.add_argument("--result", type=Path, required=True)
    p.add_argument("--start")
    p.add_argument("--end")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--partner")
    p.add_argument("--events", type=int, default=100_000)
    p.add_argument("--years-span", type=float, default=10.0)
    p.add_argument("--count", type=int, default=200)
    p.add_argument("--seconds", type=float, default=0.0, help="probe: sleep this long")
    p.add_argument("--profile", action="store_true")
    p.add_argument("--quiet-dbt", action="store_true")
    p.add_argument(
        "--mode",
        choices=("full", "incremental"),
        default="incremental",
        help="dbt and similarity index: full refresh or incremental (default)",
    )
    return p


GATE_STAGES = frozenset({"ingest", "reload", "publish_gate", "publish"})
FRESH_GX_ENV = "OBSERVATOIRE_BENCH_FRESH_GX_PROJECT"


def fresh_gx_project(home: Path) -> bool:
    """Start a gate stage from no Great Expectations project (``state/gx``) when asked to.

    By default the project is kept between stages, as it is between Airflow tasks in production; set
    ``OBSERVATOIRE_BENCH_FRESH_GX_PROJECT=1`` to make every gate stage pay GX's cold start.
    """
    if os.environ.get(FRESH_GX_ENV) != "1":
        return False
    import shutil

    project = home / "state" / "gx"
    if project.exists():
        shutil.rmtree(project)
    return True


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    home = args.home.resolve()
    os.environ["OBSERVATOIRE_HOME"] = str(home)
    fresh_gx = fresh_gx_project(home) if args.stage in GATE_STAGES else None
    payload: dict[str, Any] = {"ok": False}
    profiler = cProfile.Profile() if args.profile else None
    gates = PhaseTimer()
    if args.stage in GATE_STAGES:
        instrument_gates(gates)
    try:
        if profiler is not None:
            profiler.enable()
        outcome = STAGES[args.stage](home, args)
        if gates.calls:
            outcome.details["privacy_gate"] = gates.to_dict()[PRIVACY_GATE_PHASE]
        if fresh_gx is not None:
            outcome.details["gx_project"] = "fresh" if fresh_gx else "kept"
        if profiler is not None:
            profiler.disable()
            outcome.details["profile"] = profile_top(profiler)
        payload = {
            "ok": True,
            "rows_in": outcome.rows_in,
            "rows_out": outcome.rows_out,
            "details": outcome.details,
        }
        status = 0
    except StageMissing as error:
        payload = {"ok": False, "error": f"missing: {error}", "missing": True}
        status = 4
    except BaseException as error:  # noqa: BLE001 - reported to the parent, which goes on
        traceback.print_exc()
        payload = {"ok": False, "error": f"{type(error).__name__}: {str(error)[:2000]}"}
        status = 1
    args.result.parent.mkdir(parents=True, exist_ok=True)
    args.result.write_text(json.dumps(payload, default=str, indent=1), encoding="utf-8")
    return status


if __name__ == "__main__":
    sys.exit(main())

"""Results of an interrupted run, rebuilt from what it left on disk.

A run writes its results after each history length; a run stopped in the middle (a deadline, a
crash) still leaves every finished stage's figures: ``<home>/bench/<phase>/measured/<stage>.json``
(or, for runs of an earlier version of the harness, its progress lines) and the child's own result
``<home>/bench/<phase>/results/<stage>.json``. This module puts them back together::

    python -m observatoire.bench.recover [--out DIR] WORKDIR:RUN_LOG [WORKDIR:RUN_LOG …]
"""

from __future__ import annotations

import json
import os
import re
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from .measure import StageResult, machine

SCENARIO_LINE = re.compile(
    r"=== (?P<label>\S+): (?P<start>\d{4}-\d\d-\d\d) → (?P<end>\d{4}-\d\d-\d\d) at scale (?P<scale>[\d.]+)"
)
DONE_LINE = re.compile(
    r"\]\s+(?P<label>[^/\s]+)/(?P<phase>full|increment|profile)/(?P<name>\S+): (?P=name): "
    r"(?P<wall>[\d.]+)s wall, (?P<cpu>[\d.]+)s CPU, (?P<rss>[\d.]+) MB peak(?:, rows (?P<rin>\S+) → (?P<rout>\S+))?"
)
FAILED_LINE = re.compile(
    r"\]\s+(?P<label>[^/\s]+)/(?P<phase>full|increment|profile)/(?P<name>\S+): (?P=name): FAILED after (?P<wall>[\d.]+)s — (?P<error>.*)"
)
ELAPSED = re.compile(r"\[bench\s+([\d.]+)s\]")
WORKER_LINE = re.compile(
    r"warm worker pid \d+: preloaded (?P<preload>.*) \((?P<source>[^()]*)\), (?P<rss>[\d.]+) MB resident; "
    r"a fork of it peaks at (?P<baseline>[\d.]+) MB"
)
PRELOADED = re.compile(r"(?P<name>[\w.]+) (?P<seconds>[\d.]+)s")
SYNTHETIC_PROFILE = re.compile(r"\]\s+synthetic/profile/(?P<name>\S+): (?P=name): ")
SYNTHETIC = re.compile(
    r"\]\s+synthetic/full/(?P<name>\S+): (?P=name): (?P<wall>[\d.]+)s wall, (?P<cpu>[\d.]+)s CPU, (?P<rss>[\d.]+) MB peak"
)


def _int(text: str | None) -> int | None:
    return None if text in (None, "-") else int(str(text))


def _child(home: Path, phase: str, name: str) -> dict[str, Any]:
    path = home / "bench" / phase / "results" / f"{name}.json"
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data
    except (OSError, ValueError):
        return {}


def _home_of(workdir: Path, label: str) -> Path:
    return workdir / (f"y{label[:-1]}" if label.endswith("y") else f"d{label[:-1]}")


def recover(workdir: Path, run_log: Path) -> dict[str, Any]:
    text = run_log.read_text(encoding="utf-8", errors="replace")
    scenarios: dict[str, dict[str, Any]] = {}
    options: dict[str, Any] = {"scale": None}
    synthetic: dict[str, Any] | None = None
    synthetic_profiled: list[dict[str, Any]] = []
    processes: dict[str, Any] | None = None
    for line in text.splitlines():
        if m := WORKER_LINE.search(line):
            processes = {
                "mode": "warm",
                "preload": {p["name"]: float(p["seconds"]) for p in PRELOADED.finditer(m["preload"])},
                "preload_source": m["source"],
                "worker_rss_mb": float(m["rss"]),
                "fork_baseline_rss_mb": float(m["baseline"]),
            }
        elif m := SCENARIO_LINE.search(line):
            start, end = date.fromisoformat(m["start"]), date.fromisoformat(m["end"])
            days = (end - start).days + 1
            options["scale"] = float(m["scale"])
            scenarios[m["label"]] = {
                "label": m["label"],
                "days": days,
                "years": round(days / 365.25, 2),
                "start": m["start"],
                "end": m["end"],
                "home": str(_home_of(workdir, m["label"])),
                "partners": {},
                "stages": [],
                "increment": [],
                "profiled": [],
            }
        elif m := SYNTHETIC_PROFILE.search(line):
            measured = workdir / "synthetic" / "bench" / "profile" / "measured" / f"{m['name']}.json"
            if measured.is_file():
                synthetic_profiled.append(json.loads(measured.read_text(encoding="utf-8")))
        elif m := SYNTHETIC.search(line):
            child = _child(workdir / "synthetic", "full", m["name"])
            synthetic = StageResult(
                m["name"],
                True,
                float(m["wall"]),
                float(m["cpu"]),
                float(m["rss"]),
                child.get("rows_in"),
                child.get("rows_out"),
                child.get("details") or {},
            ).to_dict()
        elif (m := DONE_LINE.search(line)) or (m := FAILED_LINE.search(line)):
            scenario = scenarios.get(m["label"])
            if scenario is None:
                continue
            home = Path(scenario["home"])
            measured = home / "bench" / m["phase"] / "measured" / f"{m['name']}.json"
            if measured.is_file():
                result = json.loads(measured.read_text(encoding="utf-8"))
            else:
                child = _child(home, m["phase"], m["name"])
                ok = "error" not in m.groupdict() or not m.groupdict().get("error")
                result = StageResult(
                    m["name"],
                    ok and bool(child.get("ok", ok)),
                    float(m["wall"]),
                    float(m.groupdict().get("cpu") or 0.0),
                    float(m.groupdict().get("rss") or 0.0),
                    _int(m.groupdict().get("rin")),
                    _int(m.groupdict().get("rout")),
                    child.get("details") or {},
                    None if ok else m["error"],
                ).to_dict()
            key = {"full": "stages", "increment": "increment", "profile": "profiled"}[m["phase"]]
            scenario[key].append(result)
    if processes is None:
        # No worker line: the stages' own records say how they ran (none before the warm worker: cold).
        modes = {r.get("process") for sc in scenarios.values() for r in sc["stages"] + sc["increment"]}
        processes = {"mode": "warm"} if "warm fork" in modes else {"mode": "cold"}
    years = sorted({round(s["years"]) for s in scenarios.values()})
    elapsed = [float(x) for x in ELAPSED.findall(text)] or [0.0]
    last = datetime.fromtimestamp(run_log.stat().st_mtime, UTC)
    return {
        "benchmark": "observatoire bench",
        "started_at": (last - timedelta(seconds=elapsed[-1])).isoformat(),
        "finished_at": last.isoformat(),
        "duration_s": elapsed[-1],
        "recovered": f"rebuilt from {run_log} and {workdir}: the run was interrupted; stages not listed did not finish",
        "options": {
            "years": years,
            "scale": options["scale"],
            "queries": 200,
            "seed": 42,
            "end": max((s["end"] for s in scenarios.values()), default=""),
            "quick_days": None,
            "synthetic_events": 100_000,
        },
        "stage_processes": processes,
        "machine": machine() | {"load_average_at_end": [round(x, 2) for x in os.getloadavg()]},
        "complete": False,
        "scenarios": sorted(scenarios.values(), key=lambda s: s["days"]),
        "synthetic_similarity": synthetic,
        "synthetic_profiled": synthetic_profiled,
    }


def merge(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Several (partial) runs as one report: their scenarios side by side, the first's metadata."""
    merged = dict(parts[0])
    merged["scenarios"] = sorted((s for p in parts for s in p["scenarios"]), key=lambda s: s["days"])
    merged["synthetic_similarity"] = next(
        (p["synthetic_similarity"] for p in parts if p.get("synthetic_similarity")), None
    )
    merged["synthetic_profiled"] = [x for p in parts for x in p.get("synthetic_profiled", [])]
    merged["options"] = dict(
        merged["options"], years=sorted({round(s["years"]) for s in merged["scenarios"]})
    )
    return merged


def main(argv: list[str] | None = None) -> int:
    import argparse

    from .report import summarise, summary_lines, write

    parser = argparse.ArgumentParser(prog="python -m observatoire.bench.recover", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    parser.add_argument("--notes", type=Path, help="Markdown findings to put at the top of the report")
    parser.add_argument("runs", nargs="+", metavar="WORKDIR:RUN_LOG")
    args = parser.parse_args(argv)
    parts = []
    for run in args.runs:
        workdir, _, log = run.partition(":")
        parts.append(recover(Path(workdir).resolve(), Path(log)))
    out = args.out
    results = merge(parts)
    if args.notes is not None:
        results["notes_markdown"] = args.notes.read_text(encoding="utf-8")
    json_path, md_path = write(results, out)
    for line in summary_lines(summarise(results)):
        print(line)
    print(f"\nwritten: {json_path} and {md_path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

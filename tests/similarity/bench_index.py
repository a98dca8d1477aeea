"""Benchmark (not collected by pytest): build the index on N synthetic events, add one day of events and
build again (incremental), then time warm queries.

    python -m tests.similarity.bench_index 100000 /tmp/similarity_bench

Prints each build's wall and CPU time and the warm query latency (p50 and p95 over 50 queries).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd

from observatoire.similarity import PlannedEvent, build_similarity_index, query_planned_event
from observatoire.similarity import columns as c

from .synthetic import synthetic_frame, write_warehouse


def _report(label: str, result: object) -> None:
    r = result.__dict__
    print(
        f"{label}: {r['mode']} ({r['reason']}), {r['events']} events, {r['recomputed_events']} recomputed, "
        f"{r['pairs']} pairs, wall {r['seconds']:.2f} s, CPU {r['cpu_seconds']:.2f} s"
    )


def main(n: int, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    warehouse = folder / "warehouse.duckdb"
    warehouse.unlink(missing_ok=True)
    frame = synthetic_frame(n, seed=1)
    last_day = frame[c.STARTS_AT] >= frame[c.STARTS_AT].max().normalize()
    write_warehouse(warehouse, frame[~last_day])
    _report("full build", build_similarity_index(warehouse))
    with duckdb.connect(str(warehouse)) as con:
        con.register("day", frame[last_day])
        con.execute("INSERT INTO marts.fct_event BY NAME SELECT * FROM day")
    _report(f"one more day ({int(last_day.sum())} events)", build_similarity_index(warehouse))

    def planned(i: int) -> PlannedEvent:
        return PlannedEvent(
            nature="match_football",
            place="Orange Vélodrome",
            starts_at=pd.Timestamp("2026-05-16 21:00") + pd.Timedelta(days=i),
            duration_hours=3,
            participants=60000 - i,
        )

    started = time.perf_counter()
    query_planned_event(warehouse, planned(0))
    print(f"first query (loads and caches the events): {time.perf_counter() - started:.2f} s")
    walls, cpus = [], []
    for i in range(50):
        wall, cpu = time.perf_counter(), time.process_time()
        query_planned_event(warehouse, planned(i))
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    p95 = statistics.quantiles(walls, n=20)[-1]
    print(
        f"warm query: wall p50 {1000 * statistics.median(walls):.1f} ms, p95 {1000 * p95:.1f} ms; "
        f"CPU p50 {1000 * statistics.median(cpus):.1f} ms"
    )


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 100_000,
        Path(sys.argv[2] if len(sys.argv) > 2 else "/tmp/similarity_bench"),
    )

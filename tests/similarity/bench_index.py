"""Benchmark (not collected by pytest): build the index on N synthetic events, then time warm queries.

    python -m tests.similarity.bench_index 100000 /tmp/similarity_bench

Prints the build's wall and CPU time and the warm query latency (median over 30 queries).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from observatoire.similarity import PlannedEvent, build_similarity_index, query_planned_event

from .synthetic import synthetic_frame, write_warehouse


def main(n: int, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    warehouse = folder / "warehouse.duckdb"
    warehouse.unlink(missing_ok=True)
    write_warehouse(warehouse, synthetic_frame(n, seed=1))
    result = build_similarity_index(warehouse)
    print(
        f"build: {result.events} events, {result.pairs} pairs, wall {result.seconds:.1f} s, CPU {result.cpu_seconds:.1f} s"
    )

    def planned(i: int) -> PlannedEvent:
        return PlannedEvent(
            nature="match_football",
            place="Orange Vélodrome",
            starts_at="2026-05-16 21:00",
            duration_hours=3,
            participants=60000 - i,
        )

    started = time.perf_counter()
    query_planned_event(warehouse, planned(0))
    print(f"first query (loads and caches the events): {time.perf_counter() - started:.2f} s")
    walls, cpus = [], []
    for i in range(30):
        wall, cpu = time.perf_counter(), time.process_time()
        query_planned_event(warehouse, planned(i))
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    print(
        f"warm query: median wall {1000 * statistics.median(walls):.1f} ms, median CPU {1000 * statistics.median(cpus):.1f} ms"
    )


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 100_000,
        Path(sys.argv[2] if len(sys.argv) > 2 else "/tmp/similarity_bench"),
    )

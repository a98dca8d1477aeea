"""The DuckDB writer-pool probe, added to the DAGs of the native production check only.

Four tasks, all ready at once, each open one DuckDB file for writing, hold it for a moment and
append a row saying who they are. With the one-slot pool ``duckdb_warehouse_writer`` enforced by the
scheduler across every Celery worker, they run one at a time: no task meets DuckDB's lock error, and
every row is there. Without the pool, two workers would open the file together and one would fail.
"""

from __future__ import annotations

import os
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from airflow.sdk import dag, task

from observatoire.config import WAREHOUSE_POOL, paths

DAG_ID = "observatoire_pool_probe"
PROBE_TASKS = 4
HOLD_SECONDS = 1.5


def probe_file() -> Path:
    return paths().warehouse_dir / "pool_probe.duckdb"


def celery_worker_pid() -> int:
    """The pid of the Celery worker's main process above this task (tells the two workers apart)."""
    pid, found = os.getpid(), 0
    while pid > 1:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            break
        if b"celery" in cmdline and b"worker" in cmdline:
            found = pid  # keep climbing: the prefork children carry the same command line
        pid = parent
    return found


@dag(dag_id=DAG_ID, schedule=None, start_date=datetime(2026, 1, 1), catchup=False, tags=["observatoire", "probe"])
def observatoire_pool_probe() -> None:
    @task(pool=WAREHOUSE_POOL)
    def write(slot: int, **context: Any) -> dict[str, Any]:
        import duckdb

        target = probe_file()
        target.parent.mkdir(parents=True, exist_ok=True)
        started = time.time()
        # Opening for writing takes DuckDB's file lock: a second process would fail here.
        with duckdb.connect(str(target)) as connection:
            connection.execute(
                "CREATE TABLE IF NOT EXISTS probe (run_id VARCHAR, slot INTEGER, worker_pid INTEGER, "
                "started DOUBLE, finished DOUBLE)"
            )
            time.sleep(HOLD_SECONDS)
            finished = time.time()
            connection.execute(
                "INSERT INTO probe VALUES (?, ?, ?, ?, ?)",
                [context["run_id"], slot, celery_worker_pid(), started, finished],
            )
        return {"slot": slot, "worker_pid": celery_worker_pid(), "started": started, "finished": finished}

    write.expand(slot=list(range(PROBE_TASKS)))


observatoire_pool_probe()

"""The probes of the native production check, one DAG added to its DAGs only.

The DuckDB writer pool: four tasks, all ready at once, each open one DuckDB file for writing, hold it
for a moment and append a row saying who they are. With the one-slot pool ``duckdb_warehouse_writer``
enforced by the scheduler across every Celery worker, they run one at a time: no task meets DuckDB's
lock error, and every row is there. Without the pool, two workers would open the file together and one
would fail.

The worker preload (:mod:`observatoire.production.celery_config`): the ``preload`` task looks, before
anything else, at which of the preloaded libraries its own process already has in ``sys.modules`` —
the task process is forked from a Celery pool process, so they can only be there if the worker
preloaded them — then imports Great Expectations as a privacy gate does and writes what it saw and
the seconds from its process's start to a usable Great Expectations to :func:`preload_probe_file`.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

PRELOADED_MODULES = ("great_expectations", "pandas", "pyarrow", "numpy")
"""What the worker preload (observatoire.orchestration.worker_preload) must have put in a task process."""
OBSERVED_MODULES = (*PRELOADED_MODULES, "duckdb")
"""Also looked at: duckdb must *not* be preloaded (its default database must not cross a fork)."""
# When the task process parses this file, before it imports anything of the project: which of the
# preloaded modules came with the fork (the standard library imports above load none of them).
MODULES_AT_PARSE = {name: name in sys.modules for name in OBSERVED_MODULES}

from airflow.sdk import dag, task  # noqa: E402

from observatoire.config import WAREHOUSE_POOL, paths  # noqa: E402

DAG_ID = "observatoire_pool_probe"
PROBE_TASKS = 4
HOLD_SECONDS = 1.5
PRELOAD_TASK_ID = "preload"


def probe_file() -> Path:
    return paths().warehouse_dir / "pool_probe.duckdb"


def preload_probe_file(run_id: str) -> Path:
    """Where the ``preload`` task of run ``run_id`` writes what it saw (JSON)."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in run_id)
    return paths().warehouse_dir / f"preload_probe-{safe}.json"


def process_age_s() -> float:
    """Seconds since this process was forked (/proc/self/stat start time, clock-tick resolution)."""
    ticks = os.sysconf("SC_CLK_TCK")
    start_ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
    uptime_s = float(Path("/proc/uptime").read_text().split()[0])
    return max(0.0, uptime_s - start_ticks / ticks)


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

    @task(task_id=PRELOAD_TASK_ID)
    def preload(**context: Any) -> dict[str, Any]:
        # Before anything else: what the fork brought (the task runner imports none of these).
        at_start = {name: name in sys.modules for name in OBSERVED_MODULES}
        age_at_start = process_age_s()
        from observatoire.privacy.evidence import preload_gx

        gx_import_s = preload_gx()  # what a privacy gate pays first; about 0 s when preloaded
        seen = {
            "run_id": context["run_id"],
            "pid": os.getpid(),
            "worker_pid": celery_worker_pid(),
            "modules_at_parse": MODULES_AT_PARSE,
            "modules_at_task_start": at_start,
            "process_age_at_task_start_s": round(age_at_start, 3),
            "gx_import_s": round(gx_import_s, 3),
            "start_to_gate_s": round(process_age_s(), 3),
        }
        target = preload_probe_file(str(context["run_id"]))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(seen, indent=2))
        return seen

    preload()


observatoire_pool_probe()

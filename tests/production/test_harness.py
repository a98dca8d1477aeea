"""The native harness's own mechanics, without Airflow: overlap detection, lock-error scan, process
groups stopped with their children, orphans found by the run marker."""

from __future__ import annotations

import sys
import time

import pytest

from observatoire.production.check import lock_errors_in_logs, pool_overlaps
from observatoire.production.stack import MARKER_ENV, ManagedProcess, ProductionStack, StackSettings

pytestmark = pytest.mark.production


def _ti(task_id: str, start: str, end: str) -> dict:
    return {"dag_id": "d", "task_id": task_id, "map_index": -1, "start_date": start, "end_date": end}


def test_pool_overlaps_finds_concurrent_writers_only():
    serial = [
        _ti("a", "2026-01-01T10:00:00Z", "2026-01-01T10:00:05Z"),
        _ti("b", "2026-01-01T10:00:05Z", "2026-01-01T10:00:09Z"),
        _ti("c", "2026-01-01T10:00:10+00:00", "2026-01-01T10:00:11+00:00"),
        {"dag_id": "d", "task_id": "never_ran", "start_date": None, "end_date": None},
    ]
    assert pool_overlaps(serial) == []
    overlapping = [*serial, _ti("x", "2026-01-01T10:00:04Z", "2026-01-01T10:00:06Z")]
    found = pool_overlaps(overlapping)
    assert found and "d.x[-1]" in " ".join(found)


def test_lock_errors_are_found_in_task_logs(tmp_path):
    log = tmp_path / "dag_id=d" / "run_id=r" / "task_id=t" / "attempt=1.log"
    log.parent.mkdir(parents=True)
    log.write_text('ok\n{"event": "IO Error: Could not set lock on file \\"/w/warehouse.duckdb\\": Conflicting lock"}\n')
    (tmp_path / "clean.log").write_text("all fine\n")
    errors = lock_errors_in_logs(tmp_path)
    assert len(errors) == 1 and "attempt=1.log" in errors[0]


def test_stop_kills_process_groups_with_their_children_and_leaves_no_orphan(tmp_path):
    stack = ProductionStack(StackSettings(work_dir=tmp_path))
    script = "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']); time.sleep(120)"
    env = {"PATH": "/usr/bin:/bin", MARKER_ENV: stack.run_id}
    for index in (1, 2):
        stack._spawn(ManagedProcess(f"airflow-worker-{index}", [sys.executable, "-c", script], env, tmp_path / f"{index}.log"))
    deadline = time.monotonic() + 20
    while len(stack.survivors(settle_s=0)) < 4 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(stack.survivors(settle_s=0)) == 4  # two leaders and their children, found by the marker
    assert stack.stop(worker_grace_s=5, grace_s=5) == []

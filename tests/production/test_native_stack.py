"""The production configuration proven natively: PostgreSQL metadata database, Redis broker,
CeleryExecutor with two workers, api-server, scheduler, dag-processor and triggerer as processes, with
docker-compose.yml's settings; the whole pipeline triggered through the authenticated REST API.

Needs the local PostgreSQL (a role that may CREATE DATABASE) and Redis: $OBSERVATOIRE_PROD_POSTGRES and
$OBSERVATOIRE_PROD_REDIS override the defaults. Several minutes on two cores; progress is printed.
Same as `make prod-check` / `observatoire prod-check`.
"""

from __future__ import annotations

import pytest

from observatoire.production.check import CheckSettings, ProductionCheck
from observatoire.production.stack import StackSettings

pytestmark = [pytest.mark.production, pytest.mark.slow]


@pytest.mark.timeout(3600)
def test_pipeline_runs_on_postgres_redis_and_two_celery_workers(capsys):
    settings = CheckSettings(stack=StackSettings(workers=2, worker_concurrency=2, demo_days=30, demo_scale=0.2))
    with capsys.disabled():  # progress as it happens: this test takes minutes
        report = ProductionCheck(settings, progress=lambda line: print(line, flush=True)).run()
        print(report.summary(), flush=True)
    assert report.ok, report.summary()
    # The one-slot pool held across the two workers: writers one at a time, nothing lost.
    assert report.pool_overlaps == []
    assert report.lock_errors == []
    assert report.lost_writes == []
    assert report.probe_rows > 0
    assert sum(1 for count in report.tasks_per_worker.values() if count) == 2
    # The worker preload (observatoire.production.celery_config) reached the task processes: the probe's
    # `preload` task, run by a Celery worker, found Great Expectations (and pandas, pyarrow, numpy) in
    # sys.modules at its very start. A task process is a fork of its supervisor in a Celery pool process,
    # so they can only have come from the worker; and importing GX then cost the task nothing.
    assert report.preload["worker_pid"], report.preload
    assert report.preload["modules_at_task_start"]["great_expectations"] is True, report.preload
    assert report.preload["modules_at_parse"]["great_expectations"] is True, report.preload
    assert all(report.preload["modules_at_task_start"][name] for name in ("pandas", "pyarrow", "numpy"))
    assert report.preload["modules_at_task_start"]["duckdb"] is False  # never across a fork
    assert report.preload["gx_import_s"] < 0.5, report.preload
    # Each worker preloaded once, in its main process; its pool processes inherited it (no real import).
    for worker, seen in report.worker_preload_s.items():
        assert seen["main"] is not None, worker
        assert seen["pool"] and all(seconds < 1.0 for seconds in seen["pool"]), (worker, seen)
    # Clean shutdown: no process of the run is left behind.
    assert report.survivors == []

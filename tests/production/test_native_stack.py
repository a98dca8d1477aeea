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
    # Clean shutdown: no process of the run is left behind.
    assert report.survivors == []

"""The Celery configuration of the production workers: Airflow's own, plus the worker preload.

docker-compose.yml sets ``AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS`` to
``observatoire.production.celery_config.CELERY_CONFIG``. The CeleryExecutor's app (in the scheduler, the
workers, Flower and the workers' health check) imports this module to read its configuration, and this
import connects two receivers of Celery's worker signals; they only fire inside a worker.

- ``worker_init`` (the worker's main process, after the app is configured and before the prefork pool
  is started): :func:`observatoire.orchestration.worker_preload.preload` imports Great Expectations,
  pandas, pyarrow, numpy... once per worker. Every pool process is forked from this process afterwards
  (also the ones Celery starts later to replace a process that exited), and every task process is a
  bare ``fork()`` of its supervisor in a pool process, so all of them find those modules imported.
  ``gc.freeze()`` then moves the new objects out of the collector's reach, as Airflow's own preload does
  for its modules, so that the pool processes do not copy the shared memory pages by collecting them.
- ``worker_process_init`` (each pool process, before it accepts its first task): ``preload()`` again.
  It is idempotent and costs microseconds when the modules came with the fork; it only does real work
  if a pool process was started without inheriting them. The real import is not done here on purpose:
  the receivers of this signal run before the pool process reports itself up, and Celery kills a pool
  process that has not done so within ``worker_proc_alive_timeout`` (4 s by default), while the import
  takes 9-12 s when a worker starts on two shared cores together with the rest of the stack (measured
  by the native check). The main process has no such limit, imports once instead of once per pool
  process, and its memory is shared with the pool by copy-on-write (about 260 MB).

:data:`CELERY_CONFIG` *is* Airflow's default configuration object (the same dict, not a copy): every
``[celery]`` setting keeps working, and Airflow's multi-team executor, which merges a user configuration
over each team's, sees its own default and merges nothing.
"""

from __future__ import annotations

import gc
import logging
import os
import time
from typing import Any

from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG
from celery.signals import worker_init, worker_process_init

log = logging.getLogger(__name__)

CELERY_CONFIG: dict[str, Any] = DEFAULT_CELERY_CONFIG
"""What ``[celery] celery_config_options`` points at: Airflow's default Celery configuration, unchanged."""


def _preload(where: str) -> dict[str, float]:
    from ..orchestration.worker_preload import failed, preload

    started = time.perf_counter()
    seconds = preload()
    total = time.perf_counter() - started
    log.info(
        "observatoire worker preload (%s, pid %d): %.2f s %s%s",
        where,
        os.getpid(),
        total,
        {name: round(value, 2) for name, value in seconds.items()},
        f", failed: {failed()}" if failed() else "",
    )
    return seconds


@worker_init.connect(weak=False, dispatch_uid="observatoire.worker_preload.main")
def preload_in_worker_main_process(**_: Any) -> None:
    """Before the prefork pool exists: import once, in the process every pool process is forked from."""
    try:
        _preload("worker main process")
    finally:
        gc.freeze()


@worker_process_init.connect(weak=False, dispatch_uid="observatoire.worker_preload.pool")
def preload_in_pool_process(**_: Any) -> None:
    """In each pool process before its first task: a no-op after a fork from the preloaded main process."""
    _preload("pool process")

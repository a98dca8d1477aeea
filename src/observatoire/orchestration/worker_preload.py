"""Import the heavy libraries of the pipeline's tasks once, in a long-lived parent of task processes.

On Linux an Airflow 3 task process is a bare ``os.fork()`` of its supervisor, and with the
CeleryExecutor the supervisor runs inside a Celery prefork pool process: whatever the pool process
(or the Celery main process, before it forks the pool) has imported, every task process finds in
``sys.modules`` for free. Each privacy-gate task and the publication import Great Expectations
(3-4 s of CPU with what it brings: scipy, pandas, altair...), so a preloaded worker saves that on every
one of them. :mod:`observatoire.production.celery_config` calls :func:`preload` from Celery's signals;
the benchmark calls it in its warm worker.

What is imported, in this order (seconds on the reference machine, each on top of the previous ones):
numpy 0.15-0.3, pyarrow with ``pyarrow.compute`` and ``pyarrow.csv`` (the delivery reader) 0.1-0.2,
pandas 0.3-0.5, requests (the partner connectors) 0.1, Great Expectations 3.5-4.5 (with
``GX_ANALYTICS_ENABLED=False`` set first when unset, exactly as
:func:`observatoire.privacy.evidence.preload_gx` does before the same import).

What is *not* imported, on purpose:

- DuckDB, and therefore not ``observatoire.privacy`` (which imports it) nor ``preload_gx()`` itself.
  ``import duckdb`` creates DuckDB's default in-memory database, with a scheduler thread, and a forked
  child that inherits it and then opens a connection of its own aborts (SIGABRT, "terminate called
  without an active exception") if it leaves through the interpreter's normal shutdown — checked with
  duckdb 1.5.5. Airflow's task processes leave through ``os._exit()`` so they would not show it, but a
  preload must be fork-safe for any child, and ``import duckdb`` costs under 0.1 s in the task.
- Airflow, Cosmos, dbt: Airflow reads its configuration once, at its first import, so a preload run
  before the environment is in place (the benchmark, a test) would freeze the wrong one (the package
  rule: no Airflow import at module level); dbt runs in a child process anyway.

Fork safety. The preload opens no connection, starts no Python thread and leaves no file or socket
open. Two native libraries start helper threads when they load, and both are made for ``fork()``:
OpenBLAS (numpy, scipy) joins its thread pool in a ``pthread_atfork`` handler and restarts it lazily;
the jemalloc allocator bundled with pyarrow takes its locks around ``fork()`` and does not restart its
background thread in the child. A forked child starts with one thread. The Celery hook preloads in the
worker's main process, before the pool is forked, so the pool processes that fork the tasks carry none
of these threads. ``tests/orchestration/test_worker_preload.py`` checks all of this.
"""

from __future__ import annotations

import importlib
import logging
import os
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


def _import(*modules: str) -> Callable[[], object]:
    def run() -> object:
        for module in modules:
            importlib.import_module(module)
        return None

    return run


def _great_expectations() -> object:
    # What observatoire.privacy.evidence.preload_gx() does, without importing observatoire.privacy
    # (which imports duckdb: see the module docstring). preload_gx() is then about free in the task.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    return importlib.import_module("great_expectations")


LIBRARIES: dict[str, Callable[[], object]] = {
    "numpy": _import("numpy"),
    "pyarrow": _import("pyarrow", "pyarrow.compute", "pyarrow.csv"),
    "pandas": _import("pandas"),
    "requests": _import("requests"),
    "great_expectations": _great_expectations,
}
"""Library name -> what imports it. The names are the keys of :func:`preload`'s result."""

_FAILED: dict[str, str] = {}
"""Libraries whose import failed in this process (or in the parent it was forked from): not retried."""


def preload() -> dict[str, float]:
    """Import the tasks' heavy libraries now; return the seconds each took in this call.

    Idempotent: a library already imported costs about 0 s, so the first call pays and later calls (or a
    call in a process forked from a preloaded one) return near-zero times. Never raises (only a
    KeyboardInterrupt goes through): a library that cannot be imported is logged as a warning once, left
    out of the result and not tried again in this process; the others are still imported (the task will
    import, or fail on, it as it would anyway).
    """
    seconds: dict[str, float] = {}
    for name, load in LIBRARIES.items():
        if name in _FAILED:
            continue
        started = time.perf_counter()
        try:
            load()
        except BaseException as error:  # noqa: BLE001 - a preload must never stop the worker
            if isinstance(error, KeyboardInterrupt):
                raise
            _FAILED[name] = f"{type(error).__name__}: {error}"
            log.warning(
                "worker preload: could not import %s (%s); tasks will import it themselves",
                name,
                _FAILED[name],
            )
            continue
        seconds[name] = time.perf_counter() - started
    return seconds


def failed() -> dict[str, str]:
    """The libraries :func:`preload` could not import in this process, with the error."""
    return dict(_FAILED)

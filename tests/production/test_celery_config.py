"""observatoire.production.celery_config: the Celery configuration docker-compose.yml gives the CeleryExecutor
is Airflow's own, and importing it hooks the worker preload on Celery's worker signals.

The end-to-end proof (a task run by a real Celery worker finds Great Expectations in ``sys.modules`` when it
starts) is the native production check: tests/production/test_native_stack.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from observatoire.production import compose

pytestmark = pytest.mark.production

CONFIG_PATH = "observatoire.production.celery_config.CELERY_CONFIG"

# In a fresh interpreter: Airflow reads its configuration at its first import.
SCRIPT = textwrap.dedent(
    """
    import gc, json, os, sys

    from airflow.providers.celery.executors import celery_executor_utils as utils
    from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG
    from celery.signals import worker_init, worker_process_init

    from observatoire.orchestration import worker_preload
    from observatoire.production import celery_config

    calls = []
    worker_preload.LIBRARIES = {"fake": lambda: calls.append(os.getpid())}
    out = {
        "same_object": utils.get_celery_configuration() is DEFAULT_CELERY_CONFIG is celery_config.CELERY_CONFIG,
        "app_concurrency": utils.app.conf.worker_concurrency,
        "gx_at_import": "great_expectations" in sys.modules,
    }
    frozen_before = gc.get_freeze_count()
    worker_init.send(sender=None)
    out["after_worker_init"] = len(calls)
    out["frozen_more"] = gc.get_freeze_count() > frozen_before
    worker_process_init.send(sender=None)
    out["after_worker_process_init"] = len(calls)
    print("CELERY-CONFIG " + json.dumps(out))
    """
)


def test_compose_points_every_airflow_component_at_our_celery_config():
    document = compose.load()
    environment = document[compose.COMMON_BLOCK]["environment"]
    assert environment["AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS"] == CONFIG_PATH
    # The workers (which act on it) and the scheduler (whose executor sends with the same app) both get it.
    for name in ("airflow-worker", "airflow-scheduler"):
        service_env = document["services"][name]["environment"]
        assert service_env["AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS"] == CONFIG_PATH, name


def test_celery_config_is_airflows_and_hooks_the_preload_on_worker_signals(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AIRFLOW", "_AIRFLOW", "OBSERVATOIRE_"))
    }
    env |= {
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CELERY__BROKER_URL": "redis://127.0.0.1:6379/15",  # not connected to by the import
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": "3",
        "AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS": CONFIG_PATH,
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(line for line in done.stdout.splitlines() if line.startswith("CELERY-CONFIG "))
    out = json.loads(line.removeprefix("CELERY-CONFIG "))
    # Airflow's own configuration object, so every [celery] setting still applies.
    assert out["same_object"] is True
    assert out["app_concurrency"] == 3
    # Reading the configuration (scheduler, Flower, health check) imports nothing heavy ...
    assert out["gx_at_import"] is False
    # ... the worker's main process preloads (then freezes the objects for copy-on-write), and each pool
    # process calls the idempotent preload again.
    assert out["after_worker_init"] == 1
    assert out["frozen_more"] is True
    assert out["after_worker_process_init"] == 2

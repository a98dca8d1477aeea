"""A small demo home (60 days, scale 0.3) built once per test process through the real pipeline.

The end-to-end tests and the browser test share it: building it runs every DAG with ``dag.test()``,
which costs minutes on a busy two-core machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DAYS = "60"
SCALE = "0.3"
_BUILT: dict[Path, Path] = {}


def observatoire_env(home: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "OBSERVATOIRE_HOME": str(home), "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False", **extra}
    for name in list(env):
        # The pipeline sets its own Airflow configuration; nothing of the caller's may leak in.
        if name.startswith(("AIRFLOW__", "AIRFLOW_CONN_")) and name not in extra and name != "AIRFLOW__COSMOS__ENABLE_TELEMETRY":
            del env[name]
    env.pop("AIRFLOW_HOME", None)
    env.pop("OBSERVATOIRE_AIRFLOW_HOME", None)
    return env


def run_cli(home: Path, *args: str, timeout: float = 1500, **extra_env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "observatoire.cli", *args],
        env=observatoire_env(home, **extra_env),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def built_demo_home(base: Path) -> tuple[Path, subprocess.CompletedProcess[str] | None]:
    """``base/demo-home`` after ``observatoire demo --days 60 --scale 0.3`` (built at most once)."""
    home = base / "demo-home"
    if home in _BUILT:
        return home, None
    done = run_cli(home, "demo", "--days", DAYS, "--scale", SCALE)
    if done.returncode != 0:
        raise AssertionError(f"observatoire demo failed ({done.returncode}):\n{done.stdout[-6000:]}\n{done.stderr[-4000:]}")
    _BUILT[home] = home
    return home, done

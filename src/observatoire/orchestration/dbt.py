"""dbt through astronomer-cosmos, and dbt docs.

The warehouse is a DuckDB file, which accepts a single writing process. Two ways to honour that, chosen
with ``OBSERVATOIRE_DBT_EXECUTION`` (default ``watcher``):

- ``watcher``: Cosmos runs **one** ``dbt build`` process (the producer task, which holds the one-slot
  warehouse pool) and renders each model and its tests as an Airflow sensor task that reports the
  node's result from that build. One process, one writer, per-model visibility, and no per-model dbt
  start-up cost (the reason the demo fits in minutes on two cores).
- ``local``: one dbt process per model/test task, every task in the one-slot pool, so they run one
  at a time. Slower; useful to re-run a single model from the UI.

The project is rendered with ``dbt ls`` (offline: the DuckDB adapter needs no server); Cosmos caches the
result keyed on the project's files, so DAG parsing does not re-run dbt when nothing changed.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from ..config import WAREHOUSE_POOL, dbt_project_dir, paths

if TYPE_CHECKING:
    from cosmos import ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig

EXECUTION_ENV = "OBSERVATOIRE_DBT_EXECUTION"


def dbt_executable() -> Path:
    """The ``dbt`` of the running interpreter's environment (the project's venv), not one on PATH."""
    candidate = Path(sys.executable).parent / "dbt"
    found = shutil.which("dbt")
    return candidate if candidate.exists() else Path(found or "dbt")


def dbt_env() -> dict[str, str]:
    """Variables dbt's profile reads: where the warehouse is. Resolved when the task runs."""
    return {
        "OBSERVATOIRE_HOME": str(paths().home),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "DO_NOT_TRACK": "1",
    }


def execution_mode_name() -> str:
    mode = os.environ.get(EXECUTION_ENV, "watcher").strip().lower()
    if mode not in {"watcher", "local"}:
        raise ValueError(f"{EXECUTION_ENV} must be 'watcher' or 'local', not {mode!r}")
    return mode


def profile_name(project_dir: Path) -> str:
    project = yaml.safe_load((project_dir / "dbt_project.yml").read_text())
    return str(project.get("profile") or project["name"])


def cosmos_configs() -> tuple[ProjectConfig, ProfileConfig, ExecutionConfig, RenderConfig, dict[str, Any]]:
    """Project, profile, execution and render configuration plus operator arguments for ``DbtTaskGroup``."""
    from cosmos import ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
    from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

    project_dir = dbt_project_dir()
    executable = str(dbt_executable())
    watcher = execution_mode_name() == "watcher"
    project = ProjectConfig(dbt_project_path=project_dir, env_vars=dbt_env())
    profile = ProfileConfig(
        profile_name=profile_name(project_dir),
        target_name="dev",
        profiles_yml_filepath=project_dir / "profiles.yml",
    )
    execution = ExecutionConfig(
        execution_mode=ExecutionMode.WATCHER if watcher else ExecutionMode.LOCAL,
        # In-process dbt: no interpreter start-up per invocation.
        invocation_mode=InvocationMode.DBT_RUNNER,
        dbt_executable_path=executable,
    )
    render = RenderConfig(
        load_method=LoadMode.DBT_LS,
        dbt_executable_path=executable,
        test_behavior=TestBehavior.AFTER_EACH,
    )
    operator_args: dict[str, Any] = {"install_deps": False}
    if not watcher:
        operator_args["pool"] = WAREHOUSE_POOL
    return project, profile, execution, render, operator_args


def attach_watcher_producer(group: Any) -> None:
    """Give the watcher producer the warehouse pool and run it before the per-node sensors.

    Only the producer opens the warehouse, so only it takes the one slot: sensors holding the slot
    would starve the producer. Cosmos wires the producer before the root nodes only for ``DbtDag``;
    inside a ``DbtTaskGroup`` the sensors start alongside it. Putting the producer upstream of the root
    sensors (trigger rule ``always``, so a failed build still reports node by node) keeps sensors from
    occupying worker slots during the build and makes ``dag.test()``, which runs tasks one at a time,
    deterministic.
    """
    from cosmos.constants import PRODUCER_WATCHER_DONE_TASK_ID, PRODUCER_WATCHER_TASK_ID

    prefix = group.group_id + "."
    members = {task_id: task for task_id, task in group.dag.task_dict.items() if task_id.startswith(prefix)}
    producer = members.get(prefix + PRODUCER_WATCHER_TASK_ID)
    if producer is None:  # local execution mode: nothing to wire
        return
    producer.pool = WAREHOUSE_POOL
    skip = {producer.task_id, prefix + PRODUCER_WATCHER_DONE_TASK_ID}
    for task_id, task in members.items():
        if task_id in skip:
            continue
        if not (set(task.upstream_task_ids) & (members.keys() - skip)) and producer.task_id not in task.upstream_task_ids:
            producer >> task
            task.trigger_rule = "always"


def generate_docs(target: Path) -> Path:
    """Run ``dbt docs generate`` (it opens the warehouse read-write: hold the pool) and copy the site.

    The site goes to ``target`` (``OBSERVATOIRE_HOME/docs/dbt``): ``index.html`` with its
    ``manifest.json``/``catalog.json``, and ``static_index.html``, a single self-contained page.
    """
    from dbt.cli.main import dbtRunner

    project_dir = dbt_project_dir()
    build_dir = paths().home / "dbt_target" / "docs"
    previous = {k: os.environ.get(k) for k in dbt_env()}
    os.environ.update(dbt_env())
    try:
        result = dbtRunner().invoke(
            [
                "docs",
                "generate",
                "--static",
                "--project-dir",
                str(project_dir),
                "--profiles-dir",
                str(project_dir),
                "--target-path",
                str(build_dir),
                "--quiet",
            ]
        )
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    if not result.success:
        raise RuntimeError(f"dbt docs generate failed: {result.exception}")
    target.mkdir(parents=True, exist_ok=True)
    for name in ("index.html", "static_index.html", "manifest.json", "catalog.json"):
        source = build_dir / name
        if source.exists():
            shutil.copy2(source, target / name)
    return target

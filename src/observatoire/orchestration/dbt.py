"""dbt through astronomer-cosmos, and dbt docs.

The warehouse is a DuckDB file, which accepts a single writing process. Two ways to honour that, chosen
with ``OBSERVATOIRE_DBT_EXECUTION`` (default ``watcher``):

- ``watcher``: Cosmos runs **one** ``dbt build`` process (the producer task, which holds the one-slot
  warehouse pool) and renders each model and its tests as an Airflow sensor task that reports the
  node's result from that build. One process, one writer, per-model visibility, and no per-model dbt
  start-up cost (the reason the demo fits in minutes on two cores).
- ``local``: one dbt process per model/test task, every task in the one-slot pool, so they run one
  at a time. Slower; useful to re-run a single model from the UI.

The project is rendered from ``OBSERVATOIRE_HOME/dbt_target/manifest.json`` when it is up to date
(``observatoire demo``/``run`` write it with ``dbt parse`` before parsing the DAGs; a deployment writes
it when building its image), else with ``dbt ls`` — both offline, the DuckDB adapter needs no server.
Parsing the project is the costly part of every dbt invocation (tens of seconds on a busy two-core
machine), so ``dbt parse`` and ``dbt docs generate`` share that target directory and its partial-parse
state; Cosmos' runs, made in temporary copies of the project, keep their own.

Every dbt process the platform starts goes through ``dbt_executable()``: dbt behind a launcher that tunes
Python's garbage collector (a daily build is mostly dbt's own Python, see ``DBT_GC_THRESHOLDS``).

Production builds exclude the unit tests (``production_build_options()``; Cosmos renders and runs the
project with the same exclusion); CI runs them (``pytest tests/dbt``). Most models are incremental and give
the same tables as a full rebuild (docs/warehouse.md), so a daily build costs what the new data touches.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from ..config import WAREHOUSE_POOL, dbt_project_dir, paths

if TYPE_CHECKING:
    from cosmos import ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig

EXECUTION_ENV = "OBSERVATOIRE_DBT_EXECUTION"

# Production builds (the warehouse DAG, ``observatoire rebuild``, the benchmark) run the data tests but not
# the unit tests: unit tests check the models' logic on fixed inputs, which only changes with the code, so
# they run in CI (``pytest tests/dbt`` runs a plain ``dbt build``). Six unit tests are ~2-3 s of a build.
PRODUCTION_EXCLUDED_RESOURCE_TYPES = ("unit_test",)


def production_build_options(*, full_refresh: bool = False) -> list[str]:
    """Arguments of a production ``dbt build`` after the command: no unit tests, and ``--full-refresh`` to
    rebuild the incremental models from scratch (after a change they cannot absorb; docs/warehouse.md)."""
    options: list[str] = []
    for resource_type in PRODUCTION_EXCLUDED_RESOURCE_TYPES:
        options += ["--exclude-resource-type", resource_type]
    if full_refresh:
        options.append("--full-refresh")
    return options


def installed_dbt() -> Path:
    """The ``dbt`` console script of the running interpreter's environment (the project's venv), not one on
    PATH."""
    candidate = Path(sys.executable).parent / "dbt"
    found = shutil.which("dbt")
    return candidate if candidate.exists() else Path(found or "dbt")


# dbt is a Python process that keeps many long-lived objects (some 1,400 modules' worth of classes and
# generated code, then the manifest and its macros) and allocates a Jinja context per node: with CPython's
# default thresholds the cyclic garbage collector scans those objects over and over, a measurable share of a
# daily build that does little else than running dbt's own Python. The launcher freezes what exists once dbt
# is imported (never scanned again) and collects less often; the collector still runs, so memory stays
# bounded. Nothing dbt does changes (same arguments, same exit code, same artifacts).
DBT_GC_THRESHOLDS = (20_000, 20, 20)

_LAUNCHER = """#!{python}
# dbt with a tuned garbage collector: written by observatoire.orchestration.dbt (dbt_executable), do not edit.
import gc
import sys

from dbt.cli.main import cli

gc.freeze()
gc.set_threshold({thresholds})
sys.exit(cli())
"""


def launcher_path() -> Path:
    return target_dir() / "bin" / "dbt"


def dbt_executable() -> Path:
    """The ``dbt`` that platform runs use: the venv's dbt through a launcher that tunes the garbage collector
    (``DBT_GC_THRESHOLDS``), written once under the target directory; the venv's own ``dbt`` when dbt is not
    importable by this interpreter or the launcher cannot be written."""
    installed = installed_dbt()
    python = sys.executable
    # a shebang line takes no spaces and at most 127 bytes (Linux)
    if not installed.is_file() or installed.parent != Path(python).parent or " " in python or len(python) > 120:
        return installed
    launcher = launcher_path()
    text = _LAUNCHER.format(python=python, thresholds=", ".join(str(t) for t in DBT_GC_THRESHOLDS))
    try:
        if not (launcher.is_file() and launcher.read_text(encoding="utf-8") == text and os.access(launcher, os.X_OK)):
            launcher.parent.mkdir(parents=True, exist_ok=True)
            partial = launcher.with_name(f".dbt.{os.getpid()}.tmp")
            partial.write_text(text, encoding="utf-8")
            partial.chmod(0o755)
            os.replace(partial, launcher)  # atomic: a concurrent run sees the old or the new launcher
    except OSError:
        return installed
    return launcher


TARGET_PATH_ENV = "OBSERVATOIRE_DBT_TARGET_PATH"
_PROJECT_SKIP = {"target", "logs", "dbt_packages"}


def target_dir() -> Path:
    """dbt's target directory for the platform's runs: under the data root, not in the repository."""
    return paths().home / "dbt_target"


def manifest_path() -> Path:
    return target_dir() / "manifest.json"


def dbt_env() -> dict[str, str]:
    """Variables dbt reads: where the warehouse is (profile) and where its target directory is.

    The target directory is only for dbt runs made in the repository's project directory: dbt's
    partial-parse state records the project's root path, and seeds are read from it.
    """
    return {
        "OBSERVATOIRE_HOME": str(paths().home),
        TARGET_PATH_ENV: str(target_dir()),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "DO_NOT_TRACK": "1",
    }


def _project_mtime(project_dir: Path) -> float:
    latest = 0.0
    for path in project_dir.rglob("*"):
        relative = path.relative_to(project_dir).parts
        if relative and relative[0] in _PROJECT_SKIP:
            continue
        if path.is_file():
            latest = max(latest, path.stat().st_mtime)
    return latest


def manifest_is_current() -> bool:
    manifest = manifest_path()
    return manifest.is_file() and manifest.stat().st_mtime >= _project_mtime(dbt_project_dir())


def _invoke(args: list[str]) -> None:
    """One dbt command in a child process with the platform's environment.

    A child process, not ``dbtRunner``: dbt-duckdb keeps the warehouse open (read-write) until its
    process ends, and the next task may run in this very process (``dag.test()``).
    """
    project_dir = dbt_project_dir()
    command = [str(dbt_executable()), *args, "--project-dir", str(project_dir), "--profiles-dir", str(project_dir)]
    done = subprocess.run(
        command, cwd=project_dir, env={**os.environ, **dbt_env()}, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-30:])
        raise RuntimeError(f"dbt {' '.join(args)} failed (exit {done.returncode}):\n{tail}")


def parse_project() -> Path:
    """``dbt parse`` into the platform's target directory, unless its manifest is already current."""
    if not manifest_is_current():
        target_dir().mkdir(parents=True, exist_ok=True)
        _invoke(["parse"])
    return manifest_path()


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
    from_manifest = manifest_is_current()
    # Cosmos runs dbt in a temporary copy of the project: it must keep its own target directory, since
    # dbt's partial-parse state records the project's root path (seeds are read from it).
    cosmos_env = {k: v for k, v in dbt_env().items() if k != TARGET_PATH_ENV}
    project = ProjectConfig(
        dbt_project_path=project_dir,
        manifest_path=manifest_path() if from_manifest else None,
        env_vars=cosmos_env,
    )
    profile = ProfileConfig(
        profile_name=profile_name(project_dir),
        target_name="dev",
        profiles_yml_filepath=project_dir / "profiles.yml",
    )
    execution = ExecutionConfig(
        execution_mode=ExecutionMode.WATCHER if watcher else ExecutionMode.LOCAL,
        # A dbt subprocess: dbt-duckdb keeps its connection open for the life of the process, which
        # would lock the warehouse for the next task when tasks share a process (dag.test()).
        invocation_mode=InvocationMode.SUBPROCESS,
        dbt_executable_path=executable,
    )
    render = RenderConfig(
        load_method=LoadMode.DBT_MANIFEST if from_manifest else LoadMode.DBT_LS,
        # The venv's dbt, by path: the venv's bin/ need not be on PATH (`make demo` does not activate it),
        # and Cosmos refuses an explicit path with its default in-process runner.
        invocation_mode=InvocationMode.SUBPROCESS,
        dbt_executable_path=executable,
        test_behavior=TestBehavior.AFTER_EACH,
        # the production build: no unit tests (rendered tasks and the producer's `dbt build` alike)
        exclude=[f"resource_type:{resource_type}" for resource_type in PRODUCTION_EXCLUDED_RESOURCE_TYPES],
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
    sensors (trigger rule ``all_done``, so a failed build still reports node by node) keeps sensors from
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
            # all_done, not Cosmos' "always": "always" ignores the upstream entirely, so a sensor could
            # start (and wait) before the build; all_done still reports every node when the build fails.
            task.trigger_rule = "all_done"


def generate_docs(target: Path) -> Path:
    """Run ``dbt docs generate`` (it opens the warehouse read-write: hold the pool) and copy the site.

    The site goes to ``target`` (``OBSERVATOIRE_HOME/docs/dbt``): ``index.html`` with its
    ``manifest.json``/``catalog.json``, and ``static_index.html``, a single self-contained page.
    """
    _invoke(["docs", "generate", "--static"])
    built = target_dir()
    target.mkdir(parents=True, exist_ok=True)
    for name in ("index.html", "static_index.html", "manifest.json", "catalog.json"):
        source = built / name
        if source.exists():
            shutil.copy2(source, target / name)
    return target

"""Every DAG of dags/ imports cleanly and carries what operators rely on (tags, owner, retries, docs).

The DAG files are parsed in a child process with a throw-away Airflow home: Airflow reads its
configuration once per process, so parsing here would tie the whole test session to this home.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

_PARSE = r"""
import json, sys
from observatoire.config import paths
from observatoire.orchestration import environment
environment.activate(environment.airflow_environment(paths().ensure(), partner_port=8765))
# Cosmos caches its dbt ls in Airflow Variables: the metadata database must exist, as in any deployment.
environment.prepare_metadata_database()
# As `observatoire demo`/`run` do before parsing: Cosmos then renders from the manifest.
from observatoire.orchestration import dbt as dbt_setup
dbt_setup.parse_project()
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
out = {"import_errors": {k: v for k, v in bag.import_errors.items()}, "dags": {}}
for dag_id, dag in bag.dags.items():
    out["dags"][dag_id] = {
        "tags": sorted(dag.tags or []),
        "doc_md": bool((dag.doc_md or "").strip()),
        "fileloc": dag.fileloc,
        "has_failure_callback": bool(dag.on_failure_callback) or all(
            bool(getattr(t, "on_failure_callback", None)) for t in dag.tasks),
        "tasks": {
            t.task_id: {"owner": t.owner, "retries": t.retries, "pool": t.pool, "type": type(t).__name__,
                        "callback": bool(getattr(t, "on_failure_callback", None))}
            for t in dag.tasks
        },
        "schedule": type(dag.timetable).__name__ + " " + str(getattr(dag.timetable, "description", "")),
        "outlets": sorted({getattr(o, "uri", str(o)) for t in dag.tasks for o in (t.outlets or [])}),
        "start_date": str(dag.start_date),
    }
print("@@" + json.dumps(out))
"""


@pytest.fixture(scope="module")
def dagbag(tmp_path_factory: pytest.TempPathFactory) -> dict:
    home = tmp_path_factory.mktemp("dagbag_home")
    env = {**os.environ, "OBSERVATOIRE_HOME": str(home), "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False"}
    env.pop("OBSERVATOIRE_AIRFLOW_HOME", None)
    done = subprocess.run(
        [sys.executable, "-c", _PARSE, str(REPO / "dags")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    marker = [line for line in done.stdout.splitlines() if line.startswith("@@")]
    assert marker, f"DAG parsing crashed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    return json.loads(marker[-1][2:])


@pytest.mark.slow
def test_no_import_errors(dagbag: dict) -> None:
    assert dagbag["import_errors"] == {}, "\n".join(f"{k}:\n{v}" for k, v in dagbag["import_errors"].items())


@pytest.mark.slow
def test_every_dag_file_defines_a_dag(dagbag: dict) -> None:
    files = {Path(d["fileloc"]).name for d in dagbag["dags"].values()}
    expected = {p.name for p in (REPO / "dags").glob("*.py") if not p.name.startswith("_")}
    assert expected <= files


@pytest.mark.slow
def test_every_dag_is_documented_owned_tagged_and_retried(dagbag: dict) -> None:
    problems = []
    for dag_id, dag in dagbag["dags"].items():
        if not dag["tags"]:
            problems.append(f"{dag_id}: no tags")
        if not dag["doc_md"]:
            problems.append(f"{dag_id}: no doc_md")
        if not dag["has_failure_callback"]:
            problems.append(f"{dag_id}: no failure callback")
        for task_id, task in dag["tasks"].items():
            if not task["owner"] or task["owner"] == "airflow":
                problems.append(f"{dag_id}.{task_id}: default owner {task['owner']!r}")
        if not any(task["retries"] >= 1 for task in dag["tasks"].values()):
            problems.append(f"{dag_id}: no task retries")
    assert not problems, "\n".join(problems)


@pytest.mark.slow
def test_build_warehouse_shape(dagbag: dict) -> None:
    dag = dagbag["dags"]["build_warehouse"]
    tasks = dag["tasks"]
    assert "observatoire://published/observatoire.duckdb" in dag["outlets"]
    # Each dbt model is its own task, and one dbt process holds the warehouse pool.
    # A model with tests is a group: <model>.run then <model>.test.
    assert "dbt.fct_event.run" in tasks or "dbt.fct_event_run" in tasks
    assert any(t.startswith("dbt.") and t.endswith(".test") for t in tasks), "dbt tests are not visible as tasks"
    for name in ("publish_gate", "similarity_index", "transparency_notice", "documentation", "publish"):
        assert tasks[name]["pool"] == "duckdb_warehouse_writer", name
    writers = [t for t, spec in tasks.items() if spec["type"] == "DbtProducerWatcherOperator"]
    if writers:
        assert all(tasks[t]["pool"] == "duckdb_warehouse_writer" for t in writers)
        sensors = [t for t, spec in tasks.items() if spec["type"].endswith("WatcherOperator") and t not in writers]
        assert all(tasks[t]["pool"] != "duckdb_warehouse_writer" for t in sensors), "sensors would starve the producer"
    else:  # local execution mode: every dbt task in the pool
        assert all(spec["pool"] == "duckdb_warehouse_writer" for t, spec in tasks.items() if t.startswith("dbt."))
    assert "Asset" in dag["schedule"] or "asset" in dag["schedule"].lower()


@pytest.mark.slow
def test_ingestion_dags_emit_the_assets_build_warehouse_waits_for(dagbag: dict) -> None:
    from observatoire.orchestration.assets import raw_uris_by_partner

    expected = {uri for uris in raw_uris_by_partner().values() for uri in uris}
    emitted = {uri for dag_id, dag in dagbag["dags"].items() if dag_id.startswith("ingest_") for uri in dag["outlets"]}
    assert emitted, "no ingestion DAG emits a raw asset"
    assert expected <= emitted, f"not emitted by any ingestion DAG: {sorted(expected - emitted)}"

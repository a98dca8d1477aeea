"""The four ingestion DAGs: they parse cleanly with what operators rely on, and each run fills ``raw.*``.

Airflow reads its configuration once per process, so each check runs in a child process with a
throw-away ``AIRFLOW_HOME`` and ``OBSERVATOIRE_HOME``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
DAG_IDS = ("ingest_ville", "ingest_prefecture", "ingest_smtpc", "ingest_metropole")

_PARSE = r"""
import json, sys
from airflow.dag_processing.dagbag import DagBag
out = {"errors": {}, "dags": {}}
for name in sys.argv[1:]:
    bag = DagBag(dag_folder=name)
    out["errors"].update({k: str(v) for k, v in bag.import_errors.items()})
    for dag_id, dag in bag.dags.items():
        out["dags"][dag_id] = {
            "tags": sorted(dag.tags or []), "doc_md": bool((dag.doc_md or "").strip()), "catchup": dag.catchup,
            "timetable": type(dag.timetable).__name__, "params": sorted(dag.params.keys()),
            "start_date": str(dag.start_date),
            "groups": sorted({t.task_id.split(".")[0] for t in dag.tasks}),
            "tasks": {t.task_id: {"owner": t.owner, "retries": t.retries, "pool": t.pool,
                                  "trigger_rule": str(getattr(t.trigger_rule, "value", t.trigger_rule)),
                                  "outlets": [getattr(o, "uri", "") for o in (t.outlets or [])],
                                  "upstream": sorted(t.upstream_task_ids)} for t in dag.tasks},
        }
print("@@" + json.dumps(out))
"""

_RUN = r"""
import json, os, sys
from datetime import UTC, datetime
from pathlib import Path
sys.path.insert(0, sys.argv[1])
home = Path(os.environ["OBSERVATOIRE_HOME"])
from airflow.utils import db
from airflow.models.pool import Pool
from observatoire.config import WAREHOUSE_POOL
db.initdb()
Pool.create_or_update_pool(name=WAREHOUSE_POOL, slots=1, description="warehouse writer", include_deferred=False)
from tests.ingestion.partner_fixture import build_partner_store
from tests.ingestion.conftest import connection_env
from observatoire.partner_server import running_partners
from airflow.dag_processing.dagbag import DagBag
build_partner_store(home)
bag = DagBag(dag_folder=os.path.join(sys.argv[1], "dags"))
out = {}
with running_partners(home) as server:
    server.releaser.wait_released(timeout=30)
    os.environ.update(connection_env(server.base_url, server.settings.city_token, server.settings.smtpc_key, home / "drop"))
    for dag_id in sys.argv[2:]:
        run = bag.dags[dag_id].test(logical_date=datetime(2025, 4, 1, 3, tzinfo=UTC), run_conf={"full_history": True})
        out[dag_id] = {"state": str(run.state), "tasks": {ti.task_id: str(ti.state) for ti in run.get_task_instances()}}
import duckdb
with duckdb.connect(str(home / "warehouse" / "warehouse.duckdb"), read_only=True) as con:
    out["raw"] = dict(con.execute(
        "SELECT table_name, sum(rows_loaded) FROM raw._deliveries GROUP BY 1").fetchall())
print("@@" + json.dumps(out, default=str))
"""


def _child(code: str, args: list[str], tmp: Path, timeout: int) -> dict[str, Any]:
    env = {
        **os.environ,
        "OBSERVATOIRE_HOME": str(tmp / "home"),
        "AIRFLOW_HOME": str(tmp / "airflow"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{tmp / 'airflow' / 'airflow.db'}",
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "OBSERVATOIRE_GATE_EVIDENCE": "0",
    }
    env.pop("OBSERVATOIRE_AIRFLOW_HOME", None)
    (tmp / "airflow").mkdir(parents=True, exist_ok=True)
    done = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True,
                          timeout=timeout, check=False, cwd=str(tmp))
    marker = [line for line in done.stdout.splitlines() if line.startswith("@@")]
    assert marker, f"child crashed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    result: dict[str, Any] = json.loads(marker[-1][2:])
    return result


@pytest.fixture(scope="module")
def parsed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    files = [str(REPO / "dags" / f"{dag_id}.py") for dag_id in DAG_IDS]
    return _child(_PARSE, files, tmp_path_factory.mktemp("dagbag"), 300)


def test_ingestion_dags_parse(parsed: dict[str, Any]) -> None:
    assert parsed["errors"] == {}
    assert set(DAG_IDS) <= set(parsed["dags"])


@pytest.mark.parametrize("dag_id", DAG_IDS)
def test_dag_shape(parsed: dict[str, Any], dag_id: str) -> None:
    from observatoire.config import WAREHOUSE_POOL
    from observatoire.contracts import contracts_of

    dag = parsed["dags"][dag_id]
    partner = dag_id.removeprefix("ingest_")
    assert dag["doc_md"] and "ingestion" in dag["tags"] and dag["catchup"] is False
    assert dag["timetable"] == "CronDataIntervalTimetable"
    assert {"full_history", "since", "until"} <= set(dag["params"])
    assert dag["groups"] == sorted([*(c.dataset for c in contracts_of(partner)), "run_watcher"])
    watcher = dag["tasks"]["run_watcher"]
    assert watcher["trigger_rule"] == "one_failed" and watcher["retries"] == 0
    assert watcher["upstream"] == sorted(name for name in dag["tasks"] if name != "run_watcher")
    for contract in contracts_of(partner):
        tasks = {name.split(".", 1)[1]: spec for name, spec in dag["tasks"].items() if name.startswith(contract.dataset + ".")}
        assert set(tasks) == {"pull", "gate", "load"}
        assert tasks["load"]["pool"] == WAREHOUSE_POOL
        assert tasks["pull"]["pool"] != WAREHOUSE_POOL and tasks["gate"]["pool"] != WAREHOUSE_POOL
        assert tasks["load"]["outlets"] == [f"observatoire://raw/{contract.table}"]
        assert tasks["gate"]["upstream"] == [f"{contract.dataset}.pull"]
        assert all(spec["owner"] == "observatoire-data" and spec["retries"] >= 1 for spec in tasks.values())


@pytest.mark.slow
def test_each_ingestion_dag_run_fills_raw(tmp_path: Path) -> None:
    result = _child(_RUN, [str(REPO), *DAG_IDS], tmp_path, 1200)
    for dag_id in DAG_IDS:
        assert result[dag_id]["state"] == "success", result[dag_id]
        tasks = result[dag_id]["tasks"]
        assert tasks.pop("run_watcher") == "skipped", result[dag_id]  # nothing failed
        assert set(tasks.values()) == {"success"}, result[dag_id]
    from observatoire.contracts import CONTRACTS

    assert {f"raw.{table}" for table in CONTRACTS} == set(result["raw"])
    assert all(int(rows) > 0 for rows in result["raw"].values())


_REFUSED = r"""
import json, os, sys
from datetime import UTC, datetime
from pathlib import Path
sys.path.insert(0, sys.argv[1])
home = Path(os.environ["OBSERVATOIRE_HOME"])
from airflow.utils import db
from airflow.models.pool import Pool
from observatoire.config import WAREHOUSE_POOL
db.initdb()
Pool.create_or_update_pool(name=WAREHOUSE_POOL, slots=1, description="warehouse writer", include_deferred=False)
from tests.ingestion.partner_fixture import build_partner_store
from tests.ingestion.conftest import connection_env
from observatoire.partner_server import running_partners
from airflow.dag_processing.dagbag import DagBag
root = build_partner_store(home)
poisoned = root / "prefecture/manifestations/2025-03-30.csv"
poisoned.write_bytes(poisoned.read_bytes().replace("Retraites".encode("cp1252"), b"Retraites contact jean.dupont@example.org"))
bag = DagBag(dag_folder=os.path.join(sys.argv[1], "dags", "ingest_prefecture.py"))
with running_partners(home) as server:
    server.releaser.wait_released(timeout=30)
    os.environ.update(connection_env(server.base_url, server.settings.city_token, server.settings.smtpc_key, home / "drop"))
    run = bag.dags["ingest_prefecture"].test(logical_date=datetime(2025, 4, 1, 3, tzinfo=UTC), run_conf={"full_history": True})
    out = {"state": str(run.state), "tasks": {ti.task_id: str(ti.state) for ti in run.get_task_instances()}}
from airflow.models.asset import AssetEvent, AssetModel
from airflow.utils.session import create_session
with create_session() as session:
    out["events"] = {event.asset.uri: event.extra for event in session.query(AssetEvent).all()}
out["quarantine"] = [json.loads(p.read_text())["kind"] for p in sorted((home / "quarantine").rglob("reason.json"))]
import duckdb
with duckdb.connect(str(home / "warehouse" / "warehouse.duckdb"), read_only=True) as con:
    out["ids"] = [r[0] for r in con.execute("SELECT ID_CORTEGE FROM raw.prefecture__manifestations ORDER BY 1").fetchall()]
    out["ledger"] = con.execute(
        "SELECT status, count(*) FROM raw._deliveries WHERE table_name = 'raw.prefecture__manifestations' GROUP BY 1 ORDER BY 1").fetchall()
print("@@" + json.dumps(out, default=str))
"""


@pytest.mark.slow
def test_a_refused_delivery_fails_the_run_while_good_deliveries_load(tmp_path: Path) -> None:
    result = _child(_REFUSED, [str(REPO)], tmp_path, 1200)
    tasks = result["tasks"]
    assert result["state"] == "failed", result
    assert tasks["manifestations.gate"] == "failed" and tasks["run_watcher"] == "failed", tasks
    assert tasks["manifestations.load"] == "success", tasks  # the good deliveries of the run are loaded
    assert all(state == "success" for name, state in tasks.items()
               if name.startswith(("visites_officielles.", "operations_programmees.")) or name == "manifestations.pull")
    # The poisoned day is quarantined whole; the two good days are loaded.
    assert result["quarantine"] == ["privacy"]
    assert result["ids"] == ["C-20250329-1", "C-20250329-2", "C-20250331-1", "C-20250331-2"]
    assert result["ledger"] == [["loaded", 2], ["refused", 1]]
    extra = result["events"]["observatoire://raw/prefecture__manifestations"]
    assert extra["deliveries_refused"] == 1 and extra["rows_loaded"] == 4, extra

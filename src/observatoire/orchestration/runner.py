"""Run DAGs of the repository in this process with ``dag.test()``, one after the other.

``dag.test()`` executes a real DAG run against the metadata database (task instances, XComs, asset
events — all visible in the UI afterwards) without a scheduler: what the demo and ``observatoire run``
need on a laptop. The environment must have been activated (``environment.activate``) before this
module imports Airflow.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from ..config import REPO_ROOT
from ..errors import ObservatoireError

log = logging.getLogger(__name__)


class DagRunFailed(ObservatoireError):
    """A DAG run did not succeed; the message names the failed tasks."""


@dataclass
class DagOutcome:
    dag_id: str
    run_id: str
    state: str
    seconds: float
    failed_tasks: list[str] = field(default_factory=list)
    returns: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.state == "success"


def load_dags(dag_ids: list[str] | None = None) -> dict[str, Any]:
    """Parse ``dags/`` once; refuse to go on if any DAG file fails to import."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO_ROOT / "dags"))
    if bag.import_errors:
        details = "\n".join(f"  {path}: {error.strip().splitlines()[-1]}" for path, error in bag.import_errors.items())
        raise ObservatoireError(f"some DAG files do not import:\n{details}")
    if dag_ids is not None:
        missing = [d for d in dag_ids if d not in bag.dags]
        if missing:
            raise ObservatoireError(f"DAGs not found in {REPO_ROOT / 'dags'}: {', '.join(missing)}")
    return dict(bag.dags)


def test_dag(
    dag: Any, conf: dict[str, Any] | None = None, collect: tuple[str, ...] = (), *, fail_fast: bool = True
) -> DagOutcome:
    """One ``dag.test()`` run; returns its state, failed tasks and the XCom return values of ``collect``.

    ``fail_fast`` drops the tasks' retries for this run: ``dag.test()`` would otherwise sit through each
    retry delay (minutes, sized for partners' outages) before reporting a failure to the person waiting.
    """
    if fail_fast:
        for task in dag.tasks:
            task.retries = 0
    started = time.monotonic()
    dag_run = dag.test(run_conf=conf or None)
    seconds = time.monotonic() - started
    state = str(getattr(dag_run.state, "value", dag_run.state))
    failed: list[str] = []
    returns: dict[str, Any] = {}
    from airflow.utils.session import create_session

    with create_session() as session:
        for ti in dag_run.get_task_instances(session=session):
            ti_state = str(getattr(ti.state, "value", ti.state))
            if ti_state in {"failed", "upstream_failed"}:
                failed.append(f"{ti.task_id} ({ti_state})")
            if ti.task_id in collect:
                returns[ti.task_id] = ti.xcom_pull(task_ids=ti.task_id, key="return_value", session=session)
    return DagOutcome(dag.dag_id, dag_run.run_id, state, seconds, failed, returns)

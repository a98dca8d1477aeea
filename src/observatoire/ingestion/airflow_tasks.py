"""Building blocks of the ingestion DAGs (``dags/ingest_*.py``). Airflow is imported inside functions only.

Per dataset, one task group ``<dataset>`` with three tasks:

- ``pull``: the partner → ``landing/.incoming`` (network only; no warehouse);
- ``gate``: the privacy delivery gate → landing or quarantine; fails (red, alert) when a delivery was
  refused or rejected, *after* the other deliveries were landed;
- ``load``: landed deliveries → ``raw.<partner>__<dataset>`` (holds the one-slot writer pool, runs even
  if ``gate`` failed so that the good deliveries of the run are loaded); emits the dataset's Asset with
  the delivery ids, rows loaded and quarantined and the gate result as extra. Skipped (no asset event)
  when there was nothing new to load.

Per DAG, one final task ``run_watcher`` (trigger rule ``one_failed``, downstream of every task): ``load``
runs even when ``gate`` failed and is the leaf of its group, so without the watcher a run whose gate
refused a delivery would end green. The watcher fails the run instead (red in the UI, alert), while the
good deliveries are loaded and the asset event carries the refusal. A gate refusal fails its task
without retries (:class:`AirflowFailException`): a retry would find the refused delivery already in
quarantine and pass, turning the run green again.

Intervals: interval-based mechanisms (SMTPC days, Opendatasoft ``where``) pull the run's data interval,
so backfills are correct; the city API is incremental (watermark); the file drop picks every file not
landed yet up to the end of the interval. Params ``full_history`` / ``since`` / ``until`` let one run
pull a whole multi-year history (the demo).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from ..config import WAREHOUSE_POOL
from ..contracts import Contract
from .connections import PartnerConnection, connection_from_env

log = logging.getLogger(__name__)
OWNER = "observatoire-data"
ASSET_URI = "observatoire://raw/{table}"
MAX_IDS_IN_EXTRA = 20


def default_args() -> dict[str, Any]:
    from ..orchestration.alerts import on_failure

    return {
        "owner": OWNER,
        "on_failure_callback": on_failure,
        "retries": 3,
        "retry_delay": timedelta(minutes=5),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(hours=1),
        "execution_timeout": timedelta(hours=2),
    }


def dataset_asset(contract: Contract) -> Any:
    from airflow.sdk import Asset

    return Asset(
        uri=ASSET_URI.format(table=contract.table),
        name=f"raw.{contract.table}",
        group="observatoire-raw",
        extra={"partner": contract.partner, "dataset": contract.dataset, "contract_version": contract.version},
    )


def ingestion_params() -> dict[str, Any]:
    from airflow.sdk import Param

    return {
        "full_history": Param(
            False, type="boolean",
            description="Pull the whole history (from 'since', or the partner's first day) up to the end of "
            "the run's interval in ONE run, ignoring the city API watermark. Used by the demo.",
        ),
        "since": Param(
            None, type=["null", "string"],
            description="ISO date or date-time: start of the pull instead of the run's data interval start.",
        ),
        "until": Param(
            None, type=["null", "string"],
            description="ISO date or date-time: end of the pull instead of the run's data interval end.",
        ),
    }


def partner_connection(conn_id: str) -> PartnerConnection:
    """The connection as Airflow resolves it (env vars, metadata DB, secrets backend), else from the env."""
    try:
        from airflow.sdk import BaseHook

        connection = BaseHook.get_connection(conn_id)
    except Exception as error:  # noqa: BLE001 - any lookup failure falls back to the environment
        fallback = connection_from_env(conn_id)
        if fallback is not None:
            return fallback
        from .connections import get_connection

        log.debug("Airflow could not resolve %s (%s)", conn_id, error)
        return get_connection(conn_id)
    extra = connection.extra_dejson if hasattr(connection, "extra_dejson") else {}
    return PartnerConnection(
        conn_id=conn_id,
        conn_type=str(connection.conn_type or "http"),
        host=connection.host,
        port=connection.port,
        schema=connection.schema,
        login=connection.login,
        password=connection.password,
        extra=dict(extra or {}),
    )


def run_interval(context: Any) -> tuple[Any, bool, bool]:
    """``(Interval, full_history, require_complete)`` from the run's data interval and params."""
    from .intervals import Interval, parse_instant

    params = context.get("params") or {}
    full_history = bool(params.get("full_history"))
    since, until = params.get("since"), params.get("until")
    start: datetime | None = parse_instant(since) if since else context.get("data_interval_start")
    end: datetime | None = parse_instant(until) if until else context.get("data_interval_end")
    if full_history and not since:
        start = None
    if start is not None and end is not None and end <= start:
        # A manual run without a data interval: take the day before the run.
        start = end - timedelta(days=1)
    require_complete = not full_history and not since and not until
    return Interval(start, end), full_history, require_complete


def pull_step(contract: Contract, context: Any) -> dict[str, Any]:
    from .service import pull_dataset

    interval, full_history, require_complete = run_interval(context)
    log.info("pulling %s for %s (full history: %s)", contract.table, interval, full_history)
    report = pull_dataset(
        contract, interval, getter=partner_connection, full_history=full_history, require_complete=require_complete
    )
    return {"table": report.table, "interval": report.interval, "deliveries": len(report.pulled), "new": report.new,
            "missing_days": report.missing_days[:MAX_IDS_IN_EXTRA]}


def gate_failure(contract: Contract, refused: list[dict[str, Any]], rejected: list[dict[str, Any]]) -> str | None:
    """The message that fails the gate task, or ``None`` when every delivery was landed."""
    parts = []
    if refused:
        parts.append(
            f"{len(refused)} {contract.table} deliveries refused by the privacy gate and quarantined "
            f"(nothing of them loaded): {refused[0]['message']}"
        )
    if rejected:
        parts.append(
            f"{len(rejected)} {contract.table} deliveries rejected whole (structure) and quarantined: "
            f"{rejected[0]['message']}"
        )
    return "; ".join(parts) or None


def gate_step(contract: Contract) -> dict[str, Any]:
    from airflow.sdk.exceptions import AirflowFailException

    from .service import gate_dataset

    report = gate_dataset(contract)
    summary = {"table": report.table, "refused": report.refused, "rejected": report.rejected,
               "gate": report.gate}
    message = gate_failure(contract, report.refused, report.rejected)
    if message is not None:
        # No retry: the refused deliveries are in quarantine already, a retry would pass.
        raise AirflowFailException(message)
    return summary


def load_step(contract: Contract, context: Any) -> dict[str, Any]:
    from airflow.sdk.exceptions import AirflowSkipException

    from .service import load_dataset

    report = load_dataset(contract)
    recorded = len(report.loaded) + len(report.refused) + len(report.rejected)
    extra = {
        "table": report.table,
        "deliveries_loaded": len(report.loaded),
        "delivery_ids": report.loaded[:MAX_IDS_IN_EXTRA],
        "last_delivery_id": report.loaded[-1] if report.loaded else None,
        "rows_loaded": report.rows_loaded,
        "rows_quarantined": report.rows_quarantined,
        "deliveries_refused": len(report.refused),
        "deliveries_rejected": len(report.rejected),
        "gate": report.gate,
    }
    if not report.loaded:
        if recorded:
            log.warning("%s: nothing loaded; %d deliveries quarantined whole", contract.table, recorded)
        raise AirflowSkipException(f"{contract.table}: no new delivery to load")
    context["outlet_events"][dataset_asset(contract)].extra = extra
    log.info("%s: %s", contract.table, extra)
    return extra


WATCHER_TASK_ID = "run_watcher"


def watch_run(dag: Any) -> Any:
    """Add the watcher (see the module docstring) downstream of every task of ``dag``; returns it."""
    from airflow.sdk import TriggerRule, task

    @task(
        task_id=WATCHER_TASK_ID,
        trigger_rule=TriggerRule.ONE_FAILED,
        retries=0,
        doc_md="Fails the run when any task failed (e.g. a delivery refused by the privacy gate), even "
        "though the good deliveries were loaded. Skipped when every task succeeded.",
    )
    def run_watcher() -> None:
        from airflow.sdk.exceptions import AirflowFailException

        raise AirflowFailException("a task of this run failed (see the failed tasks): the run is failed")

    others = list(dag.tasks)
    watcher = run_watcher()
    for other in others:
        other >> watcher
    return watcher


def partner_tasks(partner: str) -> None:
    """Inside a ``@dag`` function: one task group per dataset of ``partner``, then the run watcher."""
    from airflow.sdk.definitions._internal.contextmanager import DagContext

    from ..contracts import contracts_of

    for contract in contracts_of(partner):
        dataset_task_group(contract)
    dag = DagContext.get_current()
    if dag is None:  # pragma: no cover - only called inside a DAG definition
        raise RuntimeError("partner_tasks() must be called inside a DAG definition")
    watch_run(dag)


def dataset_task_group(contract: Contract) -> Any:
    """The ``pull → gate → load`` task group of one dataset."""
    from airflow.sdk import task, task_group

    asset = dataset_asset(contract)

    @task_group(group_id=contract.dataset, tooltip=contract.title)
    def group() -> None:
        @task(task_id="pull", doc_md=f"Pull {contract.title} into the incoming area (mechanism: {contract.mechanism}).")
        def pull(**context: Any) -> dict[str, Any]:
            return pull_step(contract, context)

        @task(task_id="gate", doc_md="Privacy delivery gate: land what passes, quarantine what is refused.")
        def gate() -> dict[str, Any]:
            return gate_step(contract)

        @task(
            task_id="load",
            pool=WAREHOUSE_POOL,
            outlets=[asset],
            trigger_rule="all_done",
            doc_md=f"Validate and load landed deliveries into {contract.qualified_table}; emit its asset.",
        )
        def load(**context: Any) -> dict[str, Any]:
            return load_step(contract, context)

        pulled = pull()
        gated = gate()
        loaded = load()
        pulled >> gated >> loaded

    return group()

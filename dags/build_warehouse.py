"""Build the warehouse from the partners' raw data and publish it (DESIGN.md §2).

Thin on purpose: each task calls ``observatoire.orchestration.warehouse``; nothing here opens a file
when the DAG is parsed (Cosmos renders the dbt project with ``dbt ls``, cached between parses).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import AssetAll, AssetAny, AssetOrTimeSchedule, CronTriggerTimetable, chain, dag, task
from cosmos import DbtTaskGroup

from observatoire.config import TIMEZONE, WAREHOUSE_POOL
from observatoire.orchestration import alerts, warehouse
from observatoire.orchestration import dbt as dbt_setup
from observatoire.orchestration.assets import published_asset, raw_assets_by_partner

PUBLISHED = published_asset()

# A build starts once every partner has delivered something since the previous build (any of its
# datasets), so four ingestion DAGs finishing one after the other trigger one build, not four; and at
# 07:00 Paris time anyway, so that one silent partner does not freeze the published data.
SCHEDULE = AssetOrTimeSchedule(
    timetable=CronTriggerTimetable("0 7 * * *", timezone=TIMEZONE),
    assets=AssetAll(*(AssetAny(*assets) for assets in raw_assets_by_partner().values())),
)

DOC = """
### Build the warehouse and publish it

Triggered when **every partner** has delivered new data (assets `observatoire://raw/<partner>__<dataset>`
emitted by the four `ingest_*` DAGs), and daily at 07:00 Europe/Paris.

1. **dbt** (`dbt` task group, astronomer-cosmos): staging → intermediate → marts, each model and its
   tests shown as tasks. One `dbt build` process (the `dbt_producer_watcher` task) does the work and
   holds the one-slot pool `duckdb_warehouse_writer`: DuckDB accepts a single writer.
2. **publish_gate**: a fast pre-check of the marts by the privacy rules engine (DESIGN §6), with Great
   Expectations evidence recorded when it refuses. A failure blocks the publication; the previous
   published file stays in place and an alert is raised.
3. **similarity_index**: `marts.event_similarity`, `similarity_parameters`, `similarity_evaluation`
   (only the events whose neighbours can have changed are recomputed; everything when the
   configuration changed).
4. **publish**: atomic replacement of `published/observatoire.duckdb` (small cells suppressed, the gate
   of record — rules engine and GX evidence — on the new file, `publish_log` row). Emits the asset
   `observatoire://published/observatoire.duckdb` with run id, rows per table, gate results and index
   fingerprint.
5. **transparency_notice** and **documentation** (dbt docs, Great Expectations Data Docs) under
   `OBSERVATOIRE_HOME/docs/`, also served by the Observatoire pages of this UI. They come after the
   publication so that fresh data is never held back by documentation.

Every task that opens `warehouse.duckdb` holds the pool. Failures call `observatoire.orchestration.alerts`.
"""


@dag(
    dag_id="build_warehouse",
    schedule=SCHEDULE,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    doc_md=DOC,
    tags=["observatoire", "warehouse", "dbt", "publication"],
    default_args={
        "owner": "observatoire-data",
        "retries": 1,
        "retry_delay": timedelta(minutes=2),
        "on_failure_callback": alerts.on_failure,
    },
    on_failure_callback=alerts.on_failure,
)
def build_warehouse() -> None:
    project, profile, execution, render, operator_args = dbt_setup.cosmos_configs()
    dbt = DbtTaskGroup(
        group_id="dbt",
        project_config=project,
        profile_config=profile,
        execution_config=execution,
        render_config=render,
        operator_args=operator_args,
        default_args={"retries": 0},  # a failed build is re-run as a whole, by clearing the group
    )
    dbt_setup.attach_watcher_producer(dbt)

    @task(pool=WAREHOUSE_POOL)
    def publish_gate() -> dict[str, Any]:
        """Privacy gate over the warehouse marts: fails the run (and blocks publication) on any finding."""
        return warehouse.check_marts()

    @task(pool=WAREHOUSE_POOL)
    def similarity_index() -> dict[str, Any]:
        """Neighbours of every event, parameters and backtest, written to the marts."""
        return warehouse.build_similarity_index()

    @task(pool=WAREHOUSE_POOL)
    def transparency_notice() -> list[str]:
        """The algorithm transparency notice (HTML and Markdown) under docs/transparency/."""
        return warehouse.write_transparency_notice()

    @task(pool=WAREHOUSE_POOL)
    def documentation() -> dict[str, str | None]:
        """dbt docs (dbt opens the warehouse read-write) and Great Expectations Data Docs."""
        return warehouse.build_documentation()

    @task(pool=WAREHOUSE_POOL, outlets=[PUBLISHED])
    def publish(gate: dict[str, Any], index: dict[str, Any], **context: Any) -> dict[str, Any]:
        """Atomic publication; the asset event carries what was published."""
        extra = warehouse.publish_marts(run_id=context["run_id"], index=index, warehouse_gate=gate)
        context["outlet_events"][PUBLISHED].extra = extra
        return extra

    gate = publish_gate()
    index = similarity_index()
    published = publish(gate, index)
    chain(dbt, gate, index, published, [transparency_notice(), documentation()])


build_warehouse()

"""
### Ingestion — SMTPC (Prado-Carénage tunnel)

Daily CSV files over HTTPS with an `X-API-Key` header: 6-minute counts per direction and tunnel incidents.

**Schedule.** Daily at 00:00 UTC for the UTC day that just ended (the run's data interval): a backfill of past runs pulls exactly their days. A day not published yet fails the pull, which is retried.

Per dataset, one task group `pull → gate → load`:

- **pull** lands each delivery unchanged (with a manifest: source, interval, sha256, rows, contract
  version) in `landing/.incoming/`; truncated or partial answers are retried, never landed;
- **gate** runs the privacy delivery gate: passing deliveries move to `landing/smtpc/<dataset>/<delivery_id>/`
  (read-only), refused or structurally invalid ones go whole to `quarantine/` with `reason.json`
  (the task then fails, so the refusal is visible and alerts);
- **load** validates rows against the contract (bad rows → `quarantine/…/rows.csv` with a reason each),
  upserts `raw.smtpc__<dataset>` in one transaction per batch (holds the `duckdb_warehouse_writer`
  pool) and emits the dataset's Asset with delivery ids, rows loaded/quarantined and the gate result.

Re-running a run, or re-pulling an interval, changes nothing (deterministic delivery ids, idempotent upserts).

**Params.** `full_history` pulls the whole history up to the run's interval end in one run (the demo);
`since` / `until` (ISO dates) override the interval.

Connections: `observatoire_smtpc` (HTTP, password = token/key; extra `base_url`) and
`observatoire_drop` (extra `path`), given as `AIRFLOW_CONN_*` variables in the embedded profile.
"""

from __future__ import annotations

from datetime import UTC, datetime

from airflow.sdk import CronDataIntervalTimetable, dag

from observatoire.ingestion.airflow_tasks import default_args, ingestion_params, partner_tasks


@dag(
    dag_id="ingest_smtpc",
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=datetime(2025, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    params=ingestion_params(),
    tags=["observatoire", "ingestion", "smtpc", "daily"],
    doc_md=__doc__,
)
def ingest_smtpc() -> None:
    partner_tasks("smtpc")


ingest_smtpc()

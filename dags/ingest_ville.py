"""
### Ingestion — Ville de Marseille

REST API (bearer token, pages, incremental by `updated_since` watermark) for `evenements` and `arretes_circulation`; daily police-activity CSV files from the file drop for `activite_police_municipale`.

**Schedule.** Hourly: the API is incremental (watermark), so each run pulls what changed since the last loaded delivery; the drop is scanned for files not landed yet.

Per dataset, one task group `pull → gate → load`:

- **pull** lands each delivery unchanged (with a manifest: source, interval, sha256, rows, contract
  version) in `landing/.incoming/`; truncated or partial answers are retried, never landed;
- **gate** runs the privacy delivery gate: passing deliveries move to `landing/ville/<dataset>/<delivery_id>/`
  (read-only), refused or structurally invalid ones go whole to `quarantine/` with `reason.json`
  (the task then fails, so the refusal is visible and alerts);
- **load** validates rows against the contract (bad rows → `quarantine/…/rows.csv` with a reason each),
  upserts `raw.ville__<dataset>` in one transaction per batch (holds the `duckdb_warehouse_writer`
  pool) and emits the dataset's Asset with delivery ids, rows loaded/quarantined and the gate result.

Re-running a run, or re-pulling an interval, changes nothing (deterministic delivery ids, idempotent upserts).

**Params.** `full_history` pulls the whole history up to the run's interval end in one run (the demo);
`since` / `until` (ISO dates) override the interval.

Connections: `observatoire_ville` (HTTP, password = token/key; extra `base_url`) and
`observatoire_drop` (extra `path`), given as `AIRFLOW_CONN_*` variables in the embedded profile.
"""

from __future__ import annotations

from datetime import UTC, datetime

from airflow.sdk import CronDataIntervalTimetable, dag

from observatoire.ingestion.airflow_tasks import default_args, ingestion_params, partner_tasks


@dag(
    dag_id="ingest_ville",
    schedule=CronDataIntervalTimetable("0 * * * *", timezone="Europe/Paris"),
    start_date=datetime(2025, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    params=ingestion_params(),
    tags=["observatoire", "ingestion", "ville", "hourly"],
    doc_md=__doc__,
)
def ingest_ville() -> None:
    partner_tasks("ville")


ingest_ville()

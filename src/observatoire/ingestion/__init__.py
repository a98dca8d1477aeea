"""Partner ingestion (DESIGN.md §2–§3): connectors, immutable landing, parsing against the contracts,
quarantine, raw loads into ``warehouse.duckdb`` and the watermarks of incremental feeds.

Entry points (:mod:`observatoire.ingestion.service`):

- ``ingest_partner(partner, interval, full_history=…)`` / ``ingest_dataset(contract, interval, …)``: pull,
  gate, land, validate and load in one process (CLI, benchmarks, the whole-job pipeline); deliveries are
  held in memory until the gate has decided, then landed (or quarantined) straight from their bytes;
- ``ingest_partners(partners | None, interval, …)``: several partners (all by default) in one process and
  one warehouse connection — a daily increment pays the start-up (imports, Great Expectations) once;
- ``pull_dataset`` → ``gate_dataset`` → ``load_dataset``: the same job as three steps, one Airflow task
  each (only ``load_dataset`` opens the warehouse); the DAGs build them with
  :func:`observatoire.ingestion.airflow_tasks.dataset_task_group`;
- ``ingest_file(partner, dataset, path)``: a manual delivery (``observatoire ingest``);
- ``reload_from_landing(contracts=None, con=None)``: every ``raw.*`` table and the delivery ledger rebuilt
  from scratch from ``landing/`` and ``quarantine/`` (``observatoire rebuild``);
- :func:`observatoire.ingestion.rawload.ensure_tables`: create ``raw.*`` and ``raw._deliveries``.

A scheduled run reads nothing of the history: the deliveries an interrupted run left unrecorded are found
in the pending journal (:mod:`.landing`), the ledger is looked up by delivery id.

Modules: ``connections`` (Airflow connections / ``AIRFLOW_CONN_*``), ``http`` (retries), ``connectors/``
(one per mechanism), ``delivery`` (ids), ``landing``, ``reader`` (structure), ``validation`` (rows),
``timeparse`` (time zones and the DST rule), ``gate`` (privacy hook), ``quarantine``, ``rawload``,
``watermarks``, ``commands`` (CLI), ``airflow_tasks``. Nothing here imports Airflow at module level.
"""

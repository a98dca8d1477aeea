"""Partner ingestion (DESIGN.md §2–§3): connectors, immutable landing, parsing against the contracts,
quarantine, raw loads into ``warehouse.duckdb`` and the watermarks of incremental feeds.

The entry points other components call live in :mod:`observatoire.ingestion.service`:

- ``ingest_dataset(contract, interval)`` / ``ingest_partner(partner, interval)``: pull, land, gate,
  validate and load in one process (CLI, benchmarks, the whole-job pipeline);
- ``pull_dataset`` → ``gate_dataset`` → ``load_dataset``: the same job split in three steps, one Airflow
  task each (only ``load_dataset`` opens the warehouse);
- ``ingest_file(partner, dataset, path)``: a manual delivery (``observatoire ingest``).

Nothing here imports Airflow at module level.
"""

"""Airflow asset URIs of the platform (DESIGN.md §2).

Each ingestion DAG emits one asset per partner dataset (``observatoire://raw/<partner>__<dataset>``);
``build_warehouse`` is scheduled on them and emits the published file's asset.
"""

from __future__ import annotations

from ..contracts import CONTRACTS, PARTNERS

PUBLISHED_URI = "observatoire://published/observatoire.duckdb"


def raw_uri(table: str) -> str:
    return f"observatoire://raw/{table}"


def raw_uris_by_partner() -> dict[str, list[str]]:
    """The eleven raw dataset URIs grouped by partner, in contract order."""
    grouped: dict[str, list[str]] = {partner: [] for partner in PARTNERS}
    for table, contract in CONTRACTS.items():
        grouped[contract.partner].append(raw_uri(table))
    return grouped

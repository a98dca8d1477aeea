"""Airflow assets of the platform (DESIGN.md §2).

Each ingestion DAG emits one asset per partner dataset (``observatoire://raw/<partner>__<dataset>``,
defined by ``observatoire.ingestion.airflow_tasks.dataset_asset``: reusing that definition keeps the
name/URI pair identical on both sides); ``build_warehouse`` is scheduled on them and emits the
published file's asset.
"""

from __future__ import annotations

from typing import Any

from ..contracts import PARTNERS, contracts_of

PUBLISHED_URI = "observatoire://published/observatoire.duckdb"
PUBLISHED_NAME = "published.observatoire"


def published_asset() -> Any:
    from airflow.sdk import Asset

    return Asset(uri=PUBLISHED_URI, name=PUBLISHED_NAME, group="observatoire-published")


def raw_assets_by_partner() -> dict[str, list[Any]]:
    """The eleven raw dataset assets grouped by partner, in contract order."""
    from ..ingestion.airflow_tasks import dataset_asset

    return {partner: [dataset_asset(c) for c in contracts_of(partner)] for partner in PARTNERS}


def raw_uris_by_partner() -> dict[str, list[str]]:
    return {partner: [f"observatoire://raw/{c.table}" for c in contracts_of(partner)] for partner in PARTNERS}

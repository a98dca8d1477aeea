"""The similarity index (DESIGN §5): explainable nearest past events, forecast, backtest.

Public API (what the pipeline, the Airflow tasks and the UI call):
- ``build_similarity_index(warehouse=None, config=None, artefact=None, *, full=False) -> BuildResult``
  (incremental unless ``full``: see ``build.py``)
- ``query_planned_event(db, PlannedEvent(...)) -> QueryResult``
- ``load_config(path=None) -> SimilarityConfig``
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BuildResult",
    "PlannedEvent",
    "QueryResult",
    "SimilarityConfig",
    "build_similarity_index",
    "load_config",
    "query_planned_event",
]


def __getattr__(name: str) -> Any:
    # Lazy: importing scikit-learn costs seconds, and `observatoire --help` must stay fast.
    if name in ("build_similarity_index", "BuildResult"):
        from . import build

        return getattr(build, name)
    if name in ("query_planned_event", "PlannedEvent", "QueryResult"):
        from . import query

        return getattr(query, name)
    if name in ("load_config", "SimilarityConfig"):
        from . import config

        return getattr(config, name)
    raise AttributeError(name)

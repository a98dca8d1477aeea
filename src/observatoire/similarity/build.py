"""Build the similarity index from the warehouse: neighbours, parameters, backtest, artefact."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from .. import config as platform_config
from ..errors import BadInput
from . import columns as c
from .backtest import evaluate
from .config import SimilarityConfig, load_config
from .index import fit_index, parameters_frame, similarity_frame
from .loading import load_events_from, natures_of
from .storage import replace_tables, save_artefact

log = logging.getLogger(__name__)
ARTEFACT_NAME = "similarity_index.joblib"


@dataclass(frozen=True)
class BuildResult:
    events: int
    pairs: int
    scored_pairs: int
    seconds: float
    cpu_seconds: float
    config_fingerprint: str
    data_snapshot_id: str
    artefact: Path
    evaluation_rows: int


def build_similarity_index(
    warehouse: Path | str | None = None,
    config: SimilarityConfig | Path | str | None = None,
    artefact: Path | str | None = None,
) -> BuildResult:
    """Compute ``marts.event_similarity``, ``marts.similarity_parameters`` and
    ``marts.similarity_evaluation`` in the warehouse from ``marts.fct_event``, and save the fitted
    encoder beside the warehouse. The caller holds the warehouse writer slot (one writer per file)."""
    started, cpu_started = time.perf_counter(), time.process_time()
    path = Path(warehouse) if warehouse is not None else platform_config.paths().warehouse
    cfg = config if isinstance(config, SimilarityConfig) else load_config(config)
    if not path.exists():
        raise BadInput(f"no warehouse at {path}: build the marts first")
    con = duckdb.connect(str(path))
    try:
        events = load_events_from(con, natures_of(con))
        snapshot, fingerprint = events.snapshot_id(), cfg.fingerprint
        index = fit_index(events, cfg)
        tables = {
            c.EVENT_SIMILARITY: similarity_frame(index, cfg, fingerprint, snapshot),
            c.SIMILARITY_PARAMETERS: parameters_frame(cfg),
            c.SIMILARITY_EVALUATION: evaluate(events, index.neighbours, cfg, fingerprint, snapshot),
        }
        replace_tables(con, tables)
    finally:
        con.close()
    artefact_path = Path(artefact) if artefact is not None else path.parent / ARTEFACT_NAME
    save_artefact(
        artefact_path,
        {
            "pipeline": index.pipeline,
            "config": cfg.canonical(),
            "config_fingerprint": fingerprint,
            "data_snapshot_id": snapshot,
            "events": len(events),
            "natures": events.natures,
            "families": events.families,
        },
    )
    result = BuildResult(
        events=len(events),
        pairs=len(index.neighbours.query),
        scored_pairs=index.neighbours.scored_pairs,
        seconds=time.perf_counter() - started,
        cpu_seconds=time.process_time() - cpu_started,
        config_fingerprint=fingerprint,
        data_snapshot_id=snapshot,
        artefact=artefact_path,
        evaluation_rows=len(tables[c.SIMILARITY_EVALUATION]),
    )
    log.info(
        "similarity index: %d events, %d neighbour rows in %.1f s (%.1f s CPU), config %s, data %s",
        result.events,
        result.pairs,
        result.seconds,
        result.cpu_seconds,
        fingerprint[:19],
        snapshot[:19],
    )
    return result

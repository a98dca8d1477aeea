"""Build the similarity index from the warehouse: neighbours, parameters, backtest, artefact.

By default a build is *incremental* (``incremental.py``): only the events that start at or after the
earliest new, removed or changed event get their neighbours recomputed, the other rows of
``marts.event_similarity`` are kept as they are (they cannot change), and the result is the very table
a full rebuild writes. ``full=True`` forces a full rebuild; one also happens whenever the configuration
fingerprint or the index version changed, or the previous build left no usable state.

The backtest (``similarity_evaluation``) is recomputed at every build: it is cheap (it reads the
neighbours of the last ``backtest_days`` of events, kept or recomputed) and depends on outcomes, which
change for old events too, and on the evaluation period, which moves with the data.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from .. import config as platform_config
from ..errors import BadInput
from . import columns as c
from .backtest import evaluate, evaluation_period
from .config import SimilarityConfig, load_config
from .events import Events
from .incremental import (
    BUILD_STATE,
    EVENT_STATE,
    INDEX_VERSION,
    STATE_SCHEMA,
    Plan,
    event_state,
    incremental_edits,
    kept_pairs,
    plan_build,
)
from .index import fit_index, parameters_frame, similarity_frame
from .loading import load_events_from, natures_of
from .search import Neighbours
from .storage import TableName, replace_tables, save_artefact

log = logging.getLogger(__name__)
ARTEFACT_NAME = "similarity_index.joblib"
_NO_LIMIT_US = 2**62


@dataclass(frozen=True)
class BuildResult:
    events: int
    pairs: int
    """Rows of ``event_similarity`` after the build (kept and recomputed)."""
    scored_pairs: int
    seconds: float
    cpu_seconds: float
    config_fingerprint: str
    data_snapshot_id: str
    artefact: Path
    evaluation_rows: int
    mode: str = "full"
    """"full" or "incremental"."""
    reason: str = ""
    """Why this mode (e.g. "requested", "the configuration changed", "events changed")."""
    recomputed_events: int = 0
    """Events whose neighbours this build computed (all of them in a full build)."""
    new_events: int = 0
    removed_events: int = 0
    changed_events: int = 0


def build_similarity_index(
    warehouse: Path | str | None = None,
    config: SimilarityConfig | Path | str | None = None,
    artefact: Path | str | None = None,
    *,
    full: bool = False,
) -> BuildResult:
    """Compute ``marts.event_similarity``, ``marts.similarity_parameters`` and
    ``marts.similarity_evaluation`` in the warehouse from ``marts.fct_event``, and save the fitted
    encoder beside the warehouse. Incremental unless ``full`` (see the module docstring); both give
    the same tables. The caller holds the warehouse writer slot (one writer per file)."""
    started, cpu_started = time.perf_counter(), time.process_time()
    path = Path(warehouse) if warehouse is not None else platform_config.paths().warehouse
    cfg = config if isinstance(config, SimilarityConfig) else load_config(config)
    if not path.exists():
        raise BadInput(f"no warehouse at {path}: build the marts first")
    con = duckdb.connect(str(path))
    try:
        events = load_events_from(con, natures_of(con))
        snapshot, fingerprint = events.snapshot_id(), cfg.fingerprint
        state = event_state(events)
        plan = plan_build(con, events, state, fingerprint, full=full)
        index = fit_index(events, cfg, first=plan.first)
        new_rows = similarity_frame(index, cfg, fingerprint, snapshot)
        neighbours = index.neighbours if plan.full else _with_kept(con, events, index.neighbours, cfg, plan)
        evaluation = evaluate(events, neighbours, cfg, fingerprint, snapshot)
        edits = [] if plan.full else incremental_edits(new_rows, snapshot, plan.t0_us)
        pairs = len(new_rows) + (0 if plan.full else _kept_count(con, plan))
        tables: dict[TableName, pd.DataFrame] = {
            c.SIMILARITY_PARAMETERS: parameters_frame(cfg),
            c.SIMILARITY_EVALUATION: evaluation,
            (STATE_SCHEMA, EVENT_STATE): state,
            (STATE_SCHEMA, BUILD_STATE): pd.DataFrame(
                [
                    {
                        "config_fingerprint": fingerprint,
                        "index_version": INDEX_VERSION,
                        "data_snapshot_id": snapshot,
                        "events": len(events),
                        "pairs": pairs,
                        "mode": plan.mode,
                        "built_at": pd.Timestamp.now(tz="UTC"),
                    }
                ]
            ),
        }
        if plan.full:
            tables[c.EVENT_SIMILARITY] = new_rows
        replace_tables(con, tables, edits=edits)
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
        pairs=pairs,
        scored_pairs=index.neighbours.scored_pairs,
        seconds=time.perf_counter() - started,
        cpu_seconds=time.process_time() - cpu_started,
        config_fingerprint=fingerprint,
        data_snapshot_id=snapshot,
        artefact=artefact_path,
        evaluation_rows=len(evaluation),
        mode=plan.mode,
        reason=plan.reason,
        recomputed_events=len(events) - plan.first,
        new_events=plan.new,
        removed_events=plan.removed,
        changed_events=plan.changed,
    )
    log.info(
        "similarity index (%s: %s): %d events, %d recomputed, %d neighbour rows in %.1f s (%.1f s CPU), "
        "config %s, data %s",
        result.mode,
        result.reason,
        result.events,
        result.recomputed_events,
        result.pairs,
        result.seconds,
        result.cpu_seconds,
        fingerprint[:19],
        snapshot[:19],
    )
    return result


def _kept_count(con: duckdb.DuckDBPyConnection, plan: Plan) -> int:
    """Rows of the previous ``event_similarity`` an incremental build keeps."""
    row = con.execute(
        f'SELECT count(*) FROM "marts"."{c.EVENT_SIMILARITY}" WHERE {c.EVENT_ID} IN (SELECT {c.EVENT_ID} '
        f'FROM "{STATE_SCHEMA}"."{EVENT_STATE}" WHERE starts_at_us < ?)',
        [_NO_LIMIT_US if plan.t0_us is None else plan.t0_us],
    ).fetchone()
    return int(row[0]) if row else 0


def _with_kept(
    con: duckdb.DuckDBPyConnection, events: Events, computed: Neighbours, cfg: SimilarityConfig, plan: Plan
) -> Neighbours:
    """The neighbours the backtest needs: those of its period's events, kept or just computed."""
    period = evaluation_period(events, cfg.backtest_days)
    if period is None:
        return computed
    kept = kept_pairs(con, period[0], plan.t0_us)
    positions = pd.Index(events.ids)
    query = positions.get_indexer(kept[c.EVENT_ID].astype(str))
    neighbour = positions.get_indexer(kept["neighbour_event_id"].astype(str))
    if (query < 0).any() or (neighbour < 0).any():
        raise RuntimeError("kept similarity rows refer to events that are gone: rebuild with full=True")
    q = np.concatenate([query.astype(np.int64), computed.query])
    n = np.concatenate([neighbour.astype(np.int64), computed.neighbour])
    rank = np.concatenate([kept["rank"].to_numpy(dtype=np.int64), computed.rank])
    d2 = np.concatenate([kept["d2"].to_numpy(dtype="float64"), computed.d2])
    # The order of a full build (event, then rank), so that sums are taken in the same order.
    order = np.lexsort((rank, q))
    return Neighbours(q[order], n[order], rank[order], d2[order], computed.scored_pairs)

"""Fitting the encoder and computing every event's neighbours with their explanations."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from . import columns as c
from .config import AXES, SimilarityConfig
from .distance import axis_d2, haversine_km, shares
from .encoder import build_encoder, columns_of, encode
from .events import Events
from .search import DEFAULT_BLOCK_SIZE, Neighbours, build_search_space, find_neighbours

# Axes searched inside the trees; nature defines the groups (see search.py).
TREE_BLOCKS: tuple[str, ...] = (
    "location",
    "participants",
    "sector",
    "weekend",
    "summer",
    "emprise",
    "duration",
)


@dataclass(frozen=True)
class FittedIndex:
    events: Events
    pipeline: Pipeline
    neighbours: Neighbours


def fit_index(
    events: Events,
    config: SimilarityConfig,
    block_size: int = DEFAULT_BLOCK_SIZE,
    first: int = 0,
    workers: int | None = None,
) -> FittedIndex:
    """Fit the encoder on every event and compute the neighbours of the events at positions ``first``
    and after (canonical order; 0: every event)."""
    pipeline = build_encoder(config, events.natures, events.families)
    pipeline.fit(events.frame)
    X = encode(pipeline, events.frame)
    space = build_search_space(events, X, columns_of(pipeline, TREE_BLOCKS), config)
    neighbours = find_neighbours(events, space, config, block_size=block_size, workers=workers, first=first)
    return FittedIndex(events, pipeline, neighbours)


def explain_pairs(
    events: Events, queries: np.ndarray, neighbours: np.ndarray, config: SimilarityConfig
) -> dict[str, np.ndarray]:
    """Per pair: each axis's local similarity exp(−d_i²) and share of D², and the distance in km."""
    a, b = events.axes.take(queries), events.axes.take(neighbours)
    d2 = axis_d2(a, b, config)
    share = shares(d2, config)
    out: dict[str, np.ndarray] = {}
    for axis in AXES:
        out[f"similarity_{axis}"] = np.exp(-d2[axis])
        out[f"share_{axis}"] = share[axis]
    out["distance_km"] = haversine_km(a.latitude, a.longitude, b.latitude, b.longitude)
    return out


def similarity_frame(
    index: FittedIndex, config: SimilarityConfig, fingerprint: str, snapshot: str
) -> pd.DataFrame:
    """The rows of ``event_similarity``."""
    ev, nb = index.events, index.neighbours
    frame = pd.DataFrame(
        {
            c.EVENT_ID: ev.ids[nb.query],
            "neighbour_event_id": ev.ids[nb.neighbour],
            "rank": nb.rank.astype("int32"),
            "similarity": np.exp(-nb.d2),
            "d2": nb.d2,
        }
    )
    for name, values in explain_pairs(ev, nb.query, nb.neighbour, config).items():
        frame[name] = values
    frame["config_fingerprint"] = fingerprint
    frame["data_snapshot_id"] = snapshot
    return frame


def parameters_frame(config: SimilarityConfig) -> pd.DataFrame:
    """The rows of ``similarity_parameters``: one per axis, with the whole configuration for replay."""
    total = config.total_weight
    return pd.DataFrame(
        [
            {
                "axis": axis,
                "position": position,
                "weight": config.weight(axis),
                "weight_share": config.weight(axis) / total,
                "scale": config.scale(axis),
                "description_fr": config.axes[axis].description_fr,
                "description_en": config.axes[axis].description_en,
                "k": config.k,
                "risk_outcome": config.risk_outcome,
                "config_json": config.canonical_json(),
                "config_fingerprint": config.fingerprint,
            }
            for position, axis in enumerate(AXES, start=1)
        ]
    )

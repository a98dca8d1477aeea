"""The backtest: how well neighbours forecast what happened, against two simple baselines.

For every event of the last ``backtest_days`` days of data that took place, each method forecasts each
outcome from events that took place and started strictly before it:
- ``similarity_index``: the similarity-weighted mean over its k neighbours (the index's forecast);
- ``same_nature_mean``: the mean over all past events of the same nature;
- ``global_mean``: the mean over all past events.
The three are compared on the same events (those where all three exist), by mean absolute error and
Spearman rank correlation. Every result is stored, including where a baseline wins.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .config import SimilarityConfig
from .events import Events, from_utc_microseconds
from .search import Neighbours

METHODS: tuple[str, ...] = ("similarity_index", "same_nature_mean", "global_mean")
_DAY_US = 86_400_000_000


def neighbour_forecasts(neighbours: Neighbours, Y: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """The index's forecast for each of ``queries`` (positions; NaN rows for events without neighbours):
    Σ w·y / Σ w over its neighbours, w = exp(−D²), skipping missing values."""
    row_of = np.full(len(Y), -1, dtype=np.int64)
    row_of[queries] = np.arange(len(queries))
    rows = row_of[neighbours.query]
    mine = rows >= 0
    rows, weights, values = rows[mine], np.exp(-neighbours.d2[mine]), Y[neighbours.neighbour[mine]]
    known = ~np.isnan(values)
    out = np.full((len(queries), Y.shape[1]), np.nan)
    for j in range(Y.shape[1]):
        w = np.where(known[:, j], weights, 0.0)
        num = np.bincount(rows, weights=w * np.nan_to_num(values[:, j]), minlength=len(queries))
        den = np.bincount(rows, weights=w, minlength=len(queries))
        with np.errstate(invalid="ignore", divide="ignore"):
            out[:, j] = np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
    return out


def past_means(events: Events, Y: np.ndarray, members: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Mean outcome over ``members`` (positions, time-ordered) that started strictly before each query."""
    values = Y[members]
    sums = np.vstack([np.zeros(Y.shape[1]), np.cumsum(np.nan_to_num(values), axis=0)])
    counts = np.vstack([np.zeros(Y.shape[1]), np.cumsum(~np.isnan(values), axis=0)])
    before = np.searchsorted(events.start_us[members], events.start_us[queries], side="left")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(
            counts[before] > 0, sums[before] / np.where(counts[before] > 0, counts[before], 1), np.nan
        )


def evaluation_period(events: Events, days: int) -> tuple[int, int] | None:
    took = events.start_us[events.took_place]
    if not len(took):
        return None
    end = int(took.max())
    return end - days * _DAY_US, end


def evaluate(
    events: Events, neighbours: Neighbours, config: SimilarityConfig, fingerprint: str, snapshot: str
) -> pd.DataFrame:
    """The rows of ``similarity_evaluation``: one per (outcome, method)."""
    outcomes = config.outcomes
    Y = events.outcome_matrix(outcomes)
    period = evaluation_period(events, config.backtest_days)
    rows: list[dict[str, object]] = []
    if period is None:
        return pd.DataFrame(rows, columns=_COLUMNS)
    start, end = period
    targets = np.flatnonzero(events.took_place & (events.start_us >= start))
    pool = np.flatnonzero(events.took_place)
    forecasts = {"similarity_index": neighbour_forecasts(neighbours, Y, targets)}
    forecasts["global_mean"] = past_means(events, Y, pool, targets)
    same_nature = np.full((len(targets), len(outcomes)), np.nan)
    natures = events.axes.nature
    for nature in np.unique(natures[targets]):
        rows_n = np.flatnonzero(natures[targets] == nature)
        same_nature[rows_n] = past_means(events, Y, pool[natures[pool] == nature], targets[rows_n])
    forecasts["same_nature_mean"] = same_nature
    actual = Y[targets]
    for j, outcome in enumerate(outcomes):
        usable = ~np.isnan(actual[:, j])
        for method in METHODS:
            usable &= ~np.isnan(forecasts[method][:, j])
        maes: dict[str, float | None] = {}
        for method in METHODS:
            f, y = forecasts[method][usable, j], actual[usable, j]
            mae = float(np.abs(f - y).mean()) if usable.any() else None
            maes[method] = mae
            rows.append(
                {
                    "outcome": outcome,
                    "method": method,
                    "n_events": int(usable.sum()),
                    "n_period_events": len(targets),
                    "mae": mae,
                    "spearman": _spearman(f, y),
                    "mean_actual": float(y.mean()) if usable.any() else None,
                }
            )
        ranked = sorted((m for m in METHODS if maes[m] is not None), key=lambda m: maes[m])  # type: ignore[arg-type, return-value]
        for row in rows[-len(METHODS) :]:
            method = str(row["method"])
            row["mae_rank"] = ranked.index(method) + 1 if method in ranked else None
            row["index_beats"] = (
                None
                if method == "similarity_index" or maes[method] is None or maes["similarity_index"] is None
                else bool(maes["similarity_index"] < maes[method])  # type: ignore[operator]
            )
    frame = pd.DataFrame(rows)
    frame["period_start"] = from_utc_microseconds(start)
    frame["period_end"] = from_utc_microseconds(end)
    frame["config_fingerprint"] = fingerprint
    frame["data_snapshot_id"] = snapshot
    return frame.reindex(columns=_COLUMNS)


def _spearman(forecast: np.ndarray, actual: np.ndarray) -> float | None:
    """Rank correlation, or None when it is undefined (fewer than 3 events, or a constant series)."""
    if len(forecast) < 3 or np.all(forecast == forecast[0]) or np.all(actual == actual[0]):
        return None
    from scipy.stats import spearmanr  # loaded already by scikit-learn's neighbours

    value = float(spearmanr(forecast, actual).statistic)
    return None if np.isnan(value) else value


_COLUMNS = [
    "outcome",
    "method",
    "n_events",
    "n_period_events",
    "mae",
    "spearman",
    "mean_actual",
    "mae_rank",
    "index_beats",
    "period_start",
    "period_end",
    "config_fingerprint",
    "data_snapshot_id",
]

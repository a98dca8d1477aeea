"""A scikit-learn pipeline that turns an event into a vector whose squared Euclidean distances are D².

Seven axes are encoded exactly:
- participants, emprise, duration: log10(1 + x) / scale, so the squared difference is d_i²;
- nature: one-hot nature × 1/2 next to one-hot family × 1/2. Two different natures of one family
  differ in two nature coordinates: 2 × (1/2)² = 0.5 = (√0.5)²; of two families, in two more family
  coordinates as well: 0.5 + 0.5 = 1;
- sector: one-hot × 1/√2 (two coordinates differ: 2 × 1/2 = 1); weekend, summer: 0/1.
Each axis block is multiplied by √(w_i / Σ w) (ColumnTransformer's ``transformer_weights``).

Location is the one axis no Euclidean embedding can reproduce exactly: great-circle distances are not
Euclidean. We embed each point on a sphere of radius R / scale (R the Earth's radius); the distance
between two embedded points is then the chord 2R·sin(θ/2), which is *never more* than the great-circle
distance Rθ and at city scale is less by a relative θ²/24 (under 10⁻⁶ across 40 km). The encoded
squared distance is thus a guaranteed lower bound of D², tight to about 10⁻⁶: the search uses it to
find candidates and re-scores them with the exact formulas, and stops only once no unseen event can
have a lower bound below the k-th exact D² (``search.py``). The result is exact, not approximate.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder

from . import columns as c
from .config import SimilarityConfig
from .distance import EARTH_RADIUS_KM

SECTORS = tuple(range(1, 9))


class SphereEmbedding(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """(latitude, longitude) in degrees → 3-D point on a sphere of radius R / scale_km.

    The points are centred on the fitted data's mean so that the coordinates stay small (tens of
    units): squared distances computed as |x|² + |y|² − 2x·y then lose no precision."""

    def __init__(self, scale_km: float = 1.0) -> None:
        self.scale_km = scale_km

    def _raw(self, X: Any) -> np.ndarray:
        values = np.asarray(X, dtype="float64")
        lat, lon = np.radians(values[:, 0]), np.radians(values[:, 1])
        radius = EARTH_RADIUS_KM / self.scale_km
        return np.column_stack(
            (radius * np.cos(lat) * np.cos(lon), radius * np.cos(lat) * np.sin(lon), radius * np.sin(lat))
        )

    def fit(self, X: Any, y: Any = None) -> SphereEmbedding:
        raw = self._raw(X)
        self.centre_ = raw.mean(axis=0) if len(raw) else np.zeros(3)
        self.n_features_in_ = 2
        return self

    def transform(self, X: Any) -> np.ndarray:
        return self._raw(X) - self.centre_

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.array(["sphere_x", "sphere_y", "sphere_z"], dtype=object)


def _log_scaled(X: Any, scale: float) -> np.ndarray:
    return np.log10(1.0 + np.asarray(X, dtype="float64")) / scale


def _times(X: Any, factor: float) -> np.ndarray:
    return np.asarray(X, dtype="float64") * factor


def _as_float(X: Any) -> np.ndarray:
    return np.asarray(X, dtype="float64")


def _one_hot(categories: list[Any], factor: float) -> Pipeline:
    return Pipeline(
        [
            ("one_hot", OneHotEncoder(categories=[categories], handle_unknown="ignore", sparse_output=False)),
            (
                "scale",
                FunctionTransformer(_times, kw_args={"factor": factor}, feature_names_out="one-to-one"),
            ),
        ]
    )


def _log_axis(scale: float) -> FunctionTransformer:
    return FunctionTransformer(_log_scaled, kw_args={"scale": scale}, feature_names_out="one-to-one")


def build_encoder(config: SimilarityConfig, natures: tuple[str, ...], families: tuple[str, ...]) -> Pipeline:
    """The (unfitted) pipeline for this configuration and nature vocabulary.

    An unknown nature or family encodes as zeros, which keeps the encoded distance a lower bound of D²
    (0.25 or 0.75 instead of 0.5 or 1): the exact re-scoring still finds the true neighbours."""
    total = config.total_weight

    def weight(axis: str) -> float:
        return math.sqrt(config.weight(axis) / total)

    columns = ColumnTransformer(
        [
            ("location", SphereEmbedding(config.scale("location")), [c.LATITUDE, c.LONGITUDE]),
            ("participants", _log_axis(config.scale("participants")), [c.PARTICIPANTS]),
            ("nature", _one_hot(list(natures), 0.5), [c.NATURE]),
            ("family", _one_hot(list(families), 0.5), [c.NATURE_FAMILY]),
            ("sector", _one_hot(list(SECTORS), math.sqrt(0.5)), [c.SECTOR]),
            ("weekend", FunctionTransformer(_as_float, feature_names_out="one-to-one"), [c.IS_WEEKEND]),
            ("summer", FunctionTransformer(_as_float, feature_names_out="one-to-one"), [c.IS_SUMMER]),
            ("emprise", _log_axis(config.scale("emprise")), [c.EMPRISE_M2]),
            ("duration", _log_axis(config.scale("duration")), [c.DURATION_HOURS]),
        ],
        transformer_weights={
            "location": weight("location"),
            "participants": weight("participants"),
            "nature": weight("nature"),
            "family": weight("nature"),
            "sector": weight("sector"),
            "weekend": weight("weekend"),
            "summer": weight("summer"),
            "emprise": weight("emprise"),
            "duration": weight("duration"),
        },
        sparse_threshold=0.0,
        remainder="drop",
    )
    return Pipeline([("encode", columns)])


ENCODER_INPUTS: tuple[str, ...] = (
    c.LATITUDE,
    c.LONGITUDE,
    c.PARTICIPANTS,
    c.NATURE,
    c.NATURE_FAMILY,
    c.SECTOR,
    c.IS_WEEKEND,
    c.IS_SUMMER,
    c.EMPRISE_M2,
    c.DURATION_HOURS,
)


def encode(pipeline: Pipeline, frame: pd.DataFrame) -> np.ndarray:
    return np.ascontiguousarray(pipeline.transform(frame.loc[:, list(ENCODER_INPUTS)]), dtype="float64")


def columns_of(pipeline: Pipeline, blocks: tuple[str, ...]) -> np.ndarray:
    """Positions, in the encoded vector, of the named transformer blocks (e.g. "location")."""
    slices = pipeline.named_steps["encode"].output_indices_
    return np.concatenate([np.arange(slices[name].start, slices[name].stop) for name in blocks])

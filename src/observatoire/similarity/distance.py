"""The exact distance formulas of DESIGN §5: the single reference every search result is scored with.

Every operation is element-wise and summed in a fixed order, so a pair gets bit-identical values
whichever batch it is computed in; ties in D² are therefore real ties and the tie rule decides them.
"""

from __future__ import annotations

import numpy as np

from .config import AXES, SimilarityConfig
from .events import AxisArrays

# Mean Earth radius (IUGG), km: the great-circle distance of the location axis.
EARTH_RADIUS_KM = 6371.0088
# D² is rounded to this many decimals before ordering, so that floating-point noise far below any
# meaningful difference never decides between two neighbours: the tie rule does.
ORDER_DECIMALS = 12
_HALF = 0.5


def haversine_km(
    lat_a: np.ndarray | float, lon_a: np.ndarray | float, lat_b: np.ndarray | float, lon_b: np.ndarray | float
) -> np.ndarray:
    phi_a, phi_b = np.radians(lat_a), np.radians(lat_b)
    dphi = phi_b - phi_a
    dlambda = np.radians(lon_b) - np.radians(lon_a)
    h = np.sin(dphi * 0.5) ** 2 + np.cos(phi_a) * np.cos(phi_b) * np.sin(dlambda * 0.5) ** 2
    return np.asarray(2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))))


def axis_d2(a: AxisArrays, b: AxisArrays, config: SimilarityConfig) -> dict[str, np.ndarray]:
    """Squared axis distances d_i² between a and b (broadcast element-wise)."""
    location = haversine_km(a.latitude, a.longitude, b.latitude, b.longitude) / config.scale("location")
    participants = (a.log_participants - b.log_participants) / config.scale("participants")
    emprise = (a.log_emprise - b.log_emprise) / config.scale("emprise")
    duration = (a.log_duration - b.log_duration) / config.scale("duration")
    same_nature = a.nature == b.nature
    same_family = a.family == b.family
    nature = np.where(same_nature, 0.0, np.where(same_family, _HALF, 1.0))
    return {
        "location": location * location,
        "participants": participants * participants,
        "nature": nature,
        "sector": (a.sector != b.sector).astype("float64"),
        "weekend": (a.weekend != b.weekend).astype("float64"),
        "summer": (a.summer != b.summer).astype("float64"),
        "emprise": emprise * emprise,
        "duration": duration * duration,
    }


def weighted_terms(d2: dict[str, np.ndarray], config: SimilarityConfig) -> dict[str, np.ndarray]:
    """w_i d_i² per axis."""
    return {axis: config.weight(axis) * d2[axis] for axis in AXES}


def global_d2(d2: dict[str, np.ndarray], config: SimilarityConfig) -> np.ndarray:
    """D² = Σ w_i d_i² / Σ w_i, summed in the fixed axis order."""
    terms = weighted_terms(d2, config)
    total = np.zeros(np.broadcast(*terms.values()).shape)
    for axis in AXES:
        total = total + terms[axis]
    return total / config.total_weight


def shares(d2: dict[str, np.ndarray], config: SimilarityConfig) -> dict[str, np.ndarray]:
    """Each axis's share of D²: w_i d_i² / Σ w_j d_j².

    When D² = 0 (the events agree on every axis) no axis explains anything; the shares are then the
    weights' shares w_i / Σ w_j, so that they still sum to 1 and say what *would* count most."""
    terms = weighted_terms(d2, config)
    total = np.zeros(np.broadcast(*terms.values()).shape)
    for axis in AXES:
        total = total + terms[axis]
    zero = total <= 0.0
    safe = np.where(zero, 1.0, total)
    return {
        axis: np.where(zero, config.weight(axis) / config.total_weight, terms[axis] / safe) for axis in AXES
    }


def order_key(d2: np.ndarray) -> np.ndarray:
    return np.round(d2, ORDER_DECIMALS)

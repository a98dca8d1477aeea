"""The axis formulas of DESIGN §5, and the encoder whose squared distances are D²."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from observatoire.similarity import columns as c
from observatoire.similarity.config import AXES, SimilarityConfig
from observatoire.similarity.distance import axis_d2, global_d2, haversine_km, shares
from observatoire.similarity.encoder import build_encoder, encode
from observatoire.similarity.events import events_from_frame

from .synthetic import synthetic_frame


def _event(**overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        c.EVENT_ID: "a",
        c.NATURE: "concert",
        c.NATURE_FAMILY: "spectacle_vivant",
        c.PLACE_NAME: "X",
        c.LATITUDE: 43.30,
        c.LONGITUDE: 5.38,
        c.SECTOR: 1,
        c.STARTS_AT: pd.Timestamp("2024-06-01 20:00", tz="UTC"),
        c.DURATION_HOURS: 3.0,
        c.PARTICIPANTS: 1000,
        c.EMPRISE_M2: 500.0,
        c.EMPRISE_IMPUTED: False,
        c.IS_WEEKEND: True,
        c.IS_SUMMER: True,
        c.TOOK_PLACE: True,
    }
    row.update(overrides)
    return row


def _pair(b: dict[str, object], config: SimilarityConfig) -> dict[str, float]:
    events = events_from_frame(pd.DataFrame([_event(), {**_event(), **b, c.EVENT_ID: "b"}]))
    d2 = axis_d2(events.axes.take(0), events.axes.take(1), config)
    return {axis: float(v[0]) for axis, v in d2.items()}


def test_each_axis_matches_design(config: SimilarityConfig) -> None:
    d = _pair({c.PARTICIPANTS: 99, c.EMPRISE_M2: 4999.0, c.DURATION_HOURS: 1.0}, config)
    assert d["participants"] == pytest.approx(((math.log10(1001) - math.log10(100)) / 0.5) ** 2)
    assert d["emprise"] == pytest.approx(((math.log10(501) - math.log10(5000)) / 0.5) ** 2)
    assert d["duration"] == pytest.approx(((math.log10(4) - math.log10(2)) / 0.3) ** 2)
    assert d["nature"] == 0 and d["sector"] == 0 and d["weekend"] == 0 and d["summer"] == 0
    assert _pair({c.NATURE: "festival"}, config)["nature"] == pytest.approx(0.5)  # same family: (√0.5)²
    assert _pair({c.NATURE: "marche", c.NATURE_FAMILY: "commerce"}, config)["nature"] == 1.0
    flags = _pair({c.SECTOR: 4, c.IS_WEEKEND: False, c.IS_SUMMER: False}, config)
    assert (flags["sector"], flags["weekend"], flags["summer"]) == (1.0, 1.0, 1.0)


def test_location_is_great_circle_km(config: SimilarityConfig) -> None:
    # One degree of latitude is 111.19 km on the mean-radius sphere.
    assert haversine_km(np.array([43.0]), np.array([5.0]), np.array([44.0]), np.array([5.0]))[
        0
    ] == pytest.approx(111.195, abs=0.01)
    d = _pair({c.LATITUDE: 43.31}, config)
    assert math.sqrt(d["location"]) == pytest.approx(1.1119, abs=1e-3)  # km / scale 1.0
    doubled = config.canonical()
    doubled["axes"]["location"]["scale"] = 2.0
    from observatoire.similarity.config import config_from_dict

    d2 = _pair({c.LATITUDE: 43.31}, config_from_dict(doubled))
    assert d2["location"] == pytest.approx(d["location"] / 4)


def test_global_d2_is_weighted_mean(config: SimilarityConfig) -> None:
    d = _pair({c.NATURE: "marche", c.NATURE_FAMILY: "commerce", c.IS_WEEKEND: False}, config)
    expected = (3 * 1.0 + 1 * 1.0) / 12
    terms = {axis: np.array([value]) for axis, value in d.items()}
    assert global_d2(terms, config)[0] == pytest.approx(expected)
    assert math.exp(-global_d2(terms, config)[0]) == pytest.approx(
        math.prod(math.exp(-d[a]) ** (config.weight(a) / 12) for a in AXES)
    )


def test_shares_sum_to_one_including_identical_events(config: SimilarityConfig) -> None:
    events = events_from_frame(synthetic_frame(400, seed=5))
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 400, 2000), rng.integers(0, 400, 2000)
    a[:50] = b[:50]  # identical pairs: D² = 0
    s = shares(axis_d2(events.axes.take(a), events.axes.take(b), config), config)
    total = sum(s[axis] for axis in AXES)
    assert np.allclose(total, 1.0)
    assert all((s[axis] >= 0).all() for axis in AXES)
    # 0/0: the shares of the weights.
    assert s["nature"][0] == pytest.approx(3 / 12)


def test_encoded_distance_is_a_tight_lower_bound_of_d2(config: SimilarityConfig) -> None:
    events = events_from_frame(synthetic_frame(600, seed=2))
    pipeline = build_encoder(config, events.natures, events.families).fit(events.frame)
    X = encode(pipeline, events.frame)
    rng = np.random.default_rng(1)
    a, b = rng.integers(0, 600, 5000), rng.integers(0, 600, 5000)
    encoded = ((X[a] - X[b]) ** 2).sum(axis=1)
    d2_axes = axis_d2(events.axes.take(a), events.axes.take(b), config)
    exact = global_d2(d2_axes, config)
    assert (encoded <= exact + 1e-12).all()
    # Only the location term differs (chord vs great circle): relative error below 1e-6 at city scale.
    location_term = config.weight("location") * d2_axes["location"] / config.total_weight
    assert np.all(exact - encoded <= 1e-6 * location_term + 1e-12)
    # Without the location axis the encoding is exact.
    no_location = config.with_weights(location=0)
    pipeline = build_encoder(no_location, events.natures, events.families).fit(events.frame)
    X = encode(pipeline, events.frame)
    encoded = ((X[a] - X[b]) ** 2).sum(axis=1)
    assert np.allclose(
        encoded,
        global_d2(axis_d2(events.axes.take(a), events.axes.take(b), no_location), no_location),
        rtol=0,
        atol=1e-12,
    )

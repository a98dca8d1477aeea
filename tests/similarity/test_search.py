"""The neighbour search is exact: same neighbours, same order, ties as DESIGN §5 says."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from observatoire.similarity import columns as c
from observatoire.similarity.config import SimilarityConfig
from observatoire.similarity.events import events_from_frame
from observatoire.similarity.index import fit_index

from .reference import brute_force
from .synthetic import FAMILIES, synthetic_frame


def _as_lists(index, k: int) -> dict[str, list[tuple[str, float]]]:  # type: ignore[no-untyped-def]
    ev, nb = index.events, index.neighbours
    out: dict[str, list[tuple[str, float]]] = {str(i): [] for i in ev.ids}
    for q, n, rank, d2 in zip(nb.query, nb.neighbour, nb.rank, nb.d2, strict=True):
        assert rank == len(out[str(ev.ids[q])]) + 1
        out[str(ev.ids[q])].append((str(ev.ids[n]), float(d2)))
    return out


def _assert_same(index, reference) -> None:  # type: ignore[no-untyped-def]
    got = _as_lists(index, 0)
    assert set(got) == set(reference)
    for event_id, expected in reference.items():
        assert [n for n, _ in got[event_id]] == [n for n, _ in expected], event_id
        assert np.allclose([d for _, d in got[event_id]], [d for _, d in expected], rtol=0, atol=1e-12)


@pytest.mark.parametrize(("n", "seed", "block_size"), [(300, 1, 32), (400, 2, 2048), (250, 3, 17)])
def test_search_equals_brute_force_with_ties(
    config: SimilarityConfig, n: int, seed: int, block_size: int
) -> None:
    # 30% exact duplicates (same axes, half of them at the same start): ties on D² and on start.
    frame = synthetic_frame(n, seed=seed, years=1.0, duplicates=0.3)
    events = events_from_frame(frame)
    index = fit_index(events, config, block_size=block_size)
    _assert_same(index, brute_force(events, config, config.k))


def test_ties_prefer_later_start_then_event_id(config: SimilarityConfig) -> None:
    """Identical events: the later ones first, and among equal starts the smaller event id."""
    base = synthetic_frame(1, seed=0, duplicates=0).iloc[0].to_dict()
    starts = [
        "2024-01-01 10:00",
        "2024-01-02 10:00",
        "2024-01-02 10:00",
        "2024-01-03 10:00",
        "2024-01-04 10:00",
    ]
    ids = ["e1", "e3", "e2", "e4", "q"]
    rows = [
        {**base, c.EVENT_ID: i, c.STARTS_AT: pd.Timestamp(s, tz="UTC"), c.TOOK_PLACE: True}
        for i, s in zip(ids, starts, strict=True)
    ]
    events = events_from_frame(pd.DataFrame(rows))
    index = fit_index(events, config.with_k(3))
    got = _as_lists(index, 3)
    assert [n for n, _ in got["q"]] == ["e4", "e2", "e3"]
    assert [n for n, _ in got["e4"]] == ["e2", "e3", "e1"]
    assert got["e1"] == []  # nothing started before
    assert [n for n, _ in got["e2"]] == ["e1"]  # e3 starts at the same time: not "before"


def test_only_events_that_took_place_are_neighbours(config: SimilarityConfig) -> None:
    frame = synthetic_frame(300, seed=4)
    events = events_from_frame(frame)
    index = fit_index(events, config, block_size=50)
    assert events.took_place[index.neighbours.neighbour].all()
    assert (~events.took_place).any()


def test_changing_a_weight_moves_rankings_the_expected_way(config: SimilarityConfig) -> None:
    """A same-nature event far away vs a different-nature event next door."""
    base = synthetic_frame(1, seed=0, duplicates=0).iloc[0].to_dict()
    base.update(
        {c.NATURE: "concert", c.NATURE_FAMILY: "spectacle_vivant", c.LATITUDE: 43.30, c.LONGITUDE: 5.38}
    )
    rows = [
        {
            **base,
            c.EVENT_ID: "same_nature_far",
            c.LATITUDE: 43.32,
            c.STARTS_AT: pd.Timestamp("2024-01-01", tz="UTC"),
        },
        {
            **base,
            c.EVENT_ID: "other_nature_near",
            c.NATURE: "marche",
            c.NATURE_FAMILY: "commerce",
            c.STARTS_AT: pd.Timestamp("2024-01-02", tz="UTC"),
        },
        {**base, c.EVENT_ID: "q", c.STARTS_AT: pd.Timestamp("2024-01-03", tz="UTC")},
    ]
    for row in rows:
        row[c.TOOK_PLACE] = True

    def first(cfg: SimilarityConfig) -> str:
        got = _as_lists(fit_index(events_from_frame(pd.DataFrame(rows)), cfg), 2)
        return got["q"][0][0]

    assert first(config.with_weights(nature=10, location=1)) == "same_nature_far"
    assert first(config.with_weights(nature=1, location=10)) == "other_nature_near"
    # Monotonic: raising the nature weight never lowers the same-nature event's similarity rank.
    ranks = []
    for weight in (0.5, 1, 2, 3, 5, 8):
        got = _as_lists(
            fit_index(events_from_frame(pd.DataFrame(rows)), config.with_weights(nature=weight)), 2
        )
        ranks.append([n for n, _ in got["q"]].index("same_nature_far"))
    assert ranks == sorted(ranks, reverse=True)


_STARTS = pd.date_range("2024-01-01", periods=8, freq="D", tz="UTC")


@st.composite
def _frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(min_value=1, max_value=25))
    natures = list(FAMILIES)
    rows = []
    for i in range(n):
        nature = draw(st.sampled_from(natures[:4]))
        rows.append(
            {
                c.EVENT_ID: f"e{i:03d}",
                c.NATURE: nature,
                c.NATURE_FAMILY: FAMILIES[nature],
                c.PLACE_NAME: None,
                c.LATITUDE: draw(st.sampled_from([43.29, 43.30, 43.31])),
                c.LONGITUDE: draw(st.sampled_from([5.37, 5.38])),
                c.SECTOR: draw(st.integers(1, 3)),
                c.STARTS_AT: draw(st.sampled_from(list(_STARTS))),
                c.DURATION_HOURS: draw(st.sampled_from([1.0, 2.0, 5.0])),
                c.PARTICIPANTS: draw(st.sampled_from([0, 100, 1000])),
                c.EMPRISE_M2: draw(st.sampled_from([10.0, 500.0])),
                c.EMPRISE_IMPUTED: False,
                c.IS_WEEKEND: draw(st.booleans()),
                c.IS_SUMMER: draw(st.booleans()),
                c.TOOK_PLACE: draw(st.booleans()),
            }
        )
    return pd.DataFrame(rows)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    frame=_frames(),
    block_size=st.integers(min_value=1, max_value=12),
    k=st.integers(min_value=1, max_value=6),
)
def test_no_neighbour_starts_at_or_after_its_event(
    config: SimilarityConfig, frame: pd.DataFrame, block_size: int, k: int
) -> None:
    events = events_from_frame(frame)
    cfg = config.with_k(k)
    index = fit_index(events, cfg, block_size=block_size)
    nb = index.neighbours
    assert (events.start_us[nb.neighbour] < events.start_us[nb.query]).all()
    assert events.took_place[nb.neighbour].all()
    # As many neighbours as there are eligible past events, up to k; and exactly the brute-force ones.
    counts = np.bincount(nb.query, minlength=len(events))
    for i in range(len(events)):
        eligible = int((events.took_place & (events.start_us < events.start_us[i])).sum())
        assert counts[i] == min(k, eligible)
    _assert_same(index, brute_force(events, cfg, k))


# --- Edge cases of the search (segments of trees holding later events, k-NN completeness, steps) ---


def _check(frame: pd.DataFrame, cfg: SimilarityConfig, **kwargs: object) -> None:
    events = events_from_frame(frame)
    _assert_same(fit_index(events, cfg, **kwargs), brute_force(events, cfg, cfg.k))  # type: ignore[arg-type]


@pytest.mark.parametrize("block_size", [16, 2048])
def test_many_events_share_few_start_times(config: SimilarityConfig, block_size: int) -> None:
    """Hundreds of events on six start times: "strictly before" excludes whole batches of equal starts."""
    frame = synthetic_frame(400, seed=12, years=1.0, duplicates=0.3)
    starts = pd.date_range("2024-03-01 10:00", periods=6, freq="7D", tz="UTC")
    frame[c.STARTS_AT] = starts[np.random.default_rng(3).integers(0, 6, len(frame))]
    _check(frame, config, block_size=block_size)


def test_natures_with_fewer_than_k_earlier_events(config: SimilarityConfig) -> None:
    """A nature that appears late and rarely: its own k-NN cannot give k events (every nature is asked)."""
    frame = synthetic_frame(500, seed=13, years=2.0, duplicates=0.1)
    late = frame[c.STARTS_AT] > frame[c.STARTS_AT].quantile(0.8)
    rare = frame.index[late][:4]
    frame.loc[rare, c.NATURE] = "ceremonie"
    frame.loc[rare, c.NATURE_FAMILY] = "ceremonie"
    frame = frame[(frame[c.NATURE] != "ceremonie") | frame.index.isin(rare)]
    _check(frame, config, block_size=64)
    _check(frame, config.with_k(25), block_size=64)


def test_ties_at_the_kth_neighbour(config: SimilarityConfig) -> None:
    """Sixty identical past events: the k-th D² is shared by all of them, the tie rule picks among them."""
    base = synthetic_frame(1, seed=0, duplicates=0).iloc[0].to_dict()
    rows = [
        {
            **base,
            c.EVENT_ID: f"twin{i:02d}",
            c.STARTS_AT: pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(hours=i % 20),
            c.TOOK_PLACE: True,
        }
        for i in range(60)
    ]
    others = synthetic_frame(200, seed=14, years=0.2, duplicates=0.0)
    frame = pd.concat([pd.DataFrame(rows), others], ignore_index=True)
    _check(frame, config, block_size=32)
    _check(frame, config.with_k(3), block_size=2048)


@pytest.mark.parametrize("ratio", [1.05, 3.0])
def test_segment_ratio_does_not_change_the_result(config: SimilarityConfig, ratio: float) -> None:
    from observatoire.similarity.encoder import build_encoder, columns_of, encode
    from observatoire.similarity.index import TREE_BLOCKS
    from observatoire.similarity.search import build_search_space, find_neighbours

    events = events_from_frame(synthetic_frame(350, seed=15, years=1.0, duplicates=0.2))
    pipeline = build_encoder(config, events.natures, events.families).fit(events.frame)
    space = build_search_space(
        events, encode(pipeline, events.frame), columns_of(pipeline, TREE_BLOCKS), config
    )
    got = find_neighbours(events, space, config, block_size=8, ratio=ratio)
    expected = fit_index(events, config).neighbours
    for name in ("query", "neighbour", "rank", "d2"):
        assert np.array_equal(getattr(got, name), getattr(expected, name)), name


def test_nature_weight_zero_and_a_nature_in_two_families(config: SimilarityConfig) -> None:
    frame = synthetic_frame(300, seed=16, years=1.0, duplicates=0.2)
    # Dirty data: one nature reported under two families (same nature: nature distance 0 all the same).
    frame.loc[frame.index[::7], c.NATURE] = "concert"
    frame.loc[frame.index[::14], c.NATURE_FAMILY] = "fete"
    _check(frame, config, block_size=40)
    _check(frame, config.with_weights(nature=0), block_size=40)


def test_only_events_from_first_on_and_threads_change_nothing(config: SimilarityConfig) -> None:
    events = events_from_frame(synthetic_frame(3000, seed=17, years=3.0))
    whole = fit_index(events, config, workers=2).neighbours
    alone = fit_index(events, config, workers=1).neighbours
    later = fit_index(events, config, first=2200, workers=2).neighbours
    since = whole.query >= 2200
    for name in ("query", "neighbour", "rank", "d2"):
        assert np.array_equal(getattr(whole, name), getattr(alone, name)), name
        assert np.array_equal(getattr(whole, name)[since], getattr(later, name)), name
    assert later.scored_pairs < whole.scored_pairs


def test_larger_sample_equals_brute_force(config: SimilarityConfig) -> None:
    """1,500 events over two years with duplicates: several segments, steps 1 to 4 all used."""
    _check(synthetic_frame(1500, seed=18, years=2.0, duplicates=0.15), config, block_size=256)

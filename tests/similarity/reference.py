"""A brute-force reference for the neighbour search: every pair, plain Python ordering."""

from __future__ import annotations

import numpy as np

from observatoire.similarity.config import SimilarityConfig
from observatoire.similarity.distance import ORDER_DECIMALS, axis_d2, global_d2
from observatoire.similarity.events import Events


def brute_force(events: Events, config: SimilarityConfig, k: int) -> dict[str, list[tuple[str, float]]]:
    """For each event id: [(neighbour id, D²)] by D², later start first, then event id."""
    n = len(events)
    answer: dict[str, list[tuple[str, float]]] = {}
    for i in range(n):
        eligible = [j for j in range(n) if events.took_place[j] and events.start_us[j] < events.start_us[i]]
        if not eligible:
            answer[str(events.ids[i])] = []
            continue
        idx = np.array(eligible)
        d2 = global_d2(axis_d2(events.axes.take(np.full(len(idx), i)), events.axes.take(idx), config), config)
        ranked = sorted(
            zip(idx.tolist(), d2.tolist(), strict=True),
            key=lambda pair: (
                round(pair[1], ORDER_DECIMALS),
                -int(events.start_us[pair[0]]),
                str(events.ids[pair[0]]),
            ),
        )
        answer[str(events.ids[i])] = [(str(events.ids[j]), d) for j, d in ranked[:k]]
    return answer

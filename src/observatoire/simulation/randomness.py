"""Scalar random draws for the event model.

The event model makes hundreds of thousands of scalar draws; ``numpy.random.Generator`` costs about a
microsecond per scalar call, Python's ``random.Random`` a tenth of that. ``Draws`` therefore seeds a
``random.Random`` from the stage's numpy generator (so everything still derives from the one seed) and
keeps the numpy generator for the rare array draws.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import TypeVar

import numpy as np

T = TypeVar("T")


class Draws:
    """Reproducible scalar draws derived from one seeded numpy generator."""

    def __init__(self, generator: np.random.Generator) -> None:
        self.generator = generator
        self._random = random.Random(int(generator.integers(0, 2**62)))

    def uniform(self, low: float, high: float) -> float:
        return self._random.uniform(low, high)

    def integer(self, low: int, high_inclusive: int) -> int:
        return self._random.randint(low, high_inclusive)

    def chance(self, probability: float) -> bool:
        return self._random.random() < probability

    def pick(self, items: Sequence[T]) -> T:
        return items[self._random.randrange(len(items))]

    def pick_weighted(self, items: Sequence[T], weights: Sequence[float]) -> T:
        return self._random.choices(items, weights=weights, k=1)[0]

    def shuffle(self, items: list[T]) -> None:
        self._random.shuffle(items)

    def poisson(self, mean: float) -> int:
        if mean <= 0:
            return 0
        if mean < 30:
            # Knuth's multiplication method: exact and fast for small means.
            limit, product, count = math.exp(-mean), self._random.random(), 0
            while product > limit:
                product *= self._random.random()
                count += 1
            return count
        return int(self.generator.poisson(mean))

    def lognormal_factor(self, sigma: float) -> float:
        """A multiplicative noise of median 1."""
        return math.exp(self._random.gauss(0.0, sigma))

    def normal(self, mean: float, sigma: float) -> float:
        return self._random.gauss(mean, sigma)

    def scaled_count(self, yearly_mean: float, scale: float, fraction_of_year: float) -> int:
        """How many occurrences of a kind of record this year, for the scale and period covered."""
        return self.poisson(yearly_mean * scale * fraction_of_year)

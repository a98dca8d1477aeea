"""Exact k-nearest *past* neighbours of every event.

The encoded squared distance |x_a − x_b|² (``encoder.py``) is a lower bound of D², tight to ~10⁻⁶
(only the location axis differs: chord instead of great circle). The nature axis is taken out of the
encoding and handled exactly through *groups* (one group per nature): for an event q of group G and an
event e of group g, ``group_cost[G, g]`` is the nature part of D² (0, same family, other family), and
with t the encoding without the nature coordinates,

    lower_bound(q, e) = group_cost[G, g] + |t_q − t_e|²  <=  D²(q, e).

**Time.** Events are in canonical order (start, event id). They are cut into *segments* of growing
size; the trees of a segment [b, e) hold every event that took place among positions [0, e), are built
once (on first use) and serve every query of the segment. A tree may thus hold events that start at
or after a query (at most ``1 − 1/ratio`` of it): they are dropped from every answer by start time,
which is what "started strictly before" means. Trees are built over Σ e ≈ n·ratio/(ratio − 1) events
in all, instead of once per block of queries.

**Per query q** (the queries of a segment are processed in independent blocks, on threads; inside a
block they are taken in an order that keeps close queries together, for the CPU caches):
1. *Own nature*: a k-NN query in the KD-tree of q's nature; the events that started before q are
   scored exactly and τ is the k-th D² among them. The nature's part is complete when the last
   neighbour's lower bound exceeds τ (no unseen event of the nature can beat or tie the k-th);
   otherwise one radius query at τ completes it, or, with fewer than k found, a larger k-NN.
2. A nature with fewer than k past events gives no τ: a k-NN over every nature gives one.
3. *Same family*: a radius query in the ball tree of each other nature of q's family, radius² =
   τ − group cost; τ becomes the k-th D² among everything scored so far.
4. *Other families*: their nature part of D² is one constant c (the nature weight's share); one ball
   tree over every nature is asked for radius² = τ − c, keeping the events of other families.
τ only ever is the k-th D² of a set of eligible events, so it is ≥ the true k-th D². Every event that
could be in the top k, or tie with the k-th, has lower_bound ≤ true D² ≤ τ, so it is among those
scored, and no pair is scored twice: the result is exact by construction, ties included (smaller
rounded D² first, then later start, then event id).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from sklearn.neighbors import BallTree, KDTree
from threadpoolctl import threadpool_limits

from .config import SimilarityConfig
from .distance import axis_d2, global_d2, order_key
from .events import Events

# Far above floating-point error of the encoded bound (≈1e-12), far below any meaningful difference.
LOWER_BOUND_SLACK = 1e-9
# Most queries per block (the unit of work of a thread; larger blocks keep more close queries together).
DEFAULT_BLOCK_SIZE = 8192
# Events in the first time segment (at most the block size).
_FIRST_SEGMENT = 2048
# Each segment ends at ``ratio`` × its start: trees hold at most 1 − 1/ratio of not-yet-started events.
DEFAULT_SEGMENT_RATIO = 1.6
# Measured fastest here (16 coordinates, 8 of them the one-hot sector): ball trees with small leaves
# for radius queries, KD-trees with larger leaves for k-NN queries.
_LEAF_SIZE = 4
_KD_LEAF_SIZE = 40
_INF = float("inf")
# Extra neighbours asked of a k-NN beyond k (and beyond the share of not-yet-started events).
_KNN_MARGIN = 3
# Blocks smaller than this keep their queries in time order (reordering them would not pay).
_LOCALITY_MIN = 64


@dataclass(frozen=True)
class Neighbours:
    """Flat (event, neighbour) pairs ordered by event then rank; positions refer to ``Events``."""

    query: np.ndarray
    neighbour: np.ndarray
    rank: np.ndarray
    d2: np.ndarray
    scored_pairs: int = 0


@dataclass(frozen=True)
class SearchSpace:
    """The encoded events arranged for the search."""

    tree_coords: np.ndarray
    """The encoding without the nature coordinates (its squared distances + group cost ≤ D²)."""
    group: np.ndarray
    """Each event's nature group."""
    group_cost: np.ndarray
    """group_cost[G, g]: the nature part of D² between groups G and g."""
    other_family_cost: float
    """The nature part of D² between two natures of different families: the largest there is."""
    near: np.ndarray
    """near[G, g]: g is another group than G with a smaller cost (a nature of the same family)."""


def nature_groups(events: Events, config: SimilarityConfig) -> tuple[np.ndarray, np.ndarray]:
    """Each event's group (its nature) and the nature part of D² between groups."""
    a = events.axes
    keys = np.column_stack((a.nature, a.family))
    uniques, group = np.unique(keys, axis=0, return_inverse=True)
    same_nature = uniques[:, None, 0] == uniques[None, :, 0]
    same_family = uniques[:, None, 1] == uniques[None, :, 1]
    d2 = np.where(same_nature, 0.0, np.where(same_family, 0.5, 1.0))
    cost = config.weight("nature") * d2 / config.total_weight
    return group.ravel().astype(np.int64), cost


def build_search_space(
    events: Events, X: np.ndarray, tree_columns: np.ndarray, config: SimilarityConfig
) -> SearchSpace:
    group, cost = nature_groups(events, config)
    other = config.weight("nature") / config.total_weight
    return SearchSpace(
        tree_coords=np.ascontiguousarray(X[:, tree_columns], dtype="float64"),
        group=group,
        group_cost=cost,
        other_family_cost=other,
        near=(cost < other) & ~np.eye(len(cost), dtype=bool),
    )


def segment_bounds(n: int, first: int, ratio: float = DEFAULT_SEGMENT_RATIO) -> list[tuple[int, int]]:
    """Consecutive segments [b, e) of positions: the first of ``first`` events, then e ≈ ratio × b."""
    bounds: list[tuple[int, int]] = []
    begin = 0
    first = max(1, int(first))
    while begin < n:
        end = min(n, max(begin + first, int(np.ceil(begin * ratio))))
        bounds.append((begin, end))
        begin = end
    return bounds


def block_bounds(begin: int, end: int, block_size: int, workers: int = 1) -> Iterator[tuple[int, int]]:
    """[begin, end) in equal blocks of at most ``block_size``, and at least one per worker."""
    parts = max(min(workers, end - begin), -(-(end - begin) // max(1, int(block_size))), 1)
    cuts = np.linspace(begin, end, parts + 1).round().astype(int)
    for start, stop in zip(cuts[:-1], cuts[1:], strict=True):
        if stop > start:
            yield int(start), int(stop)


def exact_d2(
    events: Events, queries: np.ndarray, candidates: np.ndarray, config: SimilarityConfig
) -> np.ndarray:
    """D² of (query, candidate) pairs with the formulas of ``distance.py`` (bit-identical in any batch)."""
    return global_d2(axis_d2(events.axes.take(queries), events.axes.take(candidates), config), config)


def top_k(
    events: Events, rows: np.ndarray, candidates: np.ndarray, d2: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The k best of scored (row, candidate) pairs per row, ordered by row then rank.

    ``rows`` are small non-negative integers, with the rows in the order of their queries. The order
    is DESIGN §5's: D² (rounded, so that noise far below any meaningful difference does not decide),
    then later start first, then event id (positions follow (start, id)). No pair may come twice.
    """
    key = order_key(d2)
    if not len(rows):
        return rows, candidates, np.empty(0, np.int64), d2
    # Only pairs up to each row's k-th key (ties included) can be kept: the full ordering is for them.
    keep = key <= kth_value(rows, key, int(rows.max()) + 1, k)[rows]
    rows, candidates, d2, key = rows[keep], candidates[keep], d2[keep], key[keep]
    order = np.lexsort((candidates, -events.start_us[candidates], key, rows))
    rows, candidates, d2 = rows[order], candidates[order], d2[order]
    rank = _rank_within(rows)
    keep = rank <= k
    return rows[keep], candidates[keep], rank[keep], d2[keep]


def _rank_within(sorted_keys: np.ndarray) -> np.ndarray:
    """1, 2, 3… within each run of equal values of a sorted array."""
    if not len(sorted_keys):
        return np.empty(0, np.int64)
    first = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]
    run_start = np.maximum.accumulate(np.where(first, np.arange(len(sorted_keys)), 0))
    return np.arange(len(sorted_keys)) - run_start + 1


def _by_row_then_value(rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The permutation sorting by row, then value (rows: small non-negative integers).

    Two single-key sorts: a stable radix sort of 16-bit rows after a sort of the values measured five
    times faster than ``np.lexsort`` here."""
    by_value = np.argsort(values)
    narrow = rows.astype(np.int16) if len(rows) and int(rows.max()) < 2**15 else rows
    return by_value[np.argsort(narrow[by_value], kind="stable")]


def kth_value(rows: np.ndarray, values: np.ndarray, n_rows: int, k: int) -> np.ndarray:
    """Per row (0..n_rows-1), the k-th smallest of its values; +inf for rows with fewer than k."""
    out = np.full(n_rows, _INF)
    if not len(rows):
        return out
    order = _by_row_then_value(rows, values)
    r, v = rows[order], values[order]
    at_k = _rank_within(r) == k
    out[r[at_k]] = v[at_k]
    return out


class _Trees:
    """The trees of one segment, over the events that took place in [0, end): per nature, a KD-tree
    for k-NN queries and a ball tree for radius queries (they measured fastest at each), and a ball
    tree over every nature. Ball trees are built on first use (from any thread)."""

    def __init__(self, space: SearchSpace, pool: np.ndarray, end: int) -> None:
        self.space = space
        self.members = pool[: np.searchsorted(pool, end)]
        groups = space.group[self.members]
        order = np.argsort(groups, kind="stable")
        cuts = np.searchsorted(groups[order], np.arange(space.group_cost.shape[0] + 1))
        self.of_group: dict[int, np.ndarray] = {}
        for g in range(space.group_cost.shape[0]):
            members = self.members[order[cuts[g] : cuts[g + 1]]]
            if len(members):
                self.of_group[g] = members
        self._nearest: dict[int, KDTree] = {}
        self._radius: dict[int, BallTree] = {}
        self._all: BallTree | None = None
        self._lock = threading.Lock()

    def nearest(self, g: int) -> KDTree:
        with self._lock:
            if g not in self._nearest:
                self._nearest[g] = KDTree(self.space.tree_coords[self.of_group[g]], leaf_size=_KD_LEAF_SIZE)
            return self._nearest[g]

    def radius(self, g: int) -> BallTree:
        with self._lock:
            if g not in self._radius:
                self._radius[g] = BallTree(self.space.tree_coords[self.of_group[g]], leaf_size=_LEAF_SIZE)
            return self._radius[g]

    def all_natures(self) -> tuple[BallTree, np.ndarray]:
        with self._lock:
            if self._all is None:
                self._all = BallTree(self.space.tree_coords[self.members], leaf_size=_LEAF_SIZE)
            return self._all, self.members


@dataclass
class _Pairs:
    """Scored (query, candidate) pairs gathered for one block."""

    q: list[np.ndarray] = field(default_factory=list)
    c: list[np.ndarray] = field(default_factory=list)
    d2: list[np.ndarray] = field(default_factory=list)

    def add(self, q: np.ndarray, c: np.ndarray, d2: np.ndarray) -> None:
        self.q.append(q)
        self.c.append(c)
        self.d2.append(d2)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not self.q:
            empty = np.empty(0, np.int64)
            return empty, empty, np.empty(0)
        return np.concatenate(self.q), np.concatenate(self.c), np.concatenate(self.d2)


class _Block:
    """The search for the queries [begin, end) of one segment."""

    def __init__(
        self,
        events: Events,
        space: SearchSpace,
        trees: _Trees,
        begin: int,
        end: int,
        config: SimilarityConfig,
        k: int,
    ) -> None:
        self.events, self.space, self.trees, self.config, self.k = events, space, trees, config, k
        queries = np.arange(begin, end, dtype=np.int64)
        if len(queries) > _LOCALITY_MIN:
            # Queries that are close in space, asked one after the other, find the tree nodes they need
            # still in cache: order them as a tree over them stores them (≈30% faster here).
            queries = queries[KDTree(space.tree_coords[queries], leaf_size=_LEAF_SIZE).get_arrays()[1]]
        self.queries, self.begin = queries, begin
        self.groups = space.group[self.queries]
        # The trees hold the events of [0, tree_end): about (tree_end − begin) / tree_end of a k-NN
        # started too late for the block's first query. Ask enough for k (and a margin) to remain.
        tree_end = int(trees.members[-1]) + 1 if len(trees.members) else end
        spare = k + _KNN_MARGIN
        self.k_first = spare if begin == 0 else min(int(np.ceil(spare * tree_end / begin)), 4 * spare)
        self.scored = 0
        self.pairs = _Pairs()

    def _valid(self, rows: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """Candidate started strictly before its query (rows: positions in the block)."""
        starts = self.events.start_us
        return np.asarray(starts[candidates] < starts[self.queries[rows]])

    def _score(self, rows: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        self.scored += len(rows)
        return exact_d2(self.events, self.queries[rows], candidates, self.config)

    def _radius(
        self, rows: np.ndarray, radius2: np.ndarray, tree: BallTree | KDTree, members: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(row, candidate) of every tree member within the radius that started before the query."""
        use = radius2 >= 0.0
        rows, radius2 = rows[use], radius2[use]
        if not len(rows):
            empty = np.empty(0, np.int64)
            return empty, empty
        found = tree.query_radius(self.space.tree_coords[self.queries[rows]], r=np.sqrt(radius2))
        counts = np.fromiter((len(f) for f in found), dtype=np.int64, count=len(found))
        r = np.repeat(rows, counts)
        cand = members[np.concatenate(found)] if counts.sum() else np.empty(0, np.int64)
        valid = self._valid(r, cand)
        return r[valid], cand[valid]

    def _knn(
        self, rows: np.ndarray, tree: BallTree | KDTree, members: np.ndarray, k_query: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
        """The nearest ``k_query`` tree members of each row, kept if they started before it: (row,
        candidate) flat, the largest lower bound per row, and whether the tree is exhausted."""
        k_query = min(k_query, len(members))
        dist, ind = tree.query(self.space.tree_coords[self.queries[rows]], k=k_query)
        cand = members[ind]
        r, col = np.nonzero(self._valid(rows[:, None], cand))
        return rows[r], cand[r, col], dist[:, -1] ** 2, k_query == len(members)

    def _own_nature(self, tau: np.ndarray) -> None:
        """Step 1: every event of the query's own nature with D² ≤ τ_own, where τ_own (written to
        ``tau``) is the k-th D² among them (+inf when the nature has fewer than k past events)."""
        for g in np.unique(self.groups):
            if int(g) not in self.trees.of_group:
                continue  # no past event of this nature: nothing to find, τ stays +inf
            tree, members = self.trees.nearest(int(g)), self.trees.of_group[int(g)]
            pending, k_query = np.flatnonzero(self.groups == g), self.k_first
            while len(pending):
                r, cand, last, exhausted = self._knn(pending, tree, members, k_query)
                d2 = self._score(r, cand)
                at = np.searchsorted(pending, r)
                kth = kth_value(at, d2, len(pending), self.k)
                # Complete: no unseen member can have D² ≤ the k-th found (its bound is ≥ the last one's).
                complete = (last > kth + LOWER_BOUND_SLACK) | exhausted
                keep = complete[at]
                self.pairs.add(r[keep], cand[keep], d2[keep])
                tau[pending[complete]] = kth[complete]
                # Incomplete with k found: one radius query at that k-th D² is certain to be complete.
                redo = pending[~complete & np.isfinite(kth)]
                if len(redo):
                    limit = kth[np.searchsorted(pending, redo)] + LOWER_BOUND_SLACK
                    rr, rc = self._radius(redo, limit, self.trees.radius(int(g)), members)
                    rd2 = self._score(rr, rc)
                    self.pairs.add(rr, rc, rd2)
                    tau[redo] = kth_value(rr, rd2, len(self.queries), self.k)[redo]
                # Fewer than k found among the nearest: ask for more.
                pending = pending[~complete & np.isinf(kth)]
                k_query *= 4

    def _seed_any_nature(self, rows: np.ndarray) -> np.ndarray:
        """An upper bound of the k-th D² from the nearest events of every nature (+inf: fewer than k)."""
        tree, members = self.trees.all_natures()
        tau = np.full(len(rows), _INF)
        pending, k_query = np.arange(len(rows)), self.k_first
        while len(pending):
            r, cand, _, exhausted = self._knn(rows[pending], tree, members, k_query)
            at = np.searchsorted(rows, r)
            kth = kth_value(np.searchsorted(pending, at), self._score(r, cand), len(pending), self.k)
            tau[pending] = kth
            if exhausted:
                break
            pending = pending[np.isinf(kth)]
            k_query *= 4
        return tau

    def search(self) -> tuple[tuple[np.ndarray, ...], int]:
        space, n_rows = self.space, len(self.queries)
        if not len(self.trees.members):
            empty = np.empty(0, np.int64)
            return (empty, empty, empty, np.empty(0)), 0
        tau = np.full(n_rows, _INF)
        self._own_nature(tau)
        # Step 2: a nature with fewer than k past events gives no bound; ask every nature for one.
        unbounded = np.flatnonzero(np.isinf(tau))
        if len(unbounded):
            tau[unbounded] = self._seed_any_nature(unbounded)
        # Step 3: the other natures of the query's family (every group nearer than another family).
        for g, members in self.trees.of_group.items():
            rows = np.flatnonzero(space.near[self.groups, g])
            limit = tau[rows] + LOWER_BOUND_SLACK - space.group_cost[self.groups[rows], g]
            if (limit >= 0.0).any():
                r, cand = self._radius(rows, limit, self.trees.radius(g), members)
                self.pairs.add(r, cand, self._score(r, cand))
        r, _, d2 = self.pairs.arrays()
        tau = np.minimum(tau, kth_value(r, d2, n_rows, self.k))
        # Step 4: every other family, at one constant nature cost, in one tree of every nature (the
        # events of the groups of steps 1 and 3 it finds again are left out).
        limit = tau + LOWER_BOUND_SLACK - space.other_family_cost
        rows = np.flatnonzero(limit >= 0.0)
        if len(rows):
            tree, members = self.trees.all_natures()
            r, cand = self._radius(rows, limit[rows], tree, members)
            g_query, g_cand = self.groups[r], space.group[cand]
            other = (g_cand != g_query) & ~space.near[g_query, g_cand]
            r, cand = r[other], cand[other]
            self.pairs.add(r, cand, self._score(r, cand))
        r, cand, d2 = self.pairs.arrays()
        local, cand, rank, d2 = top_k(self.events, self.queries[r] - self.begin, cand, d2, self.k)
        return (local + self.begin, cand, rank, d2), self.scored


def find_neighbours(
    events: Events,
    space: SearchSpace,
    config: SimilarityConfig,
    k: int | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE,
    workers: int | None = None,
    ratio: float = DEFAULT_SEGMENT_RATIO,
    first: int = 0,
) -> Neighbours:
    """The k nearest past neighbours (took place, started strictly before) of the events at positions
    ``first`` and after (the earlier ones' are not computed: see the incremental build)."""
    k = k or config.k
    pool = np.flatnonzero(events.took_place)
    workers = max(1, min(workers or os.cpu_count() or 1, 8))
    parts: list[tuple[np.ndarray, ...]] = []
    scored = 0
    # Blocks are independent: they run on threads (the tree queries and numpy release the GIL), with
    # BLAS kept to one thread each so that the two levels of parallelism do not fight.
    with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(max_workers=workers) as pool_exec:
        executor_map = pool_exec.map if workers > 1 else map
        for begin, end in segment_bounds(len(events), min(block_size, _FIRST_SEGMENT), ratio):
            if end <= first:
                continue
            trees = _Trees(space, pool, end)

            def run(bounds: tuple[int, int], trees: _Trees = trees) -> tuple[tuple[np.ndarray, ...], int]:
                return _Block(events, space, trees, bounds[0], bounds[1], config, k).search()

            for top, n_scored in executor_map(run, block_bounds(max(begin, first), end, block_size, workers)):
                parts.append(top)
                scored += n_scored
    if not parts:
        empty = np.empty(0, np.int64)
        return Neighbours(empty, empty, empty, np.empty(0))
    return Neighbours(
        query=np.concatenate([p[0] for p in parts]),
        neighbour=np.concatenate([p[1] for p in parts]),
        rank=np.concatenate([p[2] for p in parts]),
        d2=np.concatenate([p[3] for p in parts]),
        scored_pairs=scored,
    )

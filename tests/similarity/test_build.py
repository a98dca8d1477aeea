"""The materialised tables, their atomic replacement, the artefact and the backtest."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pytest

from observatoire.similarity.build import BuildResult, build_similarity_index
from observatoire.similarity.config import AXES
from observatoire.similarity.storage import load_artefact

from .synthetic import synthetic_frame, write_warehouse


def _fetch(path: Path, sql: str) -> list[tuple]:  # type: ignore[type-arg]
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_tables_and_shares(built_warehouse: tuple[Path, BuildResult]) -> None:
    warehouse, result = built_warehouse
    rows = _fetch(
        warehouse,
        "SELECT count(*), count(DISTINCT config_fingerprint), count(DISTINCT data_snapshot_id), "
        "max(rank) FROM marts.event_similarity",
    )
    assert rows[0] == (result.pairs, 1, 1, 10)
    share_sum = " + ".join(f"share_{a}" for a in AXES)
    worst = _fetch(warehouse, f"SELECT max(abs(({share_sum}) - 1)) FROM marts.event_similarity")[0][0]
    assert worst < 1e-9
    # similarity = exp(-D²) = product of local similarities ^ (w_i / Σw)
    check = _fetch(
        warehouse,
        "SELECT similarity, d2, similarity_location, similarity_nature FROM marts.event_similarity LIMIT 50",
    )
    for similarity, d2, *_ in check:
        assert similarity == pytest.approx(np.exp(-d2))
    params = _fetch(
        warehouse,
        "SELECT axis, weight, scale, config_fingerprint FROM marts.similarity_parameters ORDER BY position",
    )
    assert [p[0] for p in params] == list(AXES)
    assert [p[1] for p in params] == [2, 2, 3, 1, 1, 1, 1, 1]
    assert {p[3] for p in params} == {result.config_fingerprint}


def test_evaluation_reports_every_method_and_outcome(built_warehouse: tuple[Path, BuildResult]) -> None:
    warehouse, _ = built_warehouse
    rows = _fetch(
        warehouse, "SELECT outcome, method, n_events, mae, mae_rank FROM marts.similarity_evaluation"
    )
    methods = {(r[0], r[1]) for r in rows}
    outcomes = {r[0] for r in rows}
    assert len(outcomes) == 16 and len(methods) == 48
    assert all(r[2] > 0 and r[3] is not None for r in rows)
    for outcome in outcomes:
        assert sorted(r[4] for r in rows if r[0] == outcome) == [1, 2, 3]


def test_rebuild_replaces_tables_atomically_and_saves_artefact(tmp_path: Path) -> None:
    warehouse = write_warehouse(tmp_path / "warehouse.duckdb", synthetic_frame(300, seed=8))
    first = build_similarity_index(warehouse)
    second = build_similarity_index(warehouse)
    assert first.data_snapshot_id == second.data_snapshot_id
    tables = _fetch(
        warehouse, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts' ORDER BY 1"
    )
    assert [t[0] for t in tables] == [
        "dim_nature",
        "dim_place",
        "event_similarity",
        "fct_event",
        "similarity_evaluation",
        "similarity_parameters",
    ]
    assert _fetch(warehouse, "SELECT count(*) FROM marts.event_similarity")[0][0] == second.pairs
    artefact = load_artefact(second.artefact)
    assert artefact["config_fingerprint"] == second.config_fingerprint
    assert artefact["data_snapshot_id"] == second.data_snapshot_id
    assert {"scikit-learn", "numpy", "duckdb", "observatoire"} <= set(artefact["versions"])
    assert artefact["pipeline"].transform(synthetic_frame(3, seed=1)).shape[0] == 3

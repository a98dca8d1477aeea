"""The planned-event query: agreement with the table, errors, risk score, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from observatoire.cli import main
from observatoire.errors import BadInput
from observatoire.similarity import columns as c
from observatoire.similarity.build import BuildResult
from observatoire.similarity.query import PlannedEvent, query_planned_event, risk_score


def test_query_agrees_with_table_for_existing_events(built_warehouse: tuple[Path, BuildResult]) -> None:
    warehouse, _ = built_warehouse
    with duckdb.connect(str(warehouse), read_only=True) as con:
        events = (
            con.execute(
                f"SELECT *, epoch_us({c.STARTS_AT}) AS us FROM marts.fct_event ORDER BY {c.STARTS_AT} DESC LIMIT 200"
            )
            .fetchdf()
            .sample(8, random_state=1)
        )
        table = con.execute(
            "SELECT event_id, neighbour_event_id, rank, d2 FROM marts.event_similarity"
        ).fetchdf()
    for _, e in events.iterrows():
        from datetime import UTC, datetime

        planned = PlannedEvent(
            nature=e[c.NATURE],
            starts_at=datetime.fromtimestamp(e["us"] / 1e6, tz=UTC),
            duration_hours=e[c.DURATION_HOURS],
            participants=e[c.PARTICIPANTS],
            latitude=e[c.LATITUDE],
            longitude=e[c.LONGITUDE],
            sector=int(e[c.SECTOR]),
            emprise_m2=e[c.EMPRISE_M2],
        )
        result = query_planned_event(warehouse, planned)
        expected = table[table[c.EVENT_ID] == e[c.EVENT_ID]].sort_values("rank")
        assert [n.event_id for n in result.neighbours] == expected["neighbour_event_id"].tolist()
        assert np.allclose([n.d2 for n in result.neighbours], expected["d2"], rtol=0, atol=1e-12)
        for n in result.neighbours:
            assert sum(a.share_of_d2 for a in n.axes) == pytest.approx(1.0)


def test_unknown_place_and_nature_list_close_matches(built_warehouse: tuple[Path, BuildResult]) -> None:
    warehouse, _ = built_warehouse
    base = dict(starts_at="2026-05-16 21:00", duration_hours=3, participants=60000)
    with pytest.raises(BadInput, match="Orange Vélodrome"):
        query_planned_event(warehouse, PlannedEvent(nature="match_football", place="Orange Velodrom", **base))  # type: ignore[arg-type]
    with pytest.raises(BadInput, match="match_football"):
        query_planned_event(warehouse, PlannedEvent(nature="match_footbal", place="Orange Vélodrome", **base))  # type: ignore[arg-type]
    with pytest.raises(BadInput):
        query_planned_event(
            warehouse,
            PlannedEvent(
                nature="concert",
                place="Vieux-Port",
                starts_at="not a date",
                duration_hours=2,
                participants=10,
            ),
        )


def test_planned_query_forecast_and_risk(built_warehouse: tuple[Path, BuildResult]) -> None:
    warehouse, _ = built_warehouse
    result = query_planned_event(
        warehouse,
        PlannedEvent(
            nature="match_football",
            place="orange velodrome",
            starts_at="2026-05-16 21:00",
            duration_hours=3,
            participants=60000,
        ),
    )
    assert len(result.neighbours) == 10
    assert result.planned.emprise_imputed and result.planned.is_weekend and result.planned.is_summer
    assert result.risk_score is not None and 0 <= result.risk_score <= 10
    weights = np.array([n.similarity for n in result.neighbours])
    values = np.array([n.outcomes["offences_total"] for n in result.neighbours])
    assert result.forecast["offences_total"] == pytest.approx((weights * values).sum() / weights.sum())
    # Before any event: nothing to compare with.
    early = query_planned_event(
        warehouse,
        PlannedEvent(
            nature="concert",
            place="Vieux-Port",
            starts_at="2000-01-01 10:00",
            duration_hours=2,
            participants=100,
            emprise_m2=100,
        ),
    )
    assert early.neighbours == [] and early.risk_score is None


@given(
    forecast=st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    observed=st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=200),
)
def test_risk_score_is_between_0_and_10(forecast: float, observed: list[int]) -> None:
    score, share = risk_score(forecast, np.array(observed, dtype=float))
    assert score is not None and share is not None
    assert 0 <= score <= 10 and 0 <= share <= 1
    if forecast > max(observed):
        assert score == 10
    if forecast < min(observed):
        assert score == 0


def test_cli_similar(built_warehouse: tuple[Path, BuildResult], capsys: pytest.CaptureFixture[str]) -> None:
    warehouse, _ = built_warehouse
    args = [
        "similar",
        "--db",
        str(warehouse),
        "--nature",
        "match_football",
        "--participants",
        "60000",
        "--start",
        "2026-05-16 21:00",
        "--duration",
        "3",
    ]
    assert main([*args, "--place", "Orange Vélodrome", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert len(payload["neighbours"]) == 10 and 0 <= payload["risk_score"] <= 10
    assert main([*args, "--lat", "43.2699", "--lon", "5.3959", "--k", "3", "--lang", "fr"]) == 0
    out = capsys.readouterr().out
    assert "Score de risque" in out and "pourquoi" in out
    assert main([*args, "--place", "Stade Inconnu"]) == 2
    assert "unknown place" in capsys.readouterr().err

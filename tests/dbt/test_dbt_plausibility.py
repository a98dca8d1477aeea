"""fct_event on three years of generated data has plausible figures (slow: generates and builds)."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


def test_build_passes_on_generated_data(generated_build):
    failures = [
        f"{r.node.unique_id}: {r.status} {r.message}"
        for r in generated_build.result.result
        if str(r.status) not in ("success", "pass")
    ]
    assert generated_build.result.success, failures


def test_one_event_per_real_event_roughly(generated_build):
    events = generated_build.query("select count(*) from marts.fct_event")[0][0]
    real = generated_build.query(
        f"select count(*) from read_parquet('{generated_build.partners}/truth/events.parquet') where nature <> 'operation'"
    )[0][0]
    assert 0.95 * real <= events <= 1.05 * real, (events, real)


def test_counts_per_nature_and_year(generated_build):
    rows = generated_build.query(
        "select year(starts_at at time zone 'Europe/Paris') as y, nature, count(*) from marts.fct_event group by all"
    )
    counts = {(y, n): c for y, n, c in rows}
    years = sorted({y for y, _ in counts})
    assert len(years) >= 3
    for year in years:
        # every year has shoots, markets, concerts, demonstrations, official visits and football matches
        for nature, low in (("tournage", 100), ("marche", 50), ("concert", 50), ("manifestation_revendicative", 20),
                            ("visite_officielle", 5), ("match_football", 5)):  # fmt: skip
            assert counts.get((year, nature), 0) >= low, (year, nature, counts.get((year, nature)))
        per_year = sum(c for (y, _), c in counts.items() if y == year)
        assert 500 <= per_year <= 20000, (year, per_year)


def test_outcome_ranges(generated_build):
    (n, neg, big_dev, no_tunnel, max_agents, max_offences, avg_rtm, bad_personnes, bad_axes) = generated_build.query(
        """
        select
            count(*),
            count(*) filter (where least(offences_total, interventions_total, agents_total, rtm_disruptions,
                                         conflict_count, tunnel_incidents, tunnel_closures) < 0),
            count(*) filter (where abs(tunnel_traffic_deviation_pct) > 300),
            count(*) filter (where tunnel_vehicles is null),
            max(agents_total),
            max(offences_total),
            avg(rtm_disruptions),
            count(*) filter (where offences_atteinte_personnes between 1 and 4),  -- zeros are published
            count(*) filter (where participants is null or emprise_m2 is null or duration_hours is null
                             or sector is null or is_weekend is null or is_summer is null or nature is null)
        from marts.fct_event
        """
    )[0]
    assert neg == 0 and bad_personnes == 0 and bad_axes == 0
    assert big_dev <= 0.01 * n
    assert no_tunnel <= 0.2 * n  # tunnel counts cover the period (the first weeks lack a usual level)
    assert 0 < max_agents < 20000
    assert 0 < max_offences < 10000
    assert 0 < avg_rtm < 20
    weekend_share = generated_build.query("select avg(is_weekend::int) from marts.fct_event")[0][0]
    summer_share = generated_build.query("select avg(is_summer::int) from marts.fct_event")[0][0]
    assert 0.15 < weekend_share < 0.6 and 0.35 < summer_share < 0.8

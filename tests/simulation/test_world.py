"""Realism of the drawn world over a whole year, and the signal the outcome model puts in it."""

from __future__ import annotations

import math
from collections import Counter
from datetime import date
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from observatoire.geography import VENUES, in_marseille
from observatoire.simulation.baselines import police_activity
from observatoire.simulation.calendar import last_sunday
from observatoire.simulation.generator import World, draw_world
from observatoire.simulation.places import STREETS
from observatoire.simulation.world import HAPPENED, RealEvent

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(scope="module")
def year_2024() -> World:
    return draw_world(date(2024, 1, 1), date(2024, 12, 31), seed=2024, scale=1.0)


def _local(event: RealEvent) -> date:
    return event.start.astimezone(PARIS).date()


def test_om_home_matches_follow_the_season(year_2024: World) -> None:
    matches = [e for e in year_2024.events if e.kind == "om_match"]
    assert 15 <= len(matches) <= 22
    for match in matches:
        day = _local(match)
        assert match.place == "Orange Vélodrome"
        assert day.weekday() in (5, 6), day
        assert day.month not in (6, 7), day
        assert not (day.month == 8 and day.day < 8)
        assert 17 <= match.start.astimezone(PARIS).hour <= 21
        assert 50000 <= match.participants <= 67394
    days = sorted(_local(m) for m in matches)
    # About every other weekend: never two home games within five days.
    assert all((b - a).days >= 6 for a, b in zip(days, days[1:], strict=False))


def test_calendar_fixtures_are_on_their_days(year_2024: World) -> None:
    by_kind: dict[str, list[RealEvent]] = {}
    for event in year_2024.events:
        by_kind.setdefault(event.kind, []).append(event)
    assert {_local(e) for e in by_kind["fete_musique"]} == {date(2024, 6, 21)}
    (fireworks,) = by_kind["fireworks_14_july"]
    assert _local(fireworks) == date(2024, 7, 14) and fireworks.place.startswith("Vieux-Port")
    assert fireworks.start.astimezone(PARIS).hour == 22
    (cassis,) = by_kind["marseille_cassis"]
    assert _local(cassis) == last_sunday(2024, 10)
    (marathon,) = by_kind["marathon"]
    assert _local(marathon).weekday() == 6 and _local(marathon).month in (3, 4)
    (pride,) = by_kind["pride"]
    assert _local(pride).month == 7 and _local(pride).day <= 7 and _local(pride).weekday() == 5
    (santons,) = by_kind["santons_fair"]
    assert date(2024, 11, 14) <= _local(santons) <= date(2024, 11, 22)
    assert santons.end.astimezone(PARIS).date() == date(2024, 12, 31)
    ceremonies = {_local(e) for e in by_kind["ceremony"]}
    assert {
        date(2024, 5, 8),
        date(2024, 11, 11),
        date(2024, 7, 14),
        date(2024, 8, 15),
        date(2024, 8, 28),
    } <= ceremonies
    markets = by_kind["market"]
    assert len(markets) > 300 and all(
        _local(e).weekday() < 6 or e.place.startswith(("Marché aux puces", "Vieux")) for e in markets
    )


def test_demonstrations_come_in_waves_on_the_classic_route(year_2024: World) -> None:
    waves = [e for e in year_2024.events if e.kind == "wave"]
    assert len(waves) >= 3
    for cortege in waves:
        assert cortege.place == "Vieux-Port (Quai des Belges)"
        assert cortege.arrival is not None and cortege.arrival[0].startswith("Porte d'Aix")
        assert 5000 <= cortege.participants <= 50000 * 1.01
    gatherings = [e for e in year_2024.events if e.kind == "gathering"]
    assert Counter(e.place for e in gatherings).most_common(1)[0][0] == "Préfecture (Place Félix-Baret)"
    statuses = Counter(e.status for e in year_2024.events if e.nature in ("manifestation", "rassemblement"))
    assert (
        statuses["forbidden"] > 0
        and statuses["cancelled"] > 0
        and statuses[HAPPENED] > 0.8 * sum(statuses.values())
    )


def test_events_are_in_marseille_in_the_right_arrondissement(year_2024: World) -> None:
    places = {v.name: v.arrondissement for v in VENUES} | {s.name: s.arrondissement for s in STREETS}
    for event in year_2024.events:
        assert in_marseille(event.latitude, event.longitude)[0], event
        assert places[event.place] == event.arrondissement, event
    for record in year_2024.reporter.deliveries.city_events:
        assert places[record["lieu"]] == record["arrondissement"]


def test_about_ten_thousand_event_records_a_year(year_2024: World) -> None:
    deliveries = year_2024.reporter.deliveries
    unique_prefecture = sum(
        len({r[next(iter(r))] for _, r in rows}) for rows in deliveries.prefecture.values()
    )
    total = (
        len(deliveries.city_events)
        + len(deliveries.traffic_orders)
        + unique_prefecture
        + len(deliveries.rtm)
        + len(deliveries.datatourisme)
        + len(deliveries.closures)
        + len(deliveries.tunnel_incidents)
    )
    assert 8500 <= total <= 12000, total
    half = draw_world(date(2024, 1, 1), date(2024, 12, 31), seed=2024, scale=0.5).reporter.deliveries
    assert len(half.city_events) < 0.7 * len(deliveries.city_events)


def test_one_real_event_is_reported_by_several_partners(year_2024: World) -> None:
    links = year_2024.reporter.deliveries.truth_links
    by_event: dict[str, set[tuple[str, str]]] = {}
    for link in links:
        if link["true_event_id"] is not None:
            by_event.setdefault(link["true_event_id"], set()).add((link["partner"], link["dataset"]))
    kinds = {e.true_id: e.kind for e in year_2024.events}
    big_corteges = [e for e in year_2024.events if e.kind == "wave" and e.status == HAPPENED]
    for cortege in big_corteges:
        reported = by_event[cortege.true_id]
        assert {("prefecture", "manifestations"), ("ville", "arretes_circulation"), ("metropole", "perturbations_rtm"),
                ("prefecture", "operations_programmees")} <= reported  # fmt: skip
    festivals = [
        t for t, k in kinds.items() if k == "festival" and ("ville", "evenements") in by_event.get(t, set())
    ]
    assert sum(("metropole", "datatourisme_poi") in by_event[t] for t in festivals) > 0.5 * len(festivals)
    om = [t for t, k in kinds.items() if k == "om_match"]
    assert all({("ville", "evenements"), ("ville", "arretes_circulation")} <= by_event[t] for t in om)
    # Every order made for a city event points at that event's city record.
    city_ids = {r["id"] for r in year_2024.reporter.deliveries.city_events}
    orders = year_2024.reporter.deliveries.traffic_orders
    assert all(o["evenement_id"] in city_ids for o in orders if o["evenement_id"] is not None)
    assert sum(o["evenement_id"] is not None for o in orders) > 500


def test_latent_outcomes_carry_signal(year_2024: World) -> None:
    pairs = [
        (e, lat) for e, lat in zip(year_2024.events, year_2024.latents, strict=True) if e.status == HAPPENED
    ]
    log_size = np.array([math.log1p(e.participants) for e, _ in pairs])
    expected = np.array([lat.expected_incidents for _, lat in pairs])
    assert np.corrcoef(log_size, np.log1p(expected))[0, 1] > 0.6

    def mean_of(nature: str) -> float:
        return float(np.mean([lat.expected_incidents for e, lat in pairs if e.nature == nature]))

    assert mean_of("match_football") > 5 * mean_of("concert") > 5 * mean_of("tournage")
    uplifts = {e.kind: lat.tunnel_uplift for e, lat in pairs}
    assert uplifts["om_match"] > 0.05 and uplifts.get("shoot", 0.0) == 0.0
    refused = [
        lat for e, lat in zip(year_2024.events, year_2024.latents, strict=True) if e.status != HAPPENED
    ]
    assert refused and all(lat.incidents == 0 for lat in refused)


def test_police_activity_rises_around_om_matches(year_2024: World) -> None:
    world = year_2024
    from observatoire.simulation.baselines import Period

    period = Period(date(2024, 1, 1), date(2024, 3, 31))
    kept = [i for i, e in enumerate(world.events) if _local(e) <= period.end]
    events = [world.events[i] for i in kept]
    latents = [world.latents[i] for i in kept]
    frame, extra_facts, _ = police_activity(period, 1.0, np.random.default_rng(0), events, latents)
    assert extra_facts.sum() > 0
    matches = [e for e in events if e.kind == "om_match"]
    assert matches
    from observatoire.geography import cell_corners

    northing, easting = cell_corners(matches[0].latitude, matches[0].longitude)
    near = frame["carreau"].str.slice(15, 22).astype(int).sub(int(northing[0])).abs().le(400) & frame[
        "carreau"
    ].str.slice(23, 30).astype(int).sub(int(easting[0])).abs().le(400)
    origin = period.first_hour_utc
    match_hours: set[int] = set()
    for match in matches:
        first = int((match.start - origin).total_seconds() // 3600)
        match_hours |= set(range(first - 1, first + 4))
    in_match = frame["hour_index"].isin(match_hours)
    per_match_hour = frame.loc[near & in_match, "nb_interventions"].sum() / len(match_hours)
    same_hours_other_days = {h + 24 * k for h in match_hours for k in (-7, 7)} - match_hours
    per_other_hour = frame.loc[
        near & frame["hour_index"].isin(same_hours_other_days), "nb_interventions"
    ].sum() / len(same_hours_other_days)
    assert per_match_hour > 4 * max(per_other_hour, 0.1)

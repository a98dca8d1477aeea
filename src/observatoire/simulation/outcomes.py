"""The outcome model: what an event does to the city, drawn from documented latent values.

For every real event that takes place (not refused, cancelled or forbidden) the generator draws:

``risk`` u
    a hidden multiplicative "how rowdy is this one" factor, log-normal with median 1 and σ = 0.35.
    It is what makes two similar events differ, and the truth keeps it so that an evaluation can
    separate the predictable part from the noise.

``expected_incidents`` λ
    ``λ = exp(a[nature] + 0.55·ln(1 + P/100) + 0.25·weekend + 0.20·summer + 0.30·evening + 0.20·centre)
    · (min(duration_h, 24) / 4)^0.4 · u``
    with P the true participants, ``weekend`` = Saturday, Sunday or public holiday (Europe/Paris),
    ``summer`` = April–September, ``evening`` = ends after 21:00 local or after midnight, ``centre`` =
    sectors 1 and 2. The number of extra municipal-police occurrences is Poisson(λ). Each occurrence
    falls in the hour window [start − 1 h, end + 2 h], in a 200 m cell drawn around the venue (normal
    offset, σ = 250 m; along the route for a cortège), in a category drawn from the nature's mix
    (:data:`CATEGORY_MIX`); it is one intervention by 2-3 agents and records a fact with the category's
    probability (:data:`FACT_PROBABILITY`).

``presence_agents``
    events of 500 participants or more get a planned municipal-police presence in the venue's cell:
    ``round((2 + 3·log10(1 + P/500))·√u)`` agents each hour of [start − 1 h, end + 1 h] (10:00-21:00 only for
    events longer than 12 h), delivered as rows with agents but no fact and no intervention.

``prefecture_staff``
    staff of the linked Préfecture operation (and a cortège's ``EFFECTIFS_FDO``):
    ``round((10 + 4·√P)·f[nature]·√u)``.

``tunnel_uplift`` m
    relative extra traffic in the Prado-Carénage tunnel, both directions, around the event:
    ``m = 0.25 · exp(−d/1 km) · log10(1 + P)/4.8 · √u`` (×1.5 for football), only for P ≥ 1,000, capped at
    0.5, where d is the distance to the nearest portal. It applies to the 6-minute counts from 1.5 h before
    the start to 0.5 h after it and from 15 min before the end to 1.5 h after it (the whole window for a
    cortège); occupancy follows the volume and the mean speed drops by 2·m. An uplift above 5 % also
    logs a ``CONGESTION`` incident with probability min(0.9, 5·m).

``rtm_disruptions``
    cortèges of 1,000 or more: 1 + Poisson(P/12,000), cause ``manifestation``; other events of 3,000 or
    more: Poisson(0.3 + P/20,000), cause ``evenement``; on the lines of the stops nearest the venue, from
    30 min before the start to 1 h after the end.

Baselines (``baselines.py``) add the ordinary activity with daily, weekly and seasonal cycles; an
event's outcome is what the warehouse measures near it minus that usual level.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..geography import sector_of
from .calendar import PARIS, is_public_holiday
from .places import tunnel_distance_km
from .randomness import Draws
from .world import HAPPENED, RealEvent

# a[nature]: the log-intensity of extra incidents per nature.
NATURE_INTENSITY: dict[str, float] = {
    "match_football": 0.55,
    "match_autre": -0.2,
    "concert": -0.1,
    "festival": 0.1,
    "spectacle": -0.5,
    "fete_populaire": 0.3,
    "feu_artifice": 0.4,
    "course": -0.6,
    "marche": -0.6,
    "foire": -0.4,
    "brocante": -0.7,
    "tournage": -1.5,
    "ceremonie": -1.0,
    "manifestation": 0.8,
    "rassemblement": 0.3,
    "visite_officielle": -0.5,
    "operation": -0.3,
    "exposition": -2.5,
}

_FESTIVE = (0.20, 0.15, 0.40, 0.05, 0.10, 0.10)
_TRADE = (0.35, 0.05, 0.15, 0.10, 0.30, 0.05)
_TRAFFIC = (0.10, 0.05, 0.25, 0.30, 0.25, 0.05)
CATEGORY_MIX: dict[str, tuple[float, ...]] = {
    "match_football": (0.15, 0.20, 0.35, 0.10, 0.15, 0.05),
    "concert": _FESTIVE,
    "festival": _FESTIVE,
    "fete_populaire": _FESTIVE,
    "feu_artifice": _FESTIVE,
    "manifestation": (0.25, 0.15, 0.35, 0.20, 0.00, 0.05),
    "rassemblement": (0.20, 0.10, 0.45, 0.20, 0.00, 0.05),
    "marche": _TRADE,
    "brocante": _TRADE,
    "foire": _TRADE,
}
DEFAULT_CATEGORY_MIX = _TRAFFIC
FACT_PROBABILITY = (0.9, 0.95, 0.5, 0.6, 0.95, 0.7)

# f[nature] in the Préfecture staff formula.
STAFF_FACTOR: dict[str, float] = {
    "match_football": 1.5,
    "manifestation": 1.2,
    "rassemblement": 1.0,
    "feu_artifice": 1.2,
}
VISIT_STAFF: dict[str, int] = {
    "CHEF_ETAT": 900,
    "CHEF_GOUVERNEMENT": 400,
    "MINISTRE": 120,
    "DELEGATION_ETRANGERE": 150,
    "AUTRE": 40,
}

RISK_SIGMA = 0.35


@dataclass(frozen=True)
class Latent:
    risk: float
    expected_incidents: float
    incidents: int
    presence_agents: int
    prefecture_staff: int
    tunnel_uplift: float
    rtm_disruptions: int


NO_OUTCOME = Latent(1.0, 0.0, 0, 0, 0, 0.0, 0)


def is_evening(event: RealEvent) -> bool:
    local_end = event.end.astimezone(PARIS)
    return local_end.hour >= 21 or local_end.date() > event.local_start.date()


def draw_latent(event: RealEvent, draws: Draws) -> Latent:
    """The latent outcome values of one event (see the module docstring for every formula)."""
    risk = draws.lognormal_factor(RISK_SIGMA)  # drawn for every event so that the stream stays aligned
    if event.status != HAPPENED:
        return NO_OUTCOME
    participants = event.participants
    local_day = event.local_start.date()
    weekend = local_day.weekday() >= 5 or is_public_holiday(local_day)
    summer = 4 <= local_day.month <= 9
    centre = sector_of(event.arrondissement) in (1, 2)
    log_intensity = (
        NATURE_INTENSITY.get(event.nature, -0.5)
        + 0.55 * math.log1p(participants / 100.0)
        + 0.25 * weekend
        + 0.20 * summer
        + 0.30 * is_evening(event)
        + 0.20 * centre
    )
    duration_factor = (min(event.duration_hours, 24.0) / 4.0) ** 0.4
    expected = math.exp(log_intensity) * duration_factor * risk
    incidents = draws.poisson(expected)

    presence = 0
    if participants >= 500 and event.nature != "exposition":
        presence = round((2 + 3 * math.log10(1 + participants / 500.0)) * math.sqrt(risk))

    if event.nature == "visite_officielle":
        staff = round(VISIT_STAFF.get(event.visit_level or "AUTRE", 40) * math.sqrt(risk))
    elif event.nature == "operation":
        staff = round(draws.uniform(20, 80) * math.sqrt(risk))
    else:
        staff = round(
            (10 + 4 * math.sqrt(participants)) * STAFF_FACTOR.get(event.nature, 1.0) * math.sqrt(risk)
        )

    uplift = 0.0
    if participants >= 1000 and event.nature != "exposition":
        proximity = math.exp(-tunnel_distance_km(event.latitude, event.longitude) / 1.0)
        uplift = 0.25 * proximity * math.log10(1 + participants) / 4.8 * math.sqrt(risk)
        if event.nature == "match_football":
            uplift *= 1.5
        uplift = min(uplift, 0.5)

    rtm = 0
    if event.demo_form == "CORTEGE" and participants >= 1000:
        rtm = 1 + draws.poisson(participants / 12000.0)
    elif participants >= 3000 and event.nature not in ("exposition", "foire", "marche"):
        rtm = draws.poisson(0.3 + participants / 20000.0)
    return Latent(risk, expected, incidents, presence, staff, uplift, rtm)

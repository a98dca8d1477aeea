"""Ordinary activity of the city, with daily, weekly and seasonal cycles, plus the events' outcomes on it.

- Municipal police activity: three Poisson streams of occurrences per hour — a day stream (parking,
  traffic, property, 7:00-19:00 peak), a night stream (tranquillity, violence; Friday and Saturday nights
  ×1.7, summer ×1.35) and a summer beach stream (June-August afternoons and evenings on the southern
  beaches) — each spread over 200 m cells by its own map of hotspots (centre, nightlife areas, northern
  districts, beaches). The events' extra occurrences and planned presence (``outcomes.py``) are added,
  then the rows are aggregated per (hour, cell, category); only non-zero rows are delivered.
- Prado-Carénage tunnel: ~48,000 vehicles on a weekday, 40,000 on Saturday, 34,000 on Sunday and public
  holidays, in total over both directions; July ×0.92, August ×0.80, other school holidays ×0.93;
  rush-hour peaks by direction (towards the Carénage in the morning, towards the Prado in the evening);
  Poisson noise per 6-minute period; occupancy and mean speed follow the volume; closures empty the
  direction; events near the tunnel add their uplift.
- Tunnel incidents, Métropole tunnel closures (mostly planned night works), RTM disruptions (works,
  technical incidents, weather…): Poisson counts per year multiplied by ``scale``.

Vehicle volumes are physical and do not follow ``scale`` (one row per direction and 6 minutes whatever
the scale); every other baseline count does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..contracts.registry import POLICE_CATEGORIES
from ..geography import cell_corners, format_cell_id, marseille_cells
from .calendar import PARIS, LocalTimes, is_public_holiday, is_school_holiday, local_midnight_utc
from .outcomes import CATEGORY_MIX, DEFAULT_CATEGORY_MIX, FACT_PROBABILITY, Latent
from .places import METROPOLE_TUNNELS, TRANSIT_STOPS
from .randomness import Draws
from .reporting import Reporter
from .world import RealEvent

HOUR = np.timedelta64(1, "h")
SIX_MINUTES = np.timedelta64(6, "m")

# (lat, lon, sigma km, day weight, night weight, beach weight)
HOTSPOTS: tuple[tuple[float, float, float, float, float, float], ...] = (
    (43.2970, 5.3800, 0.45, 3.0, 3.0, 0.0),  # Canebière / Noailles
    (43.3010, 5.3760, 0.45, 2.5, 2.0, 0.0),  # Belsunce / Porte d'Aix
    (43.2945, 5.3735, 0.35, 2.0, 3.0, 0.0),  # Vieux-Port
    (43.2940, 5.3850, 0.30, 1.0, 3.0, 0.0),  # Cours Julien / La Plaine
    (43.2856, 5.3837, 0.40, 1.5, 1.0, 0.0),  # Castellane
    (43.3045, 5.3660, 0.40, 1.0, 0.7, 0.0),  # Joliette
    (43.3027, 5.3805, 0.30, 1.5, 1.0, 0.0),  # Saint-Charles
    (43.3110, 5.3850, 0.60, 1.0, 1.0, 0.0),  # Belle de Mai / Saint-Mauront
    (43.3350, 5.3900, 1.20, 1.2, 1.4, 0.0),  # 13e-14e
    (43.3500, 5.3600, 1.00, 0.8, 1.0, 0.0),  # 15e-16e
    (43.3300, 5.4200, 1.00, 0.8, 0.9, 0.0),  # 13e east
    (43.2620, 5.3740, 0.70, 0.3, 0.6, 3.0),  # Prado beaches
    (43.2440, 5.3720, 0.50, 0.1, 0.3, 1.5),  # Pointe Rouge
    (43.2880, 5.3520, 0.50, 0.1, 0.3, 1.0),  # Catalans / Corniche
)
DAY_MIX = (0.20, 0.08, 0.12, 0.25, 0.30, 0.05)
NIGHT_MIX = (0.25, 0.20, 0.45, 0.05, 0.02, 0.03)
BEACH_MIX = (0.30, 0.15, 0.35, 0.02, 0.08, 0.10)

_DAY_PROFILE = np.array([0.2, 0.1, 0.1, 0.1, 0.1, 0.3, 0.7, 1.2, 1.6, 1.8, 1.9, 1.9,
                         1.7, 1.7, 1.8, 1.8, 1.8, 1.7, 1.5, 1.1, 0.8, 0.6, 0.4, 0.3])  # fmt: skip
_NIGHT_PROFILE = np.array([2.2, 1.9, 1.5, 1.0, 0.6, 0.3, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1,
                           0.1, 0.1, 0.1, 0.1, 0.2, 0.3, 0.5, 0.8, 1.2, 1.6, 2.0, 2.3])  # fmt: skip
_BEACH_PROFILE = np.array([0.3, 0.2, 0.1, 0, 0, 0, 0, 0, 0, 0, 0.2, 0.5,
                           0.8, 1.2, 1.5, 1.6, 1.6, 1.5, 1.4, 1.2, 1.0, 0.8, 0.6, 0.4])  # fmt: skip
DAY_RATE, NIGHT_RATE, BEACH_RATE = 95.0, 45.0, 20.0  # occurrences a day at scale 1


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def first_hour_utc(self) -> datetime:
        return local_midnight_utc(self.start)

    @property
    def end_utc(self) -> datetime:
        return local_midnight_utc(self.end + timedelta(days=1))

    def hours_utc(self) -> npt.NDArray[np.datetime64]:
        """Every hour start (naive UTC) of the local days of the period: 23 or 25 on DST days."""
        return np.arange(_to_np_utc(self.first_hour_utc), _to_np_utc(self.end_utc), HOUR).astype(
            "datetime64[s]"
        )


def _to_np_utc(moment: datetime) -> np.datetime64:
    return np.datetime64(moment.astimezone(UTC).replace(tzinfo=None), "s")


def _holiday_mask(local_days: npt.NDArray[np.datetime64]) -> npt.NDArray[np.bool_]:
    unique_days = np.unique(local_days)
    holidays = [d for d in unique_days.astype(object).tolist() if is_public_holiday(d)]
    return np.isin(local_days, np.array(holidays, dtype="datetime64[D]"))


def _hotspot_weights(
    latitude: npt.NDArray[np.float64], longitude: npt.NDArray[np.float64], column: int
) -> npt.NDArray[np.float64]:
    km_per_lat, km_per_lon = 111.2, 111.2 * np.cos(np.radians(43.3))
    weights = np.full(latitude.shape, 0.02 if column < 5 else 0.0)
    for spot in HOTSPOTS:
        lat, lon, sigma, *strengths = spot
        strength = strengths[column - 3]
        if strength <= 0:
            continue
        d2 = ((latitude - lat) * km_per_lat) ** 2 + ((longitude - lon) * km_per_lon) ** 2
        weights += strength * np.exp(-d2 / (2 * sigma**2))
    return weights / weights.sum()


def police_activity(
    period: Period, scale: float, rng: np.random.Generator, events: list[RealEvent], latents: list[Latent]
) -> tuple[pd.DataFrame, npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Aggregated municipal-police rows, and per event the extra facts and interventions it caused."""
    hours = period.hours_utc()
    local = LocalTimes.of(hours)
    local_hour, weekday, month = local.hour, local.weekday, local.month
    holiday = _holiday_mask(local.day)
    summer = (month >= 6) & (month <= 8)

    day_factor = np.where(holiday | (weekday == 6), 0.6, np.where(weekday == 5, 0.85, 1.0))
    day_factor *= np.where(month == 8, 0.9, 1.0)
    weekend_night = ((weekday >= 4) & (local_hour >= 18)) | ((weekday >= 5) & (local_hour < 6))
    night_factor = np.where(weekend_night, 1.7, 1.0) * np.where((month >= 5) & (month <= 9), 1.35, 1.0)
    beach_factor = np.where(summer, 1.0, np.where((month == 5) | (month == 9), 0.4, 0.0))

    grid = marseille_cells()
    streams = (
        (DAY_RATE * _DAY_PROFILE / _DAY_PROFILE.sum(), day_factor, _hotspot_weights(grid.latitude, grid.longitude, 3), DAY_MIX),
        (NIGHT_RATE * _NIGHT_PROFILE / _NIGHT_PROFILE.sum(), night_factor, _hotspot_weights(grid.latitude, grid.longitude, 4), NIGHT_MIX),
        (BEACH_RATE * _BEACH_PROFILE / _BEACH_PROFILE.sum(), beach_factor, _hotspot_weights(grid.latitude, grid.longitude, 5), BEACH_MIX),
    )  # fmt: skip
    parts_hour, parts_n, parts_e, parts_cat = [], [], [], []
    for profile, factor, cell_weights, mix in streams:
        counts = rng.poisson(profile[local_hour] * factor * scale)
        total = int(counts.sum())
        cells = rng.choice(len(grid.cell_ids), size=total, p=cell_weights)
        parts_hour.append(np.repeat(np.arange(len(hours)), counts))
        parts_n.append(grid.northing[cells])
        parts_e.append(grid.easting[cells])
        parts_cat.append(rng.choice(len(POLICE_CATEGORIES), size=total, p=np.asarray(mix)))
    base_hour = np.concatenate(parts_hour)
    base_n, base_e, base_cat = np.concatenate(parts_n), np.concatenate(parts_e), np.concatenate(parts_cat)
    base_event = np.full(base_hour.shape, -1, dtype=np.int64)

    # Extra occurrences caused by events (vectorised over all events; see outcomes.py for the model).
    origin_seconds = period.first_hour_utc.timestamp()
    start_h = np.array([(e.start.timestamp() - origin_seconds) / 3600.0 for e in events], dtype=float)
    end_h = np.array([(e.end.timestamp() - origin_seconds) / 3600.0 for e in events], dtype=float)
    event_lat = np.array([e.latitude for e in events], dtype=float)
    event_lon = np.array([e.longitude for e in events], dtype=float)
    moving = np.array([e.arrival is not None and e.demo_form == "CORTEGE" for e in events], dtype=bool)
    arrival_lat = np.array([e.arrival[1] if e.arrival else e.latitude for e in events], dtype=float)
    arrival_lon = np.array([e.arrival[2] if e.arrival else e.longitude for e in events], dtype=float)
    natures = sorted(set(CATEGORY_MIX) | {e.nature for e in events})
    nature_index = np.array([natures.index(e.nature) for e in events], dtype=np.int64)
    mixes = np.array([CATEGORY_MIX.get(n, DEFAULT_CATEGORY_MIX) for n in natures], dtype=float)
    cumulative_mix = np.cumsum(mixes / mixes.sum(axis=1, keepdims=True), axis=1)
    incidents = np.array([latent.incidents for latent in latents], dtype=np.int64)

    owner = np.repeat(np.arange(len(events), dtype=np.int64), incidents)
    count = owner.size
    window_start, window_end = start_h[owner] - 1.0, end_h[owner] + 2.0
    extra_hour = np.floor(window_start + rng.random(count) * (window_end - window_start)).astype(np.int64)
    along = np.where(moving[owner], rng.random(count), 0.0)  # a cortège spreads along its route
    spread_km = np.where(moving[owner], 0.12, 0.25)
    extra_lat = (
        event_lat[owner]
        + along * (arrival_lat[owner] - event_lat[owner])
        + rng.normal(0, 1, count) * spread_km / 111.2
    )
    extra_lon = (
        event_lon[owner]
        + along * (arrival_lon[owner] - event_lon[owner])
        + rng.normal(0, 1, count) * spread_km / 81.0
    )
    extra_cat = (rng.random(count)[:, None] > cumulative_mix[nature_index[owner], :-1]).sum(axis=1)
    extra_n, extra_e = (
        cell_corners(extra_lat, extra_lon) if count else (np.empty(0, np.int64), np.empty(0, np.int64))
    )

    occ_hour = np.concatenate([base_hour, extra_hour])
    occ_n, occ_e = np.concatenate([base_n, extra_n]), np.concatenate([base_e, extra_e])
    occ_cat = np.concatenate([base_cat, extra_cat])
    occ_event = np.concatenate([base_event, owner])

    # Planned presence: hours of [start - 1 h, end + 1 h] in the venue's cell.
    presence = np.array([latent.presence_agents for latent in latents], dtype=np.int64)
    present = np.flatnonzero(presence > 0)
    first_hour = np.floor(start_h[present] - 1.0).astype(np.int64)
    last_hour = np.ceil(end_h[present] + 1.0).astype(np.int64)
    lengths = np.maximum(last_hour - first_hour, 0)
    presence_owner = np.repeat(present, lengths)
    step_in_window = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    pres_hour = np.repeat(first_hour, lengths) + step_in_window
    keep = (pres_hour >= 0) & (pres_hour < len(hours))
    long_events = np.array([e.duration_hours > 12 for e in events], dtype=bool)
    keep[keep] &= ~long_events[presence_owner[keep]] | (
        (local_hour[pres_hour[keep]] >= 10) & (local_hour[pres_hour[keep]] <= 21)
    )
    pres_hour, presence_owner = pres_hour[keep], presence_owner[keep]
    venue_n, venue_e = (
        cell_corners(event_lat, event_lon) if events else (np.empty(0, np.int64), np.empty(0, np.int64))
    )
    facts = (rng.random(occ_hour.size) < np.asarray(FACT_PROBABILITY)[occ_cat]).astype(np.int64)
    agents = 2 + (rng.random(occ_hour.size) < 0.4).astype(np.int64)
    interventions = np.ones(occ_hour.size, dtype=np.int64)

    inside = (occ_hour >= 0) & (occ_hour < len(hours))
    extra_facts = np.bincount(
        occ_event[inside & (occ_event >= 0)], weights=facts[inside & (occ_event >= 0)], minlength=len(events)
    ).astype(np.int64)
    extra_interventions = np.bincount(occ_event[inside & (occ_event >= 0)], minlength=len(events)).astype(
        np.int64
    )

    if pres_hour.size:
        tranquillity = POLICE_CATEGORIES.index("tranquillite")
        occ_hour = np.concatenate([occ_hour, pres_hour])
        occ_n = np.concatenate([occ_n, venue_n[presence_owner]])
        occ_e = np.concatenate([occ_e, venue_e[presence_owner]])
        occ_cat = np.concatenate([occ_cat, np.full(pres_hour.size, tranquillity)])
        facts = np.concatenate([facts, np.zeros(pres_hour.size, dtype=np.int64)])
        interventions = np.concatenate([interventions, np.zeros(pres_hour.size, dtype=np.int64)])
        agents = np.concatenate([agents, presence[presence_owner]])
        inside = (occ_hour >= 0) & (occ_hour < len(hours))

    occ_hour, occ_n, occ_e, occ_cat = occ_hour[inside], occ_n[inside], occ_e[inside], occ_cat[inside]
    facts, interventions, agents = facts[inside], interventions[inside], agents[inside]
    # Aggregate per (hour, cell, category); the key sorts like the delivered rows.
    cell_key = (occ_n // 200) * 100_000 + (occ_e // 200)
    key = (occ_hour.astype(np.int64) * 2_000_000_000 + cell_key) * 8 + occ_cat
    unique_keys, inverse = np.unique(key, return_inverse=True)
    sum_facts = np.bincount(inverse, weights=facts).astype(np.int64)
    sum_interventions = np.bincount(inverse, weights=interventions).astype(np.int64)
    sum_agents = np.bincount(inverse, weights=agents).astype(np.int64)
    row_hour = unique_keys // 8 // 2_000_000_000
    row_cell = unique_keys // 8 % 2_000_000_000
    row_cat = unique_keys % 8
    row_n, row_e = (row_cell // 100_000) * 200, (row_cell % 100_000) * 200
    cell_labels = {
        int(k): format_cell_id(int(k // 100_000) * 200, int(k % 100_000) * 200)
        for k in np.unique(row_cell).tolist()
    }
    frame = pd.DataFrame(
        {
            "hour_index": row_hour,
            "carreau": [cell_labels[int(k)] for k in row_cell.tolist()],
            "categorie": np.asarray(POLICE_CATEGORIES, dtype=object)[row_cat],
            "nb_faits": sum_facts,
            "nb_interventions": sum_interventions,
            "agents_engages": sum_agents,
        }
    )
    del row_n, row_e
    frame = frame.sort_values(["hour_index", "carreau", "categorie"], kind="stable").reset_index(drop=True)
    return frame, extra_facts, extra_interventions


# --- tunnel --------------------------------------------------------------------------------------------

DIRECTIONS = ("PRADO_VERS_CARENAGE", "CARENAGE_VERS_PRADO")
DAILY_TOTAL_PER_DIRECTION = {0: 24000.0, 1: 20000.0, 2: 17000.0}  # weekday, Saturday, Sunday/holiday


def _bump(hours: np.ndarray, centre: float, width: float) -> np.ndarray:
    return np.exp(-0.5 * ((hours - centre) / width) ** 2)


def _tunnel_profiles() -> np.ndarray:
    """Share of the daily volume per 6-minute local slot: [day type, direction, slot]."""
    hours = (np.arange(240) + 0.5) / 10.0
    night = 0.08 + 0.92 / (1 + np.exp(-(hours - 6.0) * 2.0)) * (
        1 - 0.75 / (1 + np.exp(-(hours - 22.0) * 1.5))
    )
    profiles = np.empty((3, 2, 240))
    weekday_base = night * (0.6 + 0.5 * _bump(hours, 13.0, 3.0))
    profiles[0, 0] = weekday_base + 1.6 * _bump(hours, 8.2, 0.9) + 0.7 * _bump(hours, 17.8, 1.3)
    profiles[0, 1] = weekday_base + 0.8 * _bump(hours, 8.3, 1.0) + 1.5 * _bump(hours, 17.9, 1.2)
    saturday_base = night * (0.5 + 0.8 * _bump(hours, 12.5, 3.5)) + 0.15 * _bump(hours, 23.5, 1.5)
    profiles[1, 0] = saturday_base + 0.3 * _bump(hours, 18.0, 2.0)
    profiles[1, 1] = saturday_base + 0.4 * _bump(hours, 18.5, 2.0)
    sunday_base = night * (0.4 + 0.9 * _bump(hours, 13.5, 3.5)) + 0.1 * _bump(hours, 23.5, 1.5)
    profiles[2, 0] = sunday_base + 0.2 * _bump(hours, 11.0, 1.5)
    profiles[2, 1] = sunday_base + 0.4 * _bump(hours, 18.5, 1.5)
    return profiles / profiles.sum(axis=2, keepdims=True)


def tunnel_incidents(period: Period, scale: float, draws: Draws, reporter: Reporter) -> None:
    """Baseline incidents of the Prado-Carénage tunnel (the events' congestion is added by tunnel_counts)."""
    kinds = (
        # type, yearly, minutes (low, high), lanes closed, hours weights
        ("PANNE", 180, (15, 45), 1, "traffic"),
        ("ACCIDENT", 25, (30, 120), 2, "traffic"),
        ("OBJET_SUR_CHAUSSEE", 40, (10, 30), 1, "traffic"),
        ("CONGESTION", 110, (20, 90), 0, "rush"),
        ("FERMETURE_PROGRAMMEE", 40, (420, 480), 2, "night"),
        ("FERMETURE_INOPINEE", 12, (20, 90), 2, "traffic"),
    )
    days = (period.end - period.start).days + 1
    rows = []
    for kind, yearly, minutes, lanes, timing in kinds:
        for _ in range(draws.poisson(yearly * scale * days / 365.0)):
            day = period.start + timedelta(days=draws.integer(0, days - 1))
            if timing == "night":
                while day.weekday() >= 4 and day > period.start:
                    day -= timedelta(days=1)
                hour, minute = 21, 30
            elif timing == "rush":
                hour, minute = draws.pick((7, 8, 8, 17, 18, 18)), draws.integer(0, 59)
            else:
                hour, minute = (
                    draws.pick_weighted(range(24), [0.3] * 6 + [1.5] * 4 + [1.0] * 6 + [1.6] * 4 + [0.6] * 4),
                    draws.integer(0, 59),
                )
            start = datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS).astimezone(UTC)
            rows.append(
                (
                    start,
                    start + timedelta(minutes=draws.uniform(*minutes)),
                    draws.pick(DIRECTIONS),
                    kind,
                    lanes,
                    None,
                )
            )
    for start, end, direction, kind, lanes, true_id in rows:
        add_tunnel_incident(reporter, start, end, direction, kind, lanes, true_id)


def add_tunnel_incident(
    reporter: Reporter,
    start: datetime,
    end: datetime,
    direction: str,
    kind: str,
    lanes: int,
    true_id: str | None,
) -> None:
    start = start.replace(second=0, microsecond=0)
    end = end.replace(second=0, microsecond=0)
    reporter.deliveries.tunnel_incidents.append(
        {"id": "", "debut": start, "fin": max(end, start + timedelta(minutes=5)), "sens": direction, "type": kind,
         "voies_fermees": lanes, "_true_id": true_id}
    )  # fmt: skip


def finalise_tunnel_incident_ids(reporter: Reporter) -> None:
    """Number incidents in time order (SMTPC numbers them as they are logged) and link the truth."""
    incidents = reporter.deliveries.tunnel_incidents
    incidents.sort(key=lambda r: (r["debut"], r["sens"], r["type"]))
    for record in incidents:
        year = record["debut"].astimezone(PARIS).year
        record["id"] = f"SMTPC-{year}-{reporter.ids.next('SMTPC', year):05d}"
        true_id = record.pop("_true_id")
        reporter.deliveries.link(
            true_id, "smtpc", "evenements_tunnel", record["id"], "event" if true_id else "not_an_event"
        )


def tunnel_counts(
    period: Period,
    rng: np.random.Generator,
    draws: Draws,
    reporter: Reporter,
    events: list[RealEvent],
    latents: list[Latent],
) -> pd.DataFrame:
    """6-minute counts per direction over the UTC days of the period."""
    first = datetime(period.start.year, period.start.month, period.start.day, tzinfo=UTC)
    last = datetime(period.end.year, period.end.month, period.end.day, tzinfo=UTC) + timedelta(days=1)
    periods = np.arange(_to_np_utc(first), _to_np_utc(last), SIX_MINUTES).astype("datetime64[s]")
    local = LocalTimes.of(periods)
    slot = (local.hour * 60 + local.minute) // 6
    unique_dates, date_index = np.unique(local.day, return_inverse=True)
    day_objects: list[date] = unique_dates.astype(object).tolist()
    day_type = np.array(
        [
            2 if (d.weekday() == 6 or is_public_holiday(d)) else (1 if d.weekday() == 5 else 0)
            for d in day_objects
        ]
    )
    season = np.array(
        [
            0.80 if d.month == 8 else 0.92 if d.month == 7 else 0.93 if is_school_holiday(d) else 1.0
            for d in day_objects
        ]
    )
    profiles = _tunnel_profiles()
    origin = np.datetime64(first.replace(tzinfo=None), "s")
    n = len(periods)
    uplift = np.ones(n)
    slowdown = np.ones((2, n))
    closed = np.zeros((2, n), dtype=bool)

    def index_of(moment: datetime) -> int:
        return int(np.clip(np.floor((_to_np_utc(moment) - origin) / SIX_MINUTES), 0, n))

    for event, latent in zip(events, latents, strict=True):
        if latent.tunnel_uplift <= 0:
            continue
        factor = 1.0 + latent.tunnel_uplift
        if event.demo_form == "CORTEGE":
            windows = [(event.start - timedelta(minutes=30), event.end + timedelta(minutes=30))]
        else:
            windows = [
                (event.start - timedelta(minutes=90), event.start + timedelta(minutes=30)),
                (event.end - timedelta(minutes=15), event.end + timedelta(minutes=90)),
            ]
        for window_start, window_end in windows:
            uplift[index_of(window_start) : index_of(window_end)] *= factor
        if latent.tunnel_uplift > 0.05 and draws.chance(min(0.9, 5 * latent.tunnel_uplift)):
            direction = "PRADO_VERS_CARENAGE" if event.latitude < 43.28 else "CARENAGE_VERS_PRADO"
            add_tunnel_incident(
                reporter, windows[-1][0], windows[-1][0] + timedelta(minutes=draws.uniform(30, 80)), direction,
                "CONGESTION", 0, event.true_id,
            )  # fmt: skip
    for record in reporter.deliveries.tunnel_incidents:
        direction_index = DIRECTIONS.index(record["sens"])
        lo, hi = index_of(record["debut"]), index_of(record["fin"])
        if record["type"].startswith("FERMETURE"):
            closed[direction_index, lo:hi] = True
        elif record["type"] in ("ACCIDENT", "PANNE", "OBJET_SUR_CHAUSSEE"):
            slowdown[direction_index, lo:hi] *= 0.65
        else:
            slowdown[direction_index, lo:hi] *= 0.75

    frames = []
    for direction_index, direction in enumerate(DIRECTIONS):
        day_noise = np.exp(rng.normal(0, 0.04, size=len(unique_dates)))
        expected = (
            np.array([DAILY_TOTAL_PER_DIRECTION[t] for t in day_type])[date_index]
            * season[date_index]
            * day_noise[date_index]
            * profiles[day_type[date_index], direction_index, slot]
            * uplift
        )
        vehicles = np.minimum(rng.poisson(expected), 1000)
        vehicles[closed[direction_index]] = 0
        occupancy = np.clip(100 * (vehicles / 480.0) ** 1.3 / slowdown[direction_index], 0, 100)
        # Mean speed falls with occupancy, with incidents, and by 2·m around events (m = uplift - 1).
        speed = (
            70.0
            * (1 - 0.55 * (occupancy / 100) ** 2)
            * slowdown[direction_index]
            * np.clip(3 - 2 * uplift, 0.3, 1.0)
        )
        speed = np.clip(speed + rng.normal(0, 1.5, size=n), 5, 90)
        speed[(vehicles == 0) | (rng.random(n) < 0.001)] = np.nan
        frames.append(
            pd.DataFrame(
                {
                    "horodatage": periods,
                    "sens": direction,
                    "vehicules": vehicles.astype(np.int64),
                    "vitesse_moy_kmh": np.round(speed, 1),
                    "taux_occupation_pct": np.round(occupancy, 1),
                }
            )
        )
    counts = pd.concat(frames, ignore_index=True)
    counts["_direction_order"] = counts["sens"].map({d: i for i, d in enumerate(DIRECTIONS)})
    counts = counts.sort_values(["horodatage", "_direction_order"], kind="stable").drop(
        columns="_direction_order"
    )
    return counts.reset_index(drop=True)


# --- Métropole closures and RTM disruptions -------------------------------------------------------------

CLOSURE_NATURES_PLANNED = ("Travaux d'entretien", "Maintenance des équipements", "Lavage du tunnel",
                           "Exercice de sécurité", "Travaux de chaussée")  # fmt: skip
CLOSURE_NATURES_UNPLANNED = ("Accident", "Véhicule en panne", "Incident technique", "Intervention d'urgence")


def metropole_closures(period: Period, scale: float, draws: Draws, reporter: Reporter) -> None:
    from .reporting import closure_key

    days = (period.end - period.start).days + 1
    seen = {closure_key(r) for r in reporter.deliveries.closures}
    for _ in range(draws.poisson(320 * scale * days / 365.0)):
        tunnel, directions = draws.pick(METROPOLE_TUNNELS)
        direction = draws.pick(directions)
        day = period.start + timedelta(days=draws.integer(0, days - 1))
        if draws.chance(0.9):
            kind, nature = "Programmée", draws.pick(CLOSURE_NATURES_PLANNED)
            start = datetime(day.year, day.month, day.day, 21, draws.pick((0, 30)), tzinfo=PARIS).astimezone(
                UTC
            )
            end = start + timedelta(hours=draws.pick((8, 8.5, 9)))
            title = f"{tunnel} – {direction} – fermeture nocturne"
        else:
            kind, nature = "Inopinée", draws.pick(CLOSURE_NATURES_UNPLANNED)
            start = datetime(
                day.year, day.month, day.day, draws.integer(6, 22), draws.integer(0, 59), tzinfo=PARIS
            ).astimezone(UTC)
            end = start + timedelta(minutes=draws.uniform(20, 120))
            title = f"{tunnel} – {direction} – fermeture exceptionnelle"
        record = {
            "tunnel": tunnel, "sens": direction, "date_de_debut": start, "date_de_fin": end, "type": kind,
            "nom": f"Fermeture {tunnel} – {direction}", "titrecalendrier": title, "nature": nature,
        }  # fmt: skip
        key = closure_key(record)
        if key in seen:
            continue
        seen.add(key)
        reporter.deliveries.closures.append(record)
        reporter.deliveries.link(None, "metropole", "fermetures_tunnels", key, "not_an_event")


def rtm_baseline(period: Period, scale: float, draws: Draws, reporter: Reporter) -> None:
    days = (period.end - period.start).days + 1
    causes = ("travaux", "incident_technique", "meteo", "autre")
    for _ in range(draws.poisson(1400 * scale * days / 365.0)):
        stop = draws.pick(TRANSIT_STOPS)
        line, mode = draws.pick(stop.lines)
        cause = draws.pick_weighted(causes, (0.35, 0.35, 0.05, 0.25))
        day = period.start + timedelta(days=draws.integer(0, days - 1))
        if cause == "travaux":
            start = datetime(day.year, day.month, day.day, 21, 30, tzinfo=PARIS).astimezone(UTC)
            end = start + timedelta(hours=draws.pick((3, 7, 7.5))) + timedelta(days=draws.pick((0, 0, 2, 6)))
        else:
            start = datetime(
                day.year, day.month, day.day, draws.integer(5, 23), draws.integer(0, 59), tzinfo=PARIS
            ).astimezone(UTC)
            end = start + timedelta(minutes=draws.uniform(15, 240))
        if mode == "bus":
            kind = draws.pick(("deviation", "retard", "arret_non_desservi"))
        else:
            kind = draws.pick(("interruption", "retard", "retard"))
        reporter.add_rtm(
            None,
            line,
            mode,
            start,
            end,
            kind,
            cause,
            stop.name,
            stop.latitude,
            stop.longitude,
            "not_an_event",
        )

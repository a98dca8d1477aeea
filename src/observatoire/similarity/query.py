"""Query for a planned event: its nearest past events, what happened there, a forecast and a risk score.

- Neighbours: the k events that took place and started strictly before the planned start, ordered by
  the exact D² of DESIGN §5 (ties: later start first, then event id) — the same rule and formulas as
  the materialised ``event_similarity`` table, so both give the same answer for an existing event.
- Forecast: for each outcome, the similarity-weighted mean Σ s_j·y_j / Σ s_j over the neighbours.
- Risk score (0–10): where the forecast of the configured risk outcome falls among what was observed
  at all past events (took place, started before the planned start): with p the share of them whose
  observed value is below the forecast (ties count half), score = floor(10·p). 0: the forecast is
  among the lowest tenth of past events; 5: it is above half of them; 10: above every past event.
- A missing footprint is imputed as the median footprint of past events of the same nature (those
  whose footprint was measured, else all of them, else all past events), and flagged.
- Place names and natures must be known (dim_place, dim_nature); otherwise ``BadInput`` lists the
  closest known names.

Loaded events are cached per database file and reloaded when the file changes (mtime or size).
"""

from __future__ import annotations

import difflib
import math
import threading
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from ..config import TIMEZONE
from ..errors import BadInput
from . import columns as c
from .config import AXES, SimilarityConfig, config_from_dict, load_config
from .distance import axis_d2, global_d2, haversine_km, order_key, shares
from .events import AxisArrays, Events, from_utc_microseconds, log1p10, to_utc_microseconds
from .explain import AxisValues, axis_sentence
from .loading import connect_read_only, load_events_from, natures_of, places_of, read_table, table_ref

PARIS = ZoneInfo(TIMEZONE)


@dataclass(frozen=True)
class PlannedEvent:
    """A planned (hypothetical) event. Give a known ``place`` or ``latitude``/``longitude``.

    ``starts_at``: an aware datetime, or a naive one / ``"YYYY-MM-DD HH:MM"`` read as Paris time."""

    nature: str
    starts_at: datetime | str
    duration_hours: float
    participants: float
    place: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    emprise_m2: float | None = None
    sector: int | None = None
    k: int | None = None


@dataclass(frozen=True)
class AxisExplanation:
    axis: str
    local_similarity: float
    share_of_d2: float
    weight: float
    words_fr: str
    words_en: str


@dataclass(frozen=True)
class NeighbourEvent:
    rank: int
    event_id: str
    similarity: float
    d2: float
    nature: str
    place_name: str | None
    starts_at_local: str
    participants: float
    emprise_m2: float
    duration_hours: float
    outcomes: dict[str, float | None]
    axes: list[AxisExplanation]


@dataclass(frozen=True)
class ResolvedPlanned:
    nature: str
    nature_family: str
    place_name: str | None
    latitude: float
    longitude: float
    sector: int
    sector_source: str
    starts_at_utc: str
    starts_at_local: str
    is_weekend: bool
    is_summer: bool
    participants: float
    duration_hours: float
    emprise_m2: float
    emprise_imputed: bool


@dataclass(frozen=True)
class QueryResult:
    planned: ResolvedPlanned
    k: int
    neighbours: list[NeighbourEvent]
    forecast: dict[str, float | None]
    risk_outcome: str
    risk_score: int | None
    risk_share_below: float | None
    past_events: int
    config_fingerprint: str
    data_snapshot_id: str | None
    database: str
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class LoadedIndex:
    events: Events
    config: SimilarityConfig
    natures: pd.DataFrame
    places: pd.DataFrame
    pool: np.ndarray
    pool_axes: AxisArrays
    pool_start: np.ndarray
    Y: np.ndarray
    data_snapshot_id: str | None
    emprise_by_nature: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]
    """Per nature code: (start, footprint, measured?) of the events that took place, in time order."""


_CACHE: dict[Path, tuple[tuple[int, int, int], LoadedIndex]] = {}
_LOCK = threading.Lock()


def _stored_config(con: Any) -> SimilarityConfig:
    """The configuration the tables were built with (so that answers agree with them), else the default."""
    params = read_table(con, c.SIMILARITY_PARAMETERS)
    if params is not None and "config_json" in params.columns and len(params):
        import json

        return config_from_dict(json.loads(str(params["config_json"].iloc[0])))
    return load_config()


def load_index(db: Path) -> LoadedIndex:
    path = Path(db).resolve()
    if not path.exists():
        raise BadInput(f"no database at {path}: run the pipeline first, or pass --db")
    stat = path.stat()
    key = (stat.st_ino, stat.st_mtime_ns, stat.st_size)  # an atomic replace changes the inode
    with _LOCK:
        cached = _CACHE.get(path)
        if cached is not None and cached[0] == key:
            return cached[1]
        con = connect_read_only(path)
        try:
            natures = natures_of(con)
            events = load_events_from(con, natures)
            places = places_of(con)
            config = _stored_config(con)
            snapshot = None
            ref = table_ref(con, c.EVENT_SIMILARITY)
            if ref is not None:
                row = con.execute(f"SELECT data_snapshot_id FROM {ref} LIMIT 1").fetchone()
                snapshot = None if row is None else str(row[0])
        finally:
            con.close()
        pool = np.flatnonzero(events.took_place)
        loaded = LoadedIndex(
            events=events,
            config=config,
            natures=natures,
            places=places,
            pool=pool,
            pool_axes=events.axes.take(pool),
            pool_start=events.start_us[pool],
            Y=events.outcome_matrix(config.outcomes),
            data_snapshot_id=snapshot or events.snapshot_id(),
            emprise_by_nature=_emprise_by_nature(events, pool),
        )
        _CACHE[path] = (key, loaded)
        return loaded


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold().strip()


def _match(value: str, known: dict[str, str], what: str) -> str:
    """The canonical name for ``value`` (accents and case ignored), or BadInput with close matches."""
    folded = {_fold(name): canonical for name, canonical in known.items()}
    hit = folded.get(_fold(value))
    if hit is not None:
        return hit
    close = difflib.get_close_matches(_fold(value), list(folded), n=5, cutoff=0.5)
    suggestions = sorted({folded[name] for name in close})
    hint = (
        f"; did you mean: {', '.join(suggestions)}?"
        if suggestions
        else f"; known {what}s: {', '.join(sorted(set(known.values()))[:20])}"
    )
    raise BadInput(f"unknown {what} {value!r}{hint}")


def _resolve_nature(index: LoadedIndex, nature: str) -> tuple[str, str]:
    table = index.natures
    known: dict[str, str] = {}
    for row in table.itertuples(index=False):
        code = str(getattr(row, c.NATURE))
        known[code] = code
        for label in ("label_fr", "label_en"):
            if isinstance(getattr(row, label, None), str):
                known[getattr(row, label)] = code
    for code in index.events.natures:
        known.setdefault(code, code)
    code = _match(nature, known, "nature")
    family = index.events.family_of_nature.get(code)
    if family is None:
        family = str(table.loc[table[c.NATURE] == code, c.NATURE_FAMILY].iloc[0])
    return code, family


def _start_utc(value: datetime | str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as error:
        raise BadInput(f"cannot read the start {value!r}: use 'YYYY-MM-DD HH:MM' (Paris time)") from error
    if stamp is pd.NaT or pd.isna(stamp):
        raise BadInput(f"cannot read the start {value!r}")
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(PARIS, ambiguous=False, nonexistent="shift_forward")
    return stamp.tz_convert("UTC")


def _positive(value: float | None, name: str, allow_zero: bool = True) -> float:
    if (
        value is None
        or not math.isfinite(float(value))
        or float(value) < 0
        or (not allow_zero and float(value) == 0)
    ):
        raise BadInput(
            f"{name} must be a {'non-negative' if allow_zero else 'positive'} number, got {value!r}"
        )
    return float(value)


def _location(index: LoadedIndex, planned: PlannedEvent) -> tuple[str | None, float, float, int, str]:
    places = index.places
    if planned.place is not None:
        known = {str(name): str(name) for name in places[c.PLACE_NAME]}
        name = _match(planned.place, known, "place")
        row = places.loc[places[c.PLACE_NAME] == name].iloc[0]
        sector = int(planned.sector) if planned.sector is not None else int(row[c.SECTOR])
        return name, float(row[c.LATITUDE]), float(row[c.LONGITUDE]), sector, "place"
    if planned.latitude is None or planned.longitude is None:
        raise BadInput("give a known place (--place) or both --lat and --lon")
    lat, lon = float(planned.latitude), float(planned.longitude)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise BadInput(f"coordinates out of range: {lat}, {lon}")
    if planned.sector is not None:
        if not 1 <= int(planned.sector) <= 8:
            raise BadInput(f"sector must be 1..8, got {planned.sector}")
        return None, lat, lon, int(planned.sector), "given"
    # The sector of the nearest known venue, else of the nearest past event.
    if len(places):
        dist = haversine_km(lat, lon, places[c.LATITUDE].to_numpy(), places[c.LONGITUDE].to_numpy())
        return None, lat, lon, int(places[c.SECTOR].iloc[int(np.argmin(dist))]), "nearest place"
    a = index.events.axes
    if not len(a.latitude):
        raise BadInput("no known place or event to infer the sector from: give --sector")
    dist = haversine_km(lat, lon, a.latitude, a.longitude)
    return None, lat, lon, int(a.sector[int(np.argmin(dist))]), "nearest event"


def _emprise_by_nature(
    events: Events, pool: np.ndarray
) -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    emprise = events.frame[c.EMPRISE_M2].to_numpy(dtype="float64")
    measured = ~events.frame[c.EMPRISE_IMPUTED].fillna(False).to_numpy(dtype=bool)
    nature = events.axes.nature[pool]
    out: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for code in np.unique(nature):
        members = pool[nature == code]
        out[int(code)] = (events.start_us[members], emprise[members], measured[members])
    return out


def _impute_emprise(index: LoadedIndex, nature_code: int, start_us: int, n_past: int) -> float:
    """Median footprint of past events of the nature: measured ones, else all, else all past events."""
    if nature_code in index.emprise_by_nature:
        starts, emprise, measured = index.emprise_by_nature[nature_code]
        before = int(np.searchsorted(starts, start_us, side="left"))
        for values in (emprise[:before][measured[:before]], emprise[:before]):
            if len(values):
                return float(np.median(values))
    if n_past:
        return float(10 ** np.median(index.pool_axes.log_emprise[:n_past]) - 1.0)
    raise BadInput("no past event to impute the footprint from: give --emprise")


def risk_score(forecast: float | None, observed: np.ndarray) -> tuple[int | None, float | None]:
    """(score 0..10, share of past events below the forecast, ties counting half)."""
    values = observed[~np.isnan(observed)]
    if forecast is None or not len(values) or not math.isfinite(forecast):
        return None, None
    share = (np.count_nonzero(values < forecast) + 0.5 * np.count_nonzero(values == forecast)) / len(values)
    return int(min(10, max(0, math.floor(10 * share)))), float(share)


def _local(us: int) -> str:
    return from_utc_microseconds(us).tz_convert(PARIS).strftime("%Y-%m-%d %H:%M")


def query_planned_event(db: Path | str, planned: PlannedEvent) -> QueryResult:
    """The k nearest past events of a planned event in the published (or warehouse) file ``db``."""
    index = load_index(Path(db))
    cfg = index.config
    k = int(planned.k or cfg.k)
    if k < 1:
        raise BadInput("k must be at least 1")
    nature, family = _resolve_nature(index, planned.nature)
    place, lat, lon, sector, sector_source = _location(index, planned)
    participants = _positive(planned.participants, "participants")
    duration = _positive(planned.duration_hours, "duration")
    start = _start_utc(planned.starts_at)
    start_us = int(to_utc_microseconds(pd.Series([start]))[0])
    local = start.tz_convert(PARIS)
    weekend, summer = local.dayofweek >= 5, 4 <= local.month <= 9

    n_past = int(np.searchsorted(index.pool_start, start_us, side="left"))
    past = index.pool[:n_past]
    notes: list[str] = []
    ev = index.events
    nature_code = ev.natures.index(nature) if nature in ev.natures else len(ev.natures)
    emprise_imputed = planned.emprise_m2 is None
    if emprise_imputed:
        emprise = _impute_emprise(index, nature_code, start_us, n_past)
        notes.append(f"footprint imputed: median of past '{nature}' events = {emprise:.0f} m²")
    else:
        emprise = _positive(planned.emprise_m2, "emprise")
    family_code = ev.families.index(family) if family in ev.families else len(ev.families)
    target = AxisArrays(
        latitude=np.array([lat]),
        longitude=np.array([lon]),
        log_participants=log1p10(np.array([participants])),
        log_emprise=log1p10(np.array([emprise])),
        log_duration=log1p10(np.array([duration])),
        nature=np.array([nature_code]),
        family=np.array([family_code]),
        sector=np.array([sector]),
        weekend=np.array([weekend]),
        summer=np.array([summer]),
    )
    pa = index.pool_axes
    past_axes = AxisArrays(**{name: getattr(pa, name)[:n_past] for name in pa.__dataclass_fields__})
    d2_axes = axis_d2(target, past_axes, cfg)
    d2 = global_d2(d2_axes, cfg)  # the very function the table was computed with
    key = order_key(d2)
    if n_past > k:
        # Only the candidates that can reach the top k (ties included) need the full ordering.
        chosen = np.flatnonzero(key <= np.partition(key, k - 1)[k - 1])
    else:
        chosen = np.arange(n_past)
    order = chosen[np.lexsort((past[chosen], -ev.start_us[past[chosen]], key[chosen]))][:k]
    top = past[order]
    axis_top = {axis: d2_axes[axis][order] for axis in AXES}
    axis_share = shares(axis_top, cfg)
    distance_km = haversine_km(lat, lon, ev.axes.latitude[top], ev.axes.longitude[top])
    weights = np.exp(-d2[order])
    planned_values = AxisValues(nature, family, sector, weekend, summer, participants, emprise, duration)
    frame = ev.frame
    neighbours: list[NeighbourEvent] = []
    for i, pos in enumerate(top):
        row = frame.iloc[int(pos)]
        values = AxisValues(
            str(row[c.NATURE]),
            str(row[c.NATURE_FAMILY]),
            int(row[c.SECTOR]),
            bool(row[c.IS_WEEKEND]),
            bool(row[c.IS_SUMMER]),
            float(row[c.PARTICIPANTS]),
            float(row[c.EMPRISE_M2]),
            float(row[c.DURATION_HOURS]),
        )
        explanations = [
            AxisExplanation(
                axis=axis,
                local_similarity=float(np.exp(-axis_top[axis][i])),
                share_of_d2=float(axis_share[axis][i]),
                weight=cfg.weight(axis),
                words_fr=axis_sentence(axis, planned_values, values, float(distance_km[i]), "fr"),
                words_en=axis_sentence(axis, planned_values, values, float(distance_km[i]), "en"),
            )
            for axis in AXES
        ]
        neighbours.append(
            NeighbourEvent(
                rank=i + 1,
                event_id=str(ev.ids[pos]),
                similarity=float(weights[i]),
                d2=float(d2[order][i]),
                nature=values.nature,
                place_name=None if pd.isna(row[c.PLACE_NAME]) else str(row[c.PLACE_NAME]),
                starts_at_local=_local(int(ev.start_us[pos])),
                participants=values.participants,
                emprise_m2=values.emprise_m2,
                duration_hours=values.duration_hours,
                outcomes={o: _num(index.Y[pos, j]) for j, o in enumerate(cfg.outcomes)},
                axes=explanations,
            )
        )
    forecast: dict[str, float | None] = {}
    for j, outcome in enumerate(cfg.outcomes):
        y = index.Y[top, j]
        known = ~np.isnan(y)
        forecast[outcome] = (
            float((weights[known] * y[known]).sum() / weights[known].sum()) if known.any() else None
        )
    risk_j = cfg.outcomes.index(cfg.risk_outcome)
    score, share = risk_score(forecast[cfg.risk_outcome], index.Y[past, risk_j])
    if n_past == 0:
        notes.append("no past event started before this date: nothing to compare with")
    return QueryResult(
        planned=ResolvedPlanned(
            nature=nature,
            nature_family=family,
            place_name=place,
            latitude=lat,
            longitude=lon,
            sector=sector,
            sector_source=sector_source,
            starts_at_utc=start.isoformat(),
            starts_at_local=local.strftime("%Y-%m-%d %H:%M"),
            is_weekend=bool(weekend),
            is_summer=bool(summer),
            participants=participants,
            duration_hours=duration,
            emprise_m2=emprise,
            emprise_imputed=emprise_imputed,
        ),
        k=k,
        neighbours=neighbours,
        forecast=forecast,
        risk_outcome=cfg.risk_outcome,
        risk_score=score,
        risk_share_below=share,
        past_events=n_past,
        config_fingerprint=cfg.fingerprint,
        data_snapshot_id=index.data_snapshot_id,
        database=str(Path(db)),
        notes=notes,
    )


def _num(value: float) -> float | None:
    return None if math.isnan(value) else float(value)

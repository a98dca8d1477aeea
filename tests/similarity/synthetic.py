"""Synthetic fct_event tables for the similarity tests (the real mart is built by dbt elsewhere)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from observatoire.similarity import columns as c

FAMILIES = {
    "concert": "spectacle_vivant",
    "festival": "spectacle_vivant",
    "spectacle": "spectacle_vivant",
    "fete_populaire": "fete",
    "feu_artifice": "fete",
    "match_football": "sport",
    "match_autre": "sport",
    "course": "sport",
    "marche": "commerce",
    "foire": "commerce",
    "brocante": "commerce",
    "tournage": "tournage",
    "ceremonie": "ceremonie",
    "manifestation_revendicative": "manifestation",
}
PLACES = [
    ("Orange Vélodrome", 43.2699, 5.3959, 8, 4),
    ("Vieux-Port", 43.2951, 5.3740, 1, 1),
    ("Parc Borély", 43.2590, 5.3820, 8, 4),
    ("Dôme", 43.3050, 5.3950, 4, 3),
    ("Plage des Catalans", 43.2905, 5.3585, 7, 1),
    ("Cours Julien", 43.2935, 5.3840, 6, 4),
    ("Place Castellane", 43.2862, 5.3837, 6, 4),
    ("Estaque", 43.3630, 5.3150, 16, 8),
    ("Château Gombert", 43.3600, 5.4400, 13, 7),
    ("La Canebière", 43.2975, 5.3795, 1, 1),
]


def synthetic_frame(n: int, seed: int = 0, years: float = 10.0, duplicates: float = 0.1) -> pd.DataFrame:
    """n events over ``years`` years, with deliberate duplicates (same axes, same start) to create ties."""
    rng = np.random.default_rng(seed)
    natures = np.array(list(FAMILIES))
    place_idx = rng.integers(0, len(PLACES), n)
    jitter = rng.random(n) < 0.5
    lat = np.array([PLACES[i][1] for i in place_idx]) + jitter * rng.normal(0, 0.01, n)
    lon = np.array([PLACES[i][2] for i in place_idx]) + jitter * rng.normal(0, 0.01, n)
    start0 = pd.Timestamp("2016-01-01", tz="UTC").value // 1000
    # Starts on a 30-minute grid so that equal start times occur.
    starts = start0 + rng.integers(0, int(years * 365 * 48), n) * 1_800_000_000
    nature = natures[rng.integers(0, len(natures), n)]
    participants = np.where(rng.random(n) < 0.3, 500, np.round(10 ** rng.uniform(1, 4.8, n)))
    emprise = np.where(rng.random(n) < 0.3, 1000.0, np.round(10 ** rng.uniform(1, 4.5, n)))
    duration = np.where(rng.random(n) < 0.5, 2.0, np.round(rng.uniform(0.5, 72, n), 1))
    frame = pd.DataFrame(
        {
            c.EVENT_ID: [f"ev{i:07d}" for i in range(n)],
            c.NATURE: nature,
            c.NATURE_FAMILY: [FAMILIES[x] for x in nature],
            c.PLACE_NAME: [PLACES[i][0] if not j else None for i, j in zip(place_idx, jitter, strict=True)],
            c.LATITUDE: lat,
            c.LONGITUDE: lon,
            c.ARRONDISSEMENT: [PLACES[i][3] for i in place_idx],
            c.SECTOR: [PLACES[i][4] for i in place_idx],
            c.STARTS_AT: pd.to_datetime(starts, unit="us", utc=True),
            c.DURATION_HOURS: duration,
            c.PARTICIPANTS: participants.astype("int64"),
            c.PARTICIPANTS_IMPUTED: participants == 500,
            c.EMPRISE_M2: emprise,
            c.EMPRISE_IMPUTED: emprise == 1000.0,
            c.TOOK_PLACE: rng.random(n) < 0.9,
            c.SOURCE_PARTNERS: "ville",
            c.SOURCE_IDS: [f"ville:{i}" for i in range(n)],
        }
    )
    # Deliberate exact duplicates on every axis and start time (ties the rule must break).
    n_dup = int(n * duplicates)
    if n_dup:
        src = rng.integers(0, n, n_dup)
        dst = rng.integers(0, n, n_dup)
        for col in (
            c.NATURE,
            c.NATURE_FAMILY,
            c.LATITUDE,
            c.LONGITUDE,
            c.SECTOR,
            c.DURATION_HOURS,
            c.PARTICIPANTS,
            c.EMPRISE_M2,
            c.PLACE_NAME,
            c.ARRONDISSEMENT,
        ):
            frame.loc[dst, col] = frame.loc[src, col].to_numpy()
        same_start = rng.random(n_dup) < 0.5
        frame.loc[dst[same_start], c.STARTS_AT] = frame.loc[src[same_start], c.STARTS_AT].to_numpy()
    local = frame[c.STARTS_AT].dt.tz_convert("Europe/Paris")
    frame[c.ENDS_AT] = frame[c.STARTS_AT] + pd.to_timedelta(frame[c.DURATION_HOURS], unit="h")
    frame[c.IS_WEEKEND] = local.dt.dayofweek >= 5
    frame[c.IS_SUMMER] = local.dt.month.between(4, 9)
    frame[c.STATUS] = np.where(frame[c.TOOK_PLACE], "termine", "annule")
    scale = np.log10(1 + frame[c.PARTICIPANTS].to_numpy())
    for i, outcome in enumerate(c.OUTCOMES):
        lam = np.clip(scale * (1 + (i % 3)) * (1.5 if i % 2 else 1.0), 0.1, None)
        values = rng.poisson(lam)
        frame[outcome] = values.astype("float64") if outcome == "tunnel_traffic_deviation_pct" else values
    return frame


def write_warehouse(path: Path, frame: pd.DataFrame, schema: str = "marts") -> Path:
    """A DuckDB file holding ``<schema>.fct_event``, ``dim_place`` and ``dim_nature`` from the frame."""
    con = duckdb.connect(str(path))
    try:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        con.register("frame", frame)
        con.execute(f"CREATE OR REPLACE TABLE {schema}.{c.FCT_EVENT} AS SELECT * FROM frame")
        con.execute(
            f"""CREATE OR REPLACE TABLE {schema}.{c.DIM_PLACE} AS
            SELECT place_name, min(latitude) AS latitude, min(longitude) AS longitude,
                   min(arrondissement) AS arrondissement, min(sector) AS sector
            FROM frame WHERE place_name IS NOT NULL GROUP BY place_name"""
        )
        natures = pd.DataFrame(
            {
                "nature": list(FAMILIES),
                "nature_family": list(FAMILIES.values()),
                "label_fr": [n.replace("_", " ").capitalize() for n in FAMILIES],
                "label_en": [n.replace("_", " ") for n in FAMILIES],
            }
        )
        con.register("natures", natures)
        con.execute(f"CREATE OR REPLACE TABLE {schema}.{c.DIM_NATURE} AS SELECT * FROM natures")
    finally:
        con.close()
    return path

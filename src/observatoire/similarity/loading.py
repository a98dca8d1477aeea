"""Reading the event mart and its dimensions from a DuckDB file (warehouse or published).

The warehouse keeps the marts in schema ``marts``; the published file keeps them in ``main``. Readers
look in that order, so the same code serves the index build and the planned-event query.
"""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb
import pandas as pd

from ..errors import BadInput
from . import columns as c
from .events import Events, events_from_frame

log = logging.getLogger(__name__)
SCHEMAS: tuple[str, ...] = ("marts", "main")


def connect_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    if not Path(path).exists():
        raise BadInput(f"no database at {path}: run the pipeline first, or pass --db")
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.Error as error:
        raise BadInput(f"cannot open {path} read-only: {error}") from error


def table_ref(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    """``schema.name`` of the first schema holding table ``name``, or None."""
    rows = con.execute(
        "SELECT table_schema FROM information_schema.tables WHERE table_name = ? AND table_schema IN (?, ?)",
        [name, *SCHEMAS],
    ).fetchall()
    found = {row[0] for row in rows}
    for schema in SCHEMAS:
        if schema in found:
            return f'"{schema}"."{name}"'
    return None


def table_columns(con: duckdb.DuckDBPyConnection, ref: str) -> list[str]:
    return [row[0] for row in con.execute(f"DESCRIBE {ref}").fetchall()]


def read_table(con: duckdb.DuckDBPyConnection, name: str) -> pd.DataFrame | None:
    ref = table_ref(con, name)
    return None if ref is None else con.execute(f"SELECT * FROM {ref}").fetchdf()


def natures_of(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Known natures with their family and labels (dim_nature, or the natures seen in fct_event)."""
    ref = table_ref(con, c.DIM_NATURE)
    if ref is not None:
        frame = con.execute(f"SELECT * FROM {ref}").fetchdf()
    else:
        events = table_ref(con, c.FCT_EVENT)
        if events is None:
            return pd.DataFrame(columns=[c.NATURE, c.NATURE_FAMILY, "label_fr", "label_en"])
        frame = con.execute(
            f"SELECT DISTINCT {c.NATURE}, {c.NATURE_FAMILY} FROM {events} WHERE {c.NATURE} IS NOT NULL"
        ).fetchdf()
    for label in ("label_fr", "label_en"):
        if label not in frame.columns:
            frame[label] = frame[c.NATURE]
    return frame.dropna(subset=[c.NATURE]).reset_index(drop=True)


def places_of(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Known places with coordinates and sector (dim_place, or the venues seen in fct_event)."""
    ref = table_ref(con, c.DIM_PLACE)
    if ref is None:
        ref = table_ref(con, c.FCT_EVENT)
        if ref is None:
            return pd.DataFrame(columns=[c.PLACE_NAME, c.LATITUDE, c.LONGITUDE, c.SECTOR])
        sql = (
            f"SELECT {c.PLACE_NAME}, median({c.LATITUDE}) AS {c.LATITUDE}, median({c.LONGITUDE}) AS {c.LONGITUDE},"
            f" mode({c.SECTOR}) AS {c.SECTOR} FROM {ref} WHERE {c.PLACE_NAME} IS NOT NULL GROUP BY 1"
        )
    else:
        sql = f"SELECT {c.PLACE_NAME}, {c.LATITUDE}, {c.LONGITUDE}, {c.SECTOR} FROM {ref}"
    return con.execute(sql).fetchdf().dropna().reset_index(drop=True)


def load_events_from(con: duckdb.DuckDBPyConnection, natures: pd.DataFrame | None = None) -> Events:
    ref = table_ref(con, c.FCT_EVENT)
    if ref is None:
        raise BadInput("the database has no fct_event table (marts.fct_event or main.fct_event)")
    available = set(table_columns(con, ref))
    missing = [col for col in c.AXIS_INPUTS if col not in available]
    if missing:
        raise BadInput(f"fct_event lacks the columns the similarity index needs: {missing}")
    wanted = [col for col in c.AXIS_INPUTS if col != c.STARTS_AT] + [o for o in c.OUTCOMES if o in available]
    select = ", ".join(f'"{col}"' for col in wanted)
    frame = con.execute(f'SELECT {select}, epoch_us("{c.STARTS_AT}") AS _start_us FROM {ref}').fetchdf()
    frame[c.STARTS_AT] = pd.to_datetime(frame.pop("_start_us"), unit="us", utc=True)
    for outcome in c.OUTCOMES:
        if outcome not in frame.columns:
            frame[outcome] = float("nan")
    required = [col for col in c.AXIS_INPUTS if col not in (c.PLACE_NAME, c.EMPRISE_IMPUTED, c.TOOK_PLACE)]
    complete = frame[required].notna().all(axis=1)
    if not complete.all():
        # An event without one of the eight axes cannot be compared: it is left out, and said so.
        log.warning("similarity: %d events lack an axis value and are left out", int((~complete).sum()))
        frame = frame[complete]
    extra = None
    if natures is not None and len(natures):
        extra = dict(zip(natures[c.NATURE].astype(str), natures[c.NATURE_FAMILY].astype(str), strict=True))
    return events_from_frame(frame, extra_natures=extra)


def load_events(path: Path) -> Events:
    con = connect_read_only(path)
    try:
        return load_events_from(con, natures_of(con))
    finally:
        con.close()

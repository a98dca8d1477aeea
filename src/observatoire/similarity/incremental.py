"""What an index build must recompute, from what changed since the previous build.

The neighbours of an event are the k most similar events that took place and started strictly before
it (DESIGN §5). They depend only on the event itself and on the events that started before it: when
events are added, removed or changed, an event that started before every one of them keeps exactly
the same neighbours, D² and explanations. A build therefore recomputes only the events that start at or
after ``t0``, the earliest start among the events that are

- new (an event id the previous build did not see),
- removed (an event id it saw that is gone; its former start counts),
- changed in anything the index reads: the eight axes, the start time, whether it took place (the
  earlier of its former and current start counts).

The previous build's view of every event is kept in ``similarity_state.event_state`` (event id, start,
a 64-bit hash of those attributes), written in the same transaction as ``marts.event_similarity``;
``similarity_state.build`` records the configuration fingerprint, the index version and the row count.
The schema is not ``marts``: these tables are bookkeeping and are never published.

A full rebuild happens when asked, when there is no previous build, when the configuration or the
index version differ, or when ``marts.event_similarity`` does not hold what the previous build wrote.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from . import columns as c
from .events import Events
from .storage import Edit

STATE_SCHEMA = "similarity_state"
EVENT_STATE = "event_state"
BUILD_STATE = "build"
# Bump when a change of the code changes what the index writes: the next build is then a full one.
INDEX_VERSION = 2

# fct_event columns the neighbours depend on (with the start time and the event id).
STATE_COLUMNS: tuple[str, ...] = (
    c.LATITUDE,
    c.LONGITUDE,
    c.PARTICIPANTS,
    c.EMPRISE_M2,
    c.DURATION_HOURS,
    c.NATURE,
    c.NATURE_FAMILY,
    c.SECTOR,
    c.IS_WEEKEND,
    c.IS_SUMMER,
)


@dataclass(frozen=True)
class Plan:
    """``first``: the first position (in canonical order) whose neighbours are computed; the rows of the
    events before it are kept. ``t0_us``: the start time from which events are recomputed (None: none)."""

    mode: str
    """"full" or "incremental"."""
    reason: str
    first: int
    t0_us: int | None
    new: int = 0
    removed: int = 0
    changed: int = 0

    @property
    def full(self) -> bool:
        return self.mode == "full"


def event_state(events: Events) -> pd.DataFrame:
    """One row per event: id, start (UTC µs) and a hash of everything its neighbours depend on."""
    frame = events.frame
    values = pd.DataFrame({name: frame[name].to_numpy() for name in STATE_COLUMNS})
    values[c.NATURE] = values[c.NATURE].astype(str)
    values[c.NATURE_FAMILY] = values[c.NATURE_FAMILY].astype(str)
    for name in (c.LATITUDE, c.LONGITUDE, c.PARTICIPANTS, c.EMPRISE_M2, c.DURATION_HOURS):
        values[name] = values[name].astype("float64")
    values[c.SECTOR] = values[c.SECTOR].astype("int64")
    for name in (c.IS_WEEKEND, c.IS_SUMMER):
        values[name] = values[name].astype(bool)
    values["_start_us"] = events.start_us
    values["_took_place"] = events.took_place
    values["_event_id"] = events.ids.astype(str)
    hashes = pd.util.hash_pandas_object(values, index=False).to_numpy(dtype=np.uint64)
    return pd.DataFrame(
        {c.EVENT_ID: events.ids.astype(str), "starts_at_us": events.start_us, "state_hash": hashes}
    )


def _exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [schema, name],
    ).fetchone()
    return bool(row and row[0])


def _full(reason: str) -> Plan:
    return Plan(mode="full", reason=reason, first=0, t0_us=None)


def plan_build(
    con: duckdb.DuckDBPyConnection, events: Events, state: pd.DataFrame, fingerprint: str, full: bool = False
) -> Plan:
    """Full rebuild or incremental build, and from which event on."""
    if full:
        return _full("requested")
    if not state[c.EVENT_ID].is_unique:
        return _full("event ids are not unique")
    if not (
        _exists(con, STATE_SCHEMA, BUILD_STATE)
        and _exists(con, STATE_SCHEMA, EVENT_STATE)
        and _exists(con, "marts", c.EVENT_SIMILARITY)
    ):
        return _full("no previous index build")
    build = con.execute(
        f'SELECT config_fingerprint, index_version, pairs FROM "{STATE_SCHEMA}"."{BUILD_STATE}"'
    ).fetchall()
    if len(build) != 1:
        return _full("no previous index build")
    previous_fingerprint, version, pairs = build[0]
    if previous_fingerprint != fingerprint:
        return _full("the configuration changed")
    if version != INDEX_VERSION:
        return _full("the index version changed")
    rows = con.execute(
        f'SELECT count(*), count(DISTINCT config_fingerprint), any_value(config_fingerprint) FROM "marts"."{c.EVENT_SIMILARITY}"'
    ).fetchone()
    if rows is None or rows[0] != pairs or (rows[0] and (rows[1] != 1 or rows[2] != fingerprint)):
        return _full(f"marts.{c.EVENT_SIMILARITY} is not what the previous build wrote")
    old = con.execute(
        f'SELECT {c.EVENT_ID}, starts_at_us, state_hash FROM "{STATE_SCHEMA}"."{EVENT_STATE}"'
    ).fetchdf()
    new = state[~state[c.EVENT_ID].isin(old[c.EVENT_ID])]
    removed = old[~old[c.EVENT_ID].isin(state[c.EVENT_ID])]
    both = state.merge(old, on=c.EVENT_ID, how="inner", suffixes=("", "_old"))
    changed = both[
        (both["state_hash"].to_numpy(dtype=np.uint64) != both["state_hash_old"].to_numpy(dtype=np.uint64))
        | (both["starts_at_us"].to_numpy(dtype=np.int64) != both["starts_at_us_old"].to_numpy(dtype=np.int64))
    ]
    starts = np.concatenate(
        [
            new["starts_at_us"].to_numpy(dtype=np.int64),
            removed["starts_at_us"].to_numpy(dtype=np.int64),
            changed["starts_at_us"].to_numpy(dtype=np.int64),
            changed["starts_at_us_old"].to_numpy(dtype=np.int64),
        ]
    )
    counts = {"new": len(new), "removed": len(removed), "changed": len(changed)}
    if not len(starts):
        return Plan(mode="incremental", reason="no event changed", first=len(events), t0_us=None, **counts)
    t0 = int(starts.min())
    first = int(np.searchsorted(events.start_us, t0, side="left"))
    return Plan(mode="incremental", reason="events changed", first=first, t0_us=t0, **counts)


def incremental_edits(new_rows: pd.DataFrame, snapshot: str, t0_us: int | None) -> list[Edit]:
    """The statements that turn the previous ``marts.event_similarity`` into the new one: drop the rows
    of every event that is recomputed or gone, add the recomputed rows, stamp the data snapshot.

    Run in the transaction that replaces ``similarity_state.event_state``, before it: the previous
    state says which events were kept (those that started before ``t0_us``)."""
    table = f'"marts"."{c.EVENT_SIMILARITY}"'
    edits: list[Edit] = []
    if t0_us is not None:
        edits.append(
            Edit(
                f"DELETE FROM {table} WHERE {c.EVENT_ID} NOT IN (SELECT {c.EVENT_ID} "
                f'FROM "{STATE_SCHEMA}"."{EVENT_STATE}" WHERE starts_at_us < ? AND {c.EVENT_ID} IS NOT NULL)',
                (t0_us,),
            )
        )
    if len(new_rows):
        edits.append(
            Edit(f"INSERT INTO {table} BY NAME SELECT * FROM __new_rows", (), {"__new_rows": new_rows})
        )
    edits.append(
        Edit(f"UPDATE {table} SET data_snapshot_id = ? WHERE data_snapshot_id <> ?", (snapshot, snapshot))
    )
    return edits


def kept_pairs(con: duckdb.DuckDBPyConnection, since_us: int, t0_us: int | None) -> pd.DataFrame:
    """(event, neighbour, rank, D²) of the previous build for the events that started in
    [since_us, t0_us): kept as they are, and needed by the backtest."""
    upper = "" if t0_us is None else "AND starts_at_us < ?"
    params = [since_us] if t0_us is None else [since_us, t0_us]
    return con.execute(
        f'SELECT s.{c.EVENT_ID}, s.neighbour_event_id, s.rank, s.d2 FROM "marts"."{c.EVENT_SIMILARITY}" s '
        f'WHERE s.{c.EVENT_ID} IN (SELECT {c.EVENT_ID} FROM "{STATE_SCHEMA}"."{EVENT_STATE}" '
        f"WHERE starts_at_us >= ? {upper})",
        params,
    ).fetchdf()

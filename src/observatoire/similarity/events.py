"""Events as column arrays, in the index's canonical order: by start time, then event id.

The canonical order makes the tie rule of DESIGN §5 (later start first, then event id) a comparison of
positions, and lets "started strictly before" be a binary search on the start column.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import columns as c

# Stored as UTC microseconds since the epoch: exact, and cheap to compare and search.
_US = np.int64(1_000_000)


@dataclass(frozen=True)
class AxisArrays:
    """The eight axes of events (or of one planned event), ready for the exact distance formulas.

    ``log_*`` hold log10(1 + value), unscaled: scales belong to the configuration, not the data.
    Natures and families are integer codes in a vocabulary shared by everything compared.
    """

    latitude: np.ndarray
    longitude: np.ndarray
    log_participants: np.ndarray
    log_emprise: np.ndarray
    log_duration: np.ndarray
    nature: np.ndarray
    family: np.ndarray
    sector: np.ndarray
    weekend: np.ndarray
    summer: np.ndarray

    def take(self, index: np.ndarray | int) -> AxisArrays:
        idx = np.atleast_1d(np.asarray(index))
        return AxisArrays(**{name: getattr(self, name)[idx] for name in self.__dataclass_fields__})


@dataclass(frozen=True)
class Events:
    frame: pd.DataFrame
    """fct_event rows in canonical order (index 0..n-1), for display and outcomes."""
    ids: np.ndarray
    start_us: np.ndarray
    took_place: np.ndarray
    axes: AxisArrays
    natures: tuple[str, ...]
    families: tuple[str, ...]
    family_of_nature: dict[str, str]

    def __len__(self) -> int:
        return len(self.ids)

    def outcome_matrix(self, outcomes: tuple[str, ...]) -> np.ndarray:
        """Outcomes as floats (n x len(outcomes)); a missing outcome is NaN and is skipped in means."""
        return self.frame.loc[:, list(outcomes)].astype("float64").to_numpy()

    def snapshot_id(self) -> str:
        """A fingerprint of the data the index was computed on (ids, axes, eligibility, outcomes)."""
        digest = hashlib.sha256()
        digest.update("\x1f".join(self.ids.tolist()).encode("utf-8"))
        digest.update(self.start_us.tobytes())
        digest.update(self.took_place.tobytes())
        for name in self.axes.__dataclass_fields__:
            digest.update(np.ascontiguousarray(getattr(self.axes, name)).tobytes())
        outcome_cols = [o for o in c.OUTCOMES if o in self.frame.columns]
        digest.update(self.frame.loc[:, outcome_cols].astype("float64").to_numpy().tobytes())
        return "sha256:" + digest.hexdigest()[:32]


def log1p10(values: np.ndarray | pd.Series) -> np.ndarray:
    return np.log10(1.0 + np.asarray(values, dtype="float64"))


def to_utc_microseconds(values: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    stamps = pd.to_datetime(values, utc=True)
    return np.asarray(stamps.astype("datetime64[us, UTC]").astype("int64"), dtype=np.int64)


def from_utc_microseconds(value: int) -> pd.Timestamp:
    return pd.Timestamp(int(value), unit="us", tz="UTC")


def events_from_frame(frame: pd.DataFrame, extra_natures: dict[str, str] | None = None) -> Events:
    """Canonical ``Events`` from fct_event rows. Rows missing an axis value cannot be compared and are
    dropped by the caller beforehand (see ``loading.load_events``)."""
    missing = [col for col in c.AXIS_INPUTS if col not in frame.columns]
    if missing:
        raise ValueError(f"fct_event lacks the columns {missing}")
    frame = frame.copy()
    frame["_start_us"] = to_utc_microseconds(frame[c.STARTS_AT])
    frame = frame.sort_values(["_start_us", c.EVENT_ID], kind="mergesort").reset_index(drop=True)
    family_of_nature = dict(zip(frame[c.NATURE].astype(str), frame[c.NATURE_FAMILY].astype(str), strict=True))
    for nature, family in (extra_natures or {}).items():
        family_of_nature.setdefault(nature, family)
    natures = tuple(sorted(family_of_nature))
    families = tuple(sorted(set(family_of_nature.values())))
    nature_code = {n: i for i, n in enumerate(natures)}
    family_code = {f: i for i, f in enumerate(families)}
    axes = AxisArrays(
        latitude=frame[c.LATITUDE].to_numpy(dtype="float64"),
        longitude=frame[c.LONGITUDE].to_numpy(dtype="float64"),
        log_participants=log1p10(frame[c.PARTICIPANTS]),
        log_emprise=log1p10(frame[c.EMPRISE_M2]),
        log_duration=log1p10(frame[c.DURATION_HOURS]),
        nature=frame[c.NATURE].astype(str).map(nature_code).to_numpy(dtype=np.int64),
        family=frame[c.NATURE_FAMILY].astype(str).map(family_code).to_numpy(dtype=np.int64),
        sector=frame[c.SECTOR].to_numpy(dtype=np.int64),
        weekend=frame[c.IS_WEEKEND].to_numpy(dtype=bool),
        summer=frame[c.IS_SUMMER].to_numpy(dtype=bool),
    )
    return Events(
        frame=frame,
        ids=frame[c.EVENT_ID].astype(str).to_numpy(dtype=object),
        start_us=frame["_start_us"].to_numpy(dtype=np.int64),
        took_place=frame[c.TOOK_PLACE].fillna(False).to_numpy(dtype=bool),
        axes=axes,
        natures=natures,
        families=families,
        family_of_nature=family_of_nature,
    )

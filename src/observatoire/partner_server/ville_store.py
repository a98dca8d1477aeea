"""City REST API datasets held in memory, sorted by (``maj``, ``id``), paged in milliseconds.

Records are kept as the JSON text of their line in the store (served verbatim); only ``id`` and ``maj``
are parsed, with pyarrow and pandas, so that ten years of records load in about a second.
"""

from __future__ import annotations

import io
import math
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.json as pa_json

from ..contracts import Contract


@dataclass(frozen=True)
class CityPage:
    records: list[bytes]
    """Records as UTF-8 JSON texts, in (maj, id) order."""
    total: int


def _read(path: Path, key_field: str, updated_field: str) -> pd.DataFrame:
    lines = [line.strip() for line in path.read_bytes().splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        return pd.DataFrame({"maj": pd.Series(dtype="float64"), "id": [], "text": []})
    schema = pa.schema([(key_field, pa.string()), (updated_field, pa.string())])
    options = pa_json.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    try:
        table = pa_json.read_json(io.BytesIO(b"\n".join(lines)), parse_options=options)
    except pa.ArrowInvalid as error:
        raise ValueError(f"{path}: unreadable JSON lines ({error})") from error
    if table.num_rows != len(lines):
        raise ValueError(f"{path}: {len(lines)} lines but {table.num_rows} records")
    ids = table.column(key_field).to_pandas()
    updated = table.column(updated_field).to_pandas()
    if ids.isna().any() or updated.isna().any():
        raise ValueError(f"{path}: every record needs {key_field!r} and {updated_field!r}")
    try:
        instants = pd.to_datetime(updated, utc=True, format="ISO8601")
    except (ValueError, TypeError) as error:
        raise ValueError(f"{path}: unreadable {updated_field!r} ({error})") from error
    maj = instants.astype("int64").to_numpy() / 1e9
    return pd.DataFrame({"maj": maj, "id": ids.to_numpy(), "text": lines})


class CityDataset:
    """One city dataset (``partners/ville/<dataset>.jsonl``).

    The file may hold several versions of a record (same ``id``, later ``maj``); at a given simulated
    instant the API serves only the latest version already written.
    """

    def __init__(self, contract: Contract, path: Path) -> None:
        self.contract = contract
        self.path = path
        frame = _read(path, contract.key[0], contract.updated_field or "maj")
        frame = frame.sort_values(["maj", "id"], kind="mergesort").reset_index(drop=True)
        # When each version is superseded by a later version of the same id (inf if never).
        superseded = frame.groupby("id", sort=False)["maj"].shift(-1)
        self._maj: np.ndarray = frame["maj"].to_numpy(dtype="float64")
        self._next_maj: np.ndarray = superseded.fillna(math.inf).to_numpy(dtype="float64")
        self._texts: list[bytes] = frame["text"].tolist()
        self.version_count = len(frame)
        self.current_count = int(frame["id"].nunique())
        self.has_versions = self.current_count < self.version_count
        self._cache_lock = threading.Lock()
        self._cache: tuple[tuple[float, float], np.ndarray] | None = None

    def _selection(self, since: float, now: float) -> tuple[int, int, np.ndarray | None]:
        low = int(np.searchsorted(self._maj, since, side="right"))
        high = len(self._maj) if math.isinf(now) else int(np.searchsorted(self._maj, now, side="right"))
        if not self.has_versions and math.isinf(now):
            return low, high, None
        with self._cache_lock:
            if self._cache is not None and self._cache[0] == (since, now):
                return low, high, self._cache[1]
        superseded = self._next_maj[low:high]
        current = np.isinf(superseded) if math.isinf(now) else superseded > now
        selected = np.nonzero(current)[0] + low
        with self._cache_lock:
            self._cache = ((since, now), selected)
        return low, high, selected

    def page(self, since: float, now: float, page: int, page_size: int) -> CityPage:
        """Records with ``since < maj <= now`` (current versions at ``now``), page ``page`` (from 1)."""
        low, high, selected = self._selection(since, now)
        first = (page - 1) * page_size
        if selected is None:
            start = min(low + first, high)
            return CityPage(self._texts[start : min(start + page_size, high)], high - low)
        chosen = selected[first : first + page_size]
        return CityPage([self._texts[int(i)] for i in chosen], len(selected))

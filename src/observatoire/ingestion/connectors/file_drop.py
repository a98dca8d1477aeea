"""File drop (Préfecture exports, municipal police activity): ``<drop>/<partner>/<dataset>/<dataset>_YYYY-MM-DD.csv``.

Picks the files not landed yet whose day (Europe/Paris) is over at the end of the pull's interval; there is
no lower bound, so a late file is picked up by the next run. Each file is one delivery, copied into landing unchanged. A small index in
``state/file_drop/`` remembers (size, mtime) of files already staged so that a run does not re-read
ten years of files.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from ...config import paths
from ...contracts import Contract
from ..delivery import DeliveryFile, FetchedDelivery, files_hash
from ..intervals import Interval
from ..landing import where_is, write_json_atomically

log = logging.getLogger(__name__)
FILE_DAY_ZONE = "Europe/Paris"


def _index_path(contract: Contract) -> Path:
    return paths().state / "file_drop" / f"{contract.table}.json"


def _read_index(contract: Contract) -> dict[str, Any]:
    path = _index_path(contract)
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


class DropIndex:
    def __init__(self, contract: Contract):
        self.contract = contract
        self.entries = _read_index(contract)
        self.changed = False

    def known(self, path: Path, stat: os.stat_result | None = None) -> bool:
        entry = self.entries.get(path.name)
        if not entry:
            return False
        stat = stat or path.stat()
        if entry.get("size") != stat.st_size or entry.get("mtime_ns") != stat.st_mtime_ns:
            return False
        return where_is(self.contract, str(entry.get("delivery_id"))) is not None

    def remember(self, path: Path, delivery_id: str) -> None:
        stat = path.stat()
        self.entries[path.name] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "delivery_id": delivery_id}
        self.changed = True

    def save(self) -> None:
        if self.changed:
            write_json_atomically(_index_path(self.contract), self.entries)
            self.changed = False


def drop_files(
    contract: Contract, drop_root: Path, interval: Interval, index: DropIndex | None = None
) -> list[tuple[date, Path]]:
    """The dropped files whose day is over at the end of ``interval`` (not those ``index`` knows already)."""
    folder = drop_root / contract.partner / contract.dataset
    pattern = re.compile(rf"{re.escape(contract.dataset)}_(\d{{4}}-\d{{2}}-\d{{2}})\.csv")
    found = []
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return []
    for entry in entries:
        if entry.name.startswith(".") or not entry.is_file():
            continue
        match = pattern.fullmatch(entry.name)
        if match is None:
            log.warning("file drop %s: ignoring %s (expected %s_YYYY-MM-DD.csv)", folder, entry.name, contract.dataset)
            continue
        path = Path(entry.path)
        # Files landed by an earlier run: one stat each, nothing read (the drop keeps years of files).
        if index is not None and index.known(path, entry.stat()):
            continue
        try:
            day = date.fromisoformat(match.group(1))
        except ValueError:
            log.warning("file drop %s: ignoring %s (not a real date)", folder, entry.name)
            continue
        day_interval = Interval.of_day(day, FILE_DAY_ZONE)
        if interval.end is not None and day_interval.end is not None and day_interval.end > interval.end:
            continue  # the day is not over at the end of the interval
        found.append((day, path))
    return sorted(found)


def fetch_drop_files(contract: Contract, drop_root: Path, interval: Interval, index: DropIndex) -> Iterator[FetchedDelivery]:
    """One delivery per dropped file not landed yet (call ``index.remember`` once it is landed)."""
    for day, path in drop_files(contract, drop_root, interval, index):
        item = DeliveryFile(path.name, path.read_bytes())
        yield FetchedDelivery(
            contract=contract,
            interval=Interval.of_day(day, FILE_DAY_ZONE),
            files=[item],
            payload="csv",
            source=str(path),
            connector="file_drop",
            content_hash=files_hash([item]),
            details={"day": day.isoformat(), "file": path.name},
        )

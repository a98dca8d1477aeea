"""What a connector hands over: one delivery (one or more files) with where and when it came from."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from ..contracts import Contract
from .intervals import Interval

PayloadKind = Literal["csv", "json_pages", "json_array", "json_auto"]
"""How to read the files: a CSV file; API pages holding a list under ``records_key``; one JSON array;
``json_auto`` (manual deliveries): a JSON array, an object with ``data``/``results``, or JSON lines."""


@dataclass(frozen=True)
class DeliveryFile:
    name: str
    data: bytes

    @cached_property
    def sha256(self) -> str:
        """Computed once (the delivery id and the manifest both need it)."""
        return hashlib.sha256(self.data).hexdigest()


def files_hash(files: Iterable[DeliveryFile]) -> str:
    """Content hash of files delivered as they are (names and bytes)."""
    digest = hashlib.sha256()
    for item in files:
        digest.update(f"{item.name}\0{item.sha256}\n".encode())
    return digest.hexdigest()


def records_hash(records: Iterable[dict[str, Any]]) -> str:
    """Content hash of API records, independent of paging and of the URLs inside the pages."""
    digest = hashlib.sha256()
    for record in records:
        digest.update(json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def make_delivery_id(interval: Interval | None, content_hash: str) -> str:
    """Deterministic: the same interval with the same content always gives the same id."""
    prefix = "manual" if interval is None else interval.label
    return f"{prefix}-{content_hash[:16]}"


@dataclass
class FetchedDelivery:
    contract: Contract
    interval: Interval | None
    files: list[DeliveryFile]
    payload: PayloadKind
    source: str
    """URL(s) or path the delivery came from (no credentials)."""
    connector: str
    content_hash: str
    records_key: str | None = None
    expected_rows: int | None = None
    """Rows the partner announced (``total``/``total_count``), checked after parsing."""
    details: dict[str, Any] = field(default_factory=dict)
    """Connector specifics kept in the manifest (request parameters, watermark candidate…)."""

    @cached_property
    def delivery_id(self) -> str:
        """Computed once (asked at every step of a delivery's way)."""
        return make_delivery_id(self.interval, self.content_hash)

    @property
    def bytes(self) -> int:
        return sum(len(f.data) for f in self.files)

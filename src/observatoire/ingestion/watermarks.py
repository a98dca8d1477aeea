"""Watermarks of incremental feeds: ``state/watermarks/<partner>__<dataset>.json``.

A watermark moves only after the delivery it covers is loaded, so a failed run pulls the same records
again (the load is idempotent).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from ..config import paths
from ..contracts import Contract
from .intervals import iso, parse_instant
from .landing import now_utc, write_json_atomically


def watermark_path(contract: Contract) -> Path:
    return paths().state / "watermarks" / f"{contract.table}.json"


def read_watermark(contract: Contract) -> datetime | None:
    path = watermark_path(contract)
    if not path.is_file():
        return None
    value = json.loads(path.read_text(encoding="utf-8")).get("updated_since")
    return parse_instant(value) if value else None


def advance_watermark(contract: Contract, value: datetime, delivery_id: str) -> None:
    """Move the watermark forward (never backwards)."""
    current = read_watermark(contract)
    if current is not None and current >= value:
        return
    write_json_atomically(
        watermark_path(contract),
        {"updated_since": iso(value), "delivery_id": delivery_id, "updated_at": now_utc()},
    )


def reset_watermark(contract: Contract) -> None:
    watermark_path(contract).unlink(missing_ok=True)

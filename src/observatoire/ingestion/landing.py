"""Immutable landing: one folder per delivery with its files unchanged and a ``manifest.json``.

A delivery first goes to ``landing/.incoming/<partner>/<dataset>/<delivery_id>/`` (written to a temporary
folder, then renamed). The delivery gate then either promotes it to
``landing/<partner>/<dataset>/<delivery_id>/`` (manifest completed, files and folder made read-only) or
moves it whole to ``quarantine/<partner>/<dataset>/<delivery_id>/`` with ``reason.json``. A delivery id
that already exists anywhere is not written again: re-pulling the same interval is a no-op.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from ..config import Paths, paths
from ..contracts import Contract
from .delivery import FetchedDelivery

MANIFEST = "manifest.json"
REASON = "reason.json"
INCOMING = ".incoming"
Stage = Literal["incoming", "landing", "quarantine"]


def now_utc() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


_PATHS_CACHE: dict[str | None, Paths] = {}


def _paths() -> Paths:
    """``config.paths()``, resolved once per ``OBSERVATOIRE_HOME`` value (called for every delivery)."""
    key = os.environ.get("OBSERVATOIRE_HOME")
    if key not in _PATHS_CACHE:
        _PATHS_CACHE[key] = paths()
    return _PATHS_CACHE[key]


def dataset_dir(stage: Stage, contract: Contract) -> Path:
    p = _paths()
    if stage == "incoming":
        return p.landing / INCOMING / contract.partner / contract.dataset
    if stage == "landing":
        return p.landing / contract.partner / contract.dataset
    return p.quarantine / contract.partner / contract.dataset


def delivery_dir(stage: Stage, contract: Contract, delivery_id: str) -> Path:
    return dataset_dir(stage, contract) / delivery_id


def where_is(contract: Contract, delivery_id: str) -> Stage | None:
    """Where a delivery already is (a quarantined delivery counts only if it was rejected whole)."""
    if delivery_dir("landing", contract, delivery_id).is_dir():
        return "landing"
    if (delivery_dir("quarantine", contract, delivery_id) / MANIFEST).is_file():
        return "quarantine"
    if (delivery_dir("incoming", contract, delivery_id) / MANIFEST).is_file():
        return "incoming"
    return None


def write_json_atomically(path: Path, payload: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(payload, handle, ensure_ascii=False, indent=2, default=str)
            handle.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_manifest(folder: Path) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    return result


def stage_incoming(fetched: FetchedDelivery) -> tuple[str, Stage | None]:
    """Write a fetched delivery to the incoming area unless it is already known.

    Returns ``(delivery_id, where it already was or None if newly staged)``.
    """
    contract = fetched.contract
    delivery_id = fetched.delivery_id
    known = where_is(contract, delivery_id)
    if known is not None:
        return delivery_id, known
    target = delivery_dir("incoming", contract, delivery_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=f".{delivery_id}.", dir=target.parent))
    try:
        for item in fetched.files:
            (temporary / item.name).write_bytes(item.data)
        manifest = {
            "delivery_id": delivery_id,
            "partner": contract.partner,
            "dataset": contract.dataset,
            "table": contract.qualified_table,
            "contract_version": contract.version,
            "connector": fetched.connector,
            "source": fetched.source,
            "interval": None if fetched.interval is None else fetched.interval.to_dict(),
            "received_at": now_utc(),
            "payload": fetched.payload,
            "records_key": fetched.records_key,
            "sha256": fetched.content_hash,
            "bytes": fetched.bytes,
            "files": [{"name": f.name, "bytes": len(f.data), "sha256": f.sha256} for f in fetched.files],
            "expected_rows": fetched.expected_rows,
            "details": fetched.details,
        }
        write_json_atomically(temporary / MANIFEST, manifest)
        os.rename(temporary, target)
    except OSError:
        shutil.rmtree(temporary, ignore_errors=True)
        if not target.is_dir():
            raise
        # Another process staged the same delivery meanwhile: same id, same content.
    return delivery_id, None


def _make_read_only(folder: Path) -> None:
    for item in folder.iterdir():
        item.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)


def promote(contract: Contract, delivery_id: str, manifest_updates: dict[str, Any]) -> Path:
    """Complete the manifest and move an incoming delivery into the landing area, read-only."""
    source = delivery_dir("incoming", contract, delivery_id)
    target = delivery_dir("landing", contract, delivery_id)
    manifest = read_manifest(source)
    manifest.update(manifest_updates)
    manifest["landed_at"] = now_utc()
    write_json_atomically(source / MANIFEST, manifest)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.rename(source, target)
    _make_read_only(target)
    return target


def reject_whole(contract: Contract, delivery_id: str, reason: dict[str, Any]) -> Path:
    """Move an incoming delivery whole into quarantine with ``reason.json``; nothing of it is loaded."""
    source = delivery_dir("incoming", contract, delivery_id)
    target = delivery_dir("quarantine", contract, delivery_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        shutil.rmtree(target)
    manifest = read_manifest(source)
    manifest["quarantined_at"] = now_utc()
    manifest["status"] = reason.get("kind", "rejected")
    write_json_atomically(source / MANIFEST, manifest)
    os.rename(source, target)
    write_json_atomically(target / REASON, {"delivery_id": delivery_id, **reason, "at": now_utc()})
    return target


def incoming_ids(contract: Contract) -> list[str]:
    folder = dataset_dir("incoming", contract)
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def landed_ids(contract: Contract) -> list[str]:
    folder = dataset_dir("landing", contract)
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))

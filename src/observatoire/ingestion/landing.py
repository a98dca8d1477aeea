"""Immutable landing: one folder per delivery with its files unchanged and a ``manifest.json``.

Airflow's three steps: a pulled delivery first goes to ``landing/.incoming/<partner>/<dataset>/<delivery_id>/``
(written to a temporary folder, then renamed). The delivery gate then either promotes it to
``landing/<partner>/<dataset>/<delivery_id>/`` (manifest completed, files and folder made read-only) or
moves it whole to ``quarantine/<partner>/<dataset>/<delivery_id>/`` with ``reason.json``. In one process
(:func:`land_new`, :func:`quarantine_new`) a delivery is held in memory while the gate decides and then
written once, straight to its final place, the same way (hidden folder renamed into place). A delivery
id that already exists anywhere is not written again: re-pulling the same interval is a no-op.

Pending journal: before the gate's decisions are carried out (deliveries landed or quarantined), their
ids are written to ``landing/.pending/<partner>/<dataset>/<name>.json``; the file is removed once they are
all recorded in the warehouse's delivery ledger. A run therefore finds the deliveries an interrupted run landed but did
not load by reading that small folder, not by listing years of delivery folders.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from ..config import Paths, paths
from ..contracts import Contract
from .delivery import DeliveryFile, FetchedDelivery

MANIFEST = "manifest.json"
REASON = "reason.json"
INCOMING = ".incoming"
PENDING = ".pending"
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


_DIRS_CACHE: dict[tuple[str, str, str], Path] = {}


def dataset_dir(stage: Stage, contract: Contract) -> Path:
    p = _paths()
    key = (str(p.landing), stage, contract.table)
    folder = _DIRS_CACHE.get(key)
    if folder is None:
        if stage == "incoming":
            folder = p.landing / INCOMING / contract.partner / contract.dataset
        elif stage == "landing":
            folder = p.landing / contract.partner / contract.dataset
        else:
            folder = p.quarantine / contract.partner / contract.dataset
        _DIRS_CACHE[key] = folder
    return folder


def delivery_dir(stage: Stage, contract: Contract, delivery_id: str) -> Path:
    return dataset_dir(stage, contract) / delivery_id


def where_is(contract: Contract, delivery_id: str) -> Stage | None:
    """Where a delivery already is (a quarantined delivery counts only if it was rejected whole)."""
    if os.path.isdir(os.path.join(dataset_dir("landing", contract), delivery_id)):
        return "landing"
    if os.path.isfile(os.path.join(dataset_dir("quarantine", contract), delivery_id, MANIFEST)):
        return "quarantine"
    if os.path.isfile(os.path.join(dataset_dir("incoming", contract), delivery_id, MANIFEST)):
        return "incoming"
    return None


def write_json_atomically(path: Path, payload: Any) -> None:
    _write_text_atomically(path, json.dumps(payload, ensure_ascii=False, indent=2, default=str) + "\n")


def _write_text_atomically(path: Path, text: str) -> None:
    """``path`` replaced whole by ``text`` (a temporary file renamed over it: readers never see half)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(text)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(text)
    try:
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def read_manifest(folder: Path) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    return result


def new_manifest(fetched: FetchedDelivery) -> dict[str, Any]:
    """The manifest of a delivery just fetched (completed when it lands or is quarantined)."""
    contract = fetched.contract
    return {
        "delivery_id": fetched.delivery_id,
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


def stage_incoming(fetched: FetchedDelivery) -> tuple[str, Stage | None, dict[str, Any] | None]:
    """Write a fetched delivery to the incoming area unless it is already known.

    Returns ``(delivery_id, where it already was or None if newly staged, the manifest written or None)``.
    The files and the manifest are written into a temporary folder renamed into place: a delivery is in
    the incoming area whole or not at all.
    """
    contract = fetched.contract
    delivery_id = fetched.delivery_id
    known = where_is(contract, delivery_id)
    if known is not None:
        return delivery_id, known, None
    target = delivery_dir("incoming", contract, delivery_id)
    temporary = _new_folder(target)
    manifest = new_manifest(fetched)
    try:
        for item in fetched.files:
            with open(os.path.join(temporary, item.name), "wb") as handle:
                handle.write(item.data)
        # The folder is not visible yet: its manifest needs no temporary file of its own.
        with open(os.path.join(temporary, MANIFEST), "w", encoding="utf-8") as handle:
            handle.write(_manifest_text(manifest))
        os.rename(temporary, target)
    except OSError:
        if target.is_dir() and not (target / MANIFEST).is_file():
            # Debris of a promotion interrupted between its two renames (see promote): stage again.
            shutil.rmtree(target)
            os.rename(temporary, target)
            return delivery_id, None, manifest
        shutil.rmtree(temporary, ignore_errors=True)
        if not target.is_dir():
            raise
        # Another process staged the same delivery meanwhile: same id, same content.
        return delivery_id, "incoming", None
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return delivery_id, None, manifest


def _new_folder(target: Path) -> str:
    """A new hidden folder beside ``target`` (renamed to ``target`` once complete)."""
    temporary = os.path.join(target.parent, f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        os.mkdir(temporary)
    except FileNotFoundError:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.mkdir(temporary)
    return temporary


READ_ONLY_FILE = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
READ_ONLY_FOLDER = READ_ONLY_FILE | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH


def _write_new(path: str, data: bytes, mode: int = 0o644) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view):]
    finally:
        os.close(descriptor)


def land_new(
    contract: Contract,
    delivery_id: str,
    files: list[DeliveryFile],
    manifest: dict[str, Any],
    manifest_updates: dict[str, Any],
) -> dict[str, Any]:
    """Land a delivery held in memory (fetched in this process, passed by the gate) straight into the
    landing area: files unchanged and the complete manifest, read-only, written into a hidden folder
    renamed into place (all or nothing). Returns the landed manifest."""
    manifest = {**manifest, **manifest_updates, "landed_at": now_utc()}
    target = delivery_dir("landing", contract, delivery_id)
    temporary = _new_folder(target)
    try:
        for item in files:
            _write_new(os.path.join(temporary, item.name), item.data, READ_ONLY_FILE)
        _write_new(os.path.join(temporary, MANIFEST), _manifest_text(manifest).encode("utf-8"), READ_ONLY_FILE)
        os.chmod(temporary, READ_ONLY_FOLDER)
        os.rename(temporary, target)
    except BaseException:
        _remove_folder(temporary)
        if not target.is_dir():
            raise
        # Landed meanwhile by another process: same id, same content.
    return manifest


def quarantine_new(
    contract: Contract,
    delivery_id: str,
    files: list[DeliveryFile],
    manifest: dict[str, Any],
    reason: dict[str, Any],
) -> Path:
    """Quarantine whole a delivery held in memory, with ``reason.json`` (as :func:`reject_whole` does for
    an incoming one)."""
    manifest = {**manifest, "quarantined_at": now_utc(), "status": reason.get("kind", "rejected")}
    target = delivery_dir("quarantine", contract, delivery_id)
    temporary = _new_folder(target)
    try:
        for item in files:
            _write_new(os.path.join(temporary, item.name), item.data)
        _write_new(os.path.join(temporary, MANIFEST), _manifest_text(manifest).encode("utf-8"))
        reason_text = json.dumps({"delivery_id": delivery_id, **reason, "at": now_utc()}, ensure_ascii=False,
                                 indent=2, default=str) + "\n"
        _write_new(os.path.join(temporary, REASON), reason_text.encode("utf-8"))
        if target.exists():
            shutil.rmtree(target)
        os.rename(temporary, target)
    except BaseException:
        _remove_folder(temporary)
        raise
    return target


def _remove_folder(folder: str) -> None:
    if os.path.isdir(folder):
        os.chmod(folder, stat.S_IRWXU)
        shutil.rmtree(folder, ignore_errors=True)


def _manifest_text(manifest: dict[str, Any]) -> str:
    return json.dumps(manifest, ensure_ascii=False, indent=2, default=str) + "\n"


def _make_read_only(folder: Path, names: list[str] | None = None) -> None:
    for name in names if names is not None else os.listdir(folder):
        os.chmod(folder / name, READ_ONLY_FILE)
    folder.chmod(READ_ONLY_FOLDER)


def promote(
    contract: Contract,
    delivery_id: str,
    manifest_updates: dict[str, Any],
    manifest: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Complete the manifest and move an incoming delivery into the landing area, read-only; returns the
    landed manifest.

    ``manifest``: the incoming manifest when the caller holds it (not read again from disk).
    """
    source = delivery_dir("incoming", contract, delivery_id)
    target = delivery_dir("landing", contract, delivery_id)
    manifest = dict(manifest if manifest is not None else read_manifest(source))
    manifest.update(manifest_updates)
    manifest["landed_at"] = now_utc()
    _rewrite_manifest(source, manifest)
    try:
        os.rename(source, target)
    except FileNotFoundError:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.rename(source, target)
    _make_read_only(target, [f["name"] for f in manifest.get("files") or []] + [MANIFEST])
    return manifest


def _rewrite_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    """Replace the manifest of an incoming delivery: the new one is written beside it, the old one removed,
    the new one renamed into place. (Renaming over an existing file makes ext4 flush the new file's data
    first, a disk wait per delivery.) A crash in between leaves an incoming folder without a manifest:
    not a delivery for any reader, and staged again by :func:`stage_incoming` when pulled again."""
    path = folder / MANIFEST
    fresh = folder / f".{MANIFEST}.new"
    with open(fresh, "w", encoding="utf-8") as handle:
        handle.write(_manifest_text(manifest))
    path.unlink(missing_ok=True)
    os.rename(fresh, path)


def reject_whole(
    contract: Contract, delivery_id: str, reason: dict[str, Any], manifest: dict[str, Any] | None = None
) -> Path:
    """Move an incoming delivery whole into quarantine with ``reason.json``; nothing of it is loaded."""
    source = delivery_dir("incoming", contract, delivery_id)
    target = delivery_dir("quarantine", contract, delivery_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        shutil.rmtree(target)
    manifest = dict(manifest if manifest is not None else read_manifest(source))
    manifest["quarantined_at"] = now_utc()
    manifest["status"] = reason.get("kind", "rejected")
    _rewrite_manifest(source, manifest)
    os.rename(source, target)
    write_json_atomically(target / REASON, {"delivery_id": delivery_id, **reason, "at": now_utc()})
    return target


def withdraw(contract: Contract, delivery_id: str, reason: dict[str, Any]) -> Path:
    """Move a *landed* delivery whole into quarantine with ``reason.json`` (a rule it breaks was added
    after it landed: see :func:`observatoire.ingestion.service.reload_from_landing`). Its files are kept
    unchanged; its manifest records when and why it was withdrawn."""
    source = delivery_dir("landing", contract, delivery_id)
    target = delivery_dir("quarantine", contract, delivery_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        # Rows quarantined at load time (rows.csv + reason.json): the whole delivery supersedes them.
        shutil.rmtree(target)
    manifest = read_manifest(source)
    manifest["withdrawn_at"] = now_utc()
    manifest["status"] = reason.get("kind", "rejected")
    mode = source.stat().st_mode
    # A landed folder is read-only; moving a folder to another parent needs write access to it.
    source.chmod(mode | stat.S_IWUSR)
    try:
        _write_text_atomically(source / MANIFEST, _manifest_text(manifest))
        os.rename(source, target)
    except BaseException:
        source.chmod(mode)
        raise
    write_json_atomically(target / REASON, {"delivery_id": delivery_id, **reason, "at": now_utc()})
    return target


def _ids_in(folder: Path) -> list[str]:
    try:
        with os.scandir(folder) as entries:
            return sorted(e.name for e in entries if not e.name.startswith(".") and e.is_dir())
    except FileNotFoundError:
        return []


# ------------------------------------------------------------------------------------ pending journal


def pending_dir(contract: Contract) -> Path:
    return _paths().landing / PENDING / contract.partner / contract.dataset


def note_pending(contract: Contract, delivery_ids: list[str]) -> Path | None:
    """Journal ``delivery_ids`` as about to leave the incoming area (before they are moved)."""
    if not delivery_ids:
        return None
    path = pending_dir(contract) / f"{now_utc().replace(':', '')}-{secrets.token_hex(4)}.json"
    write_json_atomically(path, {"delivery_ids": list(delivery_ids)})
    return path


def pending(contract: Contract) -> tuple[list[Path], list[str]]:
    """The journal files of ``contract`` and the delivery ids they list (in journal order, once each)."""
    folder = pending_dir(contract)
    try:
        names = sorted(n for n in os.listdir(folder) if n.endswith(".json") and not n.startswith("."))
    except FileNotFoundError:
        return [], []
    files = [folder / name for name in names]
    ids: dict[str, None] = {}
    for path in files:
        try:
            listed = json.loads(path.read_text(encoding="utf-8")).get("delivery_ids") or []
        except (OSError, ValueError):
            continue
        ids.update((str(i), None) for i in listed)
    return files, list(ids)


def clear_pending(files: list[Path]) -> None:
    """Remove journal files once every delivery they list is recorded in the ledger."""
    for path in files:
        path.unlink(missing_ok=True)


def incoming_ids(contract: Contract) -> list[str]:
    return _ids_in(dataset_dir("incoming", contract))


def landed_ids(contract: Contract) -> list[str]:
    """Every landed delivery of ``contract`` (lists the whole folder: for repairs and rebuilds)."""
    return _ids_in(dataset_dir("landing", contract))


def quarantined_ids(contract: Contract) -> list[str]:
    """Deliveries quarantined whole (their folder holds a manifest), for repairs and rebuilds."""
    folder = dataset_dir("quarantine", contract)
    return [i for i in _ids_in(folder) if (folder / i / MANIFEST).is_file()]

"""The ingestion job: pull → land (incoming) → gate → promote/quarantine → validate → load.

Ways to run it, same code underneath:

- in one process: :func:`ingest_dataset`, :func:`ingest_partner`, :func:`ingest_partners` (CLI,
  benchmarks, the whole-job pipeline, the daily increment of every partner in one process) and
  :func:`ingest_file` (manual deliveries);
- in three Airflow tasks: :func:`pull_dataset` (network + incoming area), :func:`gate_dataset`
  (privacy gate, landing or quarantine), :func:`load_dataset` (the only step that opens the warehouse;
  it holds the one-slot writer pool). Each step works from what is on disk, so a retried or re-run task
  picks up where the previous one stopped;
- :func:`reload_from_landing`: every ``raw.*`` table and the delivery ledger rebuilt from scratch from
  ``landing/`` and ``quarantine/`` (the landed deliveries are the source of truth).

In one process each delivery is parsed once, from the bytes just fetched (:func:`read_group`: the daily
CSV files of a group in one pass). Deliveries are read in groups (:data:`GATE_GROUP_BYTES`): a group's
rows make one table whose distinct values go to the run's privacy gate call and whose rows are validated
in one vectorised pass, each distinct text once (typed rows are kept, the delivered texts are not). The gate is called once per dataset run, over every distinct value of the
run (see :mod:`.gate`); then each delivery is landed (or quarantined whole) and the typed rows are loaded
in batches of whole deliveries, one transaction each.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from ..config import paths
from ..contracts import CONTRACTS, Contract, contracts_of, get_contract
from ..errors import BadInput, ObservatoireError, PrivacyRefusal
from . import landing, rawload
from .connections import (
    CONNECTION_OF_PARTNER_HTTP,
    DROP,
    PartnerConnection,
    connection_from_env,
    get_connection,
)
from .connectors.file_drop import DropIndex, fetch_drop_files
from .connectors.opendatasoft import fetch_ods_records
from .connectors.smtpc_files import FILE_DAY_ZONE as SMTPC_DAY_ZONE
from .connectors.smtpc_files import fetch_smtpc_days
from .connectors.ville_api import fetch_city_records
from .delivery import DeliveryFile, FetchedDelivery, files_hash
from .gate import GateCandidate, GateOutcome, RunEvidence, evidence_default, gate_group, run_delivery_gate
from .http import RetryPolicy
from .intervals import Interval, parse_instant
from .quarantine import remove_rejected_rows, write_rejected_rows
from .reader import (
    DeliveryTable,
    StructureError,
    combine_frames,
    combine_tables,
    read_csv_group,
    read_delivery,
    read_delivery_files,
)
from .validation import validate
from .watermarks import advance_watermark, read_watermark

log = logging.getLogger(__name__)
ConnectionGetter = Callable[[str], PartnerConnection]
BATCH_ROWS = 250_000
"""Rows accumulated before one load transaction (whole deliveries only)."""
DEFAULT_HISTORY_START = date(2010, 1, 1)
"""First day tried by whole-history pulls of daily HTTP files (the first published day is then bisected)."""


class DeliveryNotYetAvailable(ObservatoireError):
    """A scheduled interval whose files the partner has not published yet (the task is retried later)."""


@dataclass
class DatasetReport:
    table: str
    interval: dict[str, str | None] | None = None
    pulled: list[str] = field(default_factory=list)
    """Delivery ids seen by the pull (new or already known)."""
    new: int = 0
    loaded: list[str] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    rows_loaded: int = 0
    rows_quarantined: int = 0
    missing_days: list[str] = field(default_factory=list)
    gate_available: bool | None = None
    gate: dict[str, Any] = field(default_factory=dict)
    """The last gate outcome seen (summary), for asset metadata."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def merge(self, other: DatasetReport) -> None:
        self.loaded += other.loaded
        self.refused += other.refused
        self.rejected += other.rejected
        self.rows_loaded += other.rows_loaded
        self.rows_quarantined += other.rows_quarantined
        if other.gate_available is not None:
            self.gate_available = other.gate_available
            self.gate = other.gate


# --------------------------------------------------------------------------------------------- pull


def history_start(connection: PartnerConnection | None) -> date:
    text = (connection.extra.get("history_start") if connection else None) or None
    return date.fromisoformat(str(text)) if text else DEFAULT_HISTORY_START


def drop_root(getter: ConnectionGetter | None = None) -> Path:
    """The drop folder: extra ``path`` of ``observatoire_drop``, else ``OBSERVATOIRE_HOME/drop``."""
    try:
        connection = (getter or get_connection)(DROP)
    except BadInput:
        connection = None
    if connection is not None and connection.extra.get("path"):
        return Path(str(connection.extra["path"]))
    return paths().drop


def fetch(
    contract: Contract,
    interval: Interval,
    *,
    getter: ConnectionGetter = get_connection,
    policy: RetryPolicy | None = None,
    full_history: bool = False,
    missing_days: list[date] | None = None,
    drop_index: DropIndex | None = None,
) -> Iterator[FetchedDelivery]:
    """The deliveries of ``contract`` for ``interval``, straight from the partner."""
    mechanism = contract.mechanism
    if mechanism == "rest_api":
        connection = getter(CONNECTION_OF_PARTNER_HTTP[contract.partner])
        # Incremental: from the watermark (everything the first time); ``full_history`` re-pulls from the
        # interval's start (or from the beginning), whatever the watermark says.
        since = interval.start if full_history else read_watermark(contract)
        delivered = fetch_city_records(contract, connection, since, policy)
        if delivered is not None:
            yield delivered
    elif mechanism == "opendatasoft":
        connection = getter(CONNECTION_OF_PARTNER_HTTP[contract.partner])
        delivered = fetch_ods_records(contract, connection, interval, policy)
        if delivered is not None:
            yield delivered
    elif mechanism == "https_files":
        connection = getter(CONNECTION_OF_PARTNER_HTTP[contract.partner])
        first = history_start(connection)
        days = list(interval.days(SMTPC_DAY_ZONE, first=first, last=datetime.now(UTC).date()))
        yield from fetch_smtpc_days(contract, connection, days, missing_days if missing_days is not None else [],
                                    policy, find_start=interval.start is None,
                                    find_end=full_history or interval.start is None or interval.end is None)
    elif mechanism == "file_drop":
        index = drop_index or DropIndex(contract)
        yield from fetch_drop_files(contract, drop_root(getter), interval, index)
    else:  # pragma: no cover - the contract model forbids other values
        raise ValueError(f"unknown mechanism {mechanism!r}")


@dataclass
class Staged:
    """A fetched delivery in the incoming area, still in memory."""

    delivery_id: str
    delivered: FetchedDelivery
    manifest: dict[str, Any] | None
    """The manifest just written (``None`` when an earlier run staged it)."""


def _stage_all(
    contract: Contract, deliveries: Iterator[FetchedDelivery], index: DropIndex | None, report: DatasetReport
) -> Iterator[Staged]:
    try:
        for delivered in deliveries:
            delivery_id, known, manifest = landing.stage_incoming(delivered)
            report.pulled.append(delivery_id)
            if known is None:
                report.new += 1
            if index is not None and delivered.connector == "file_drop":
                index.remember(Path(delivered.source), delivery_id)
            if known in (None, "incoming"):
                yield Staged(delivery_id, delivered, manifest)
    finally:
        if index is not None:
            index.save()


def pull_dataset(
    contract: Contract,
    interval: Interval,
    *,
    getter: ConnectionGetter = get_connection,
    policy: RetryPolicy | None = None,
    full_history: bool = False,
    require_complete: bool = False,
) -> DatasetReport:
    """Airflow step 1: fetch the interval's deliveries into the incoming area (no warehouse access).

    ``require_complete``: fail (to be retried) when a day file of a scheduled interval is not out yet.
    """
    report = DatasetReport(contract.qualified_table, interval.to_dict())
    missing: list[date] = []
    index = DropIndex(contract) if contract.mechanism == "file_drop" else None
    deliveries = fetch(contract, interval, getter=getter, policy=policy, full_history=full_history,
                       missing_days=missing, drop_index=index)
    for _ in _stage_all(contract, deliveries, index, report):
        pass
    report.missing_days = [d.isoformat() for d in missing]
    _check_missing(contract, report, require_complete)
    return report


def _check_missing(contract: Contract, report: DatasetReport, require_complete: bool) -> None:
    if report.missing_days:
        log.warning("%s: no file for %d day(s): %s", contract.table, len(report.missing_days),
                    ", ".join(report.missing_days[:10]) + ("…" if len(report.missing_days) > 10 else ""))
        if require_complete:
            raise DeliveryNotYetAvailable(
                f"{contract.partner} has not published {contract.dataset} for {', '.join(report.missing_days)} yet"
            )


# ------------------------------------------------------------------------------------------ prepare


GATE_GROUP_DELIVERIES = 2_000
"""Deliveries read (and validated) together: their rows make one frame."""
GATE_GROUP_BYTES = 32 * 1024 * 1024
"""Bytes of deliveries read together at most (about 600,000 rows of daily counts)."""
RUN_ROWS = 4_000_000
"""Rows of a run waiting for its gate call at most: a larger run is gated (and landed) in several parts,
so that memory stays bounded whatever the history pulled at once."""


@dataclass
class RawDelivery:
    """A delivery's manifest and files (bytes), before they are read."""

    delivery_id: str
    manifest: dict[str, Any]
    files: list[tuple[str, bytes]]
    delivered: FetchedDelivery | None = None
    """Set when the delivery is held in memory (fetched in this process, not on disk yet)."""

    @property
    def size(self) -> int:
        return sum(len(data) for _, data in self.files)


def read_group(
    contract: Contract, raws: list[RawDelivery]
) -> tuple[list[tuple[RawDelivery, Incoming]], list[tuple[RawDelivery, StructureError]], DeliveryTable | None]:
    """Read deliveries together: the readable ones (with their tables), the ones whose structure rejects
    them whole, and all the readable rows in one table. Daily CSV files are read in one pass
    (:func:`read_csv_group`), other deliveries one by one."""
    readable: list[tuple[RawDelivery, Incoming]] = []
    rejected: list[tuple[RawDelivery, StructureError]] = []
    if raws and contract.wire.format == "csv" and all(
        r.manifest["payload"] == "csv" and len(r.files) == 1 for r in raws
    ):
        results, combined = read_csv_group(contract, [r.files[0] for r in raws])
        for raw, result in zip(raws, results, strict=True):
            if isinstance(result, StructureError):
                rejected.append((raw, result))
            else:
                readable.append((raw, Incoming(raw.delivery_id, raw.manifest, result)))
        return readable, rejected, combined
    for raw in raws:
        try:
            table = read_delivery_files(contract, raw.files, raw.manifest["payload"], raw.manifest.get("records_key"))
        except StructureError as error:
            rejected.append((raw, error))
            continue
        readable.append((raw, Incoming(raw.delivery_id, raw.manifest, table)))
    return readable, rejected, combine_tables([i.table for _, i in readable]) if readable else None


def _files_of(folder: str, manifest: dict[str, Any]) -> list[tuple[str, bytes]]:
    files = []
    for item in manifest["files"]:
        with open(os.path.join(folder, item["name"]), "rb") as handle:
            files.append((item["name"], handle.read()))
    return files


@dataclass
class Incoming:
    """A delivery as read: its manifest and its delivered table."""

    delivery_id: str
    manifest: dict[str, Any]
    table: DeliveryTable


@dataclass
class Prepared:
    """A validated delivery: how many of its rows are valid, and its rejected rows with their reasons."""

    delivery_id: str
    manifest: dict[str, Any]
    rows: int
    columns: list[str]
    extra_columns: list[str]
    rows_valid: int
    rejected: pd.DataFrame
    version_at: datetime


@dataclass
class PreparedGroup:
    """Deliveries validated together: ``valid`` holds their valid typed rows in delivery order, with
    ``_delivery_id`` and ``_version_at`` (what :func:`rawload.load_batch` merges)."""

    deliveries: list[Prepared]
    valid: pd.DataFrame
    distinct: dict[str, np.ndarray] = field(default_factory=dict)
    """Distinct delivered values of the columns validation read value by value (reused by the gate)."""


def _version_at(manifest: dict[str, Any]) -> datetime:
    interval = manifest.get("interval") or {}
    text = interval.get("end") or manifest.get("received_at")
    return parse_instant(str(text))


def _landing_updates(table: DeliveryTable) -> dict[str, Any]:
    return {"rows": table.rows, "columns": table.columns, "extra_columns": table.extra_columns}


def _contract_view(contract: Contract, combined: DeliveryTable) -> DeliveryTable:
    """The contract's columns of a combined table (delivered values untouched; a missing column is null)."""
    fields = list(contract.field_names)
    if combined.data is None:
        frame = combined.frame
        return DeliveryTable(fields, frame=frame.reindex(columns=fields), segments=combined.segments,
                             all_text=combined.all_text and all(f in frame.columns for f in fields))
    by_name = dict(zip(combined.columns, combined.data, strict=True))
    length = combined.length
    data = [by_name[f] if f in by_name else [None] * length for f in fields]
    return DeliveryTable(fields, data=data, segments=combined.segments,
                         all_text=combined.all_text and all(f in by_name for f in fields))


def prepare_group(contract: Contract, entries: list[Incoming], combined: DeliveryTable | None = None) -> PreparedGroup:
    """Validate deliveries together (one vectorised pass; duplicate keys are looked for within each
    delivery); ``combined``: their rows in one table (:func:`read_group`), else combined here."""
    tables = [entry.table for entry in entries]
    lengths = [t.length for t in tables]
    owners = np.repeat(np.arange(len(entries), dtype="int64"), lengths)
    if combined is None:
        combined = combine_tables(tables)
    result = validate(contract, _contract_view(contract, combined), groups=owners)
    assert result.rejected_positions is not None
    # Rows stay in delivery order: each delivery's rows are one contiguous slice (cheap views).
    valid_owner = owners[result.valid.index.to_numpy()]
    rejected_owner = owners[result.rejected_positions[result.rejected_positions >= 0]]
    codes = np.arange(len(entries) + 1)
    valid_bounds = np.searchsorted(valid_owner, codes)
    rejected_bounds = np.searchsorted(rejected_owner, codes)
    fields = list(contract.field_names)
    prepared = []
    none_rejected = result.rejected.iloc[:0]
    for index, entry in enumerate(entries):
        table = entry.table
        rows_valid = int(valid_bounds[index + 1] - valid_bounds[index])
        first, last = int(rejected_bounds[index]), int(rejected_bounds[index + 1])
        rejected = result.rejected.iloc[first:last] if last > first else none_rejected
        if table.malformed:
            width = len(fields)
            rows = [[m.label, m.reason, *(list(m.values) + [""] * width)[:width]] for m in table.malformed]
            rejected = pd.concat([rejected, pd.DataFrame(rows, columns=["row", "reason", *fields])], ignore_index=True)
        if rows_valid + len(rejected) != table.rows:
            raise AssertionError(f"{entry.delivery_id}: {rows_valid} valid + {len(rejected)} rejected != {table.rows} rows")
        prepared.append(Prepared(
            delivery_id=entry.delivery_id, manifest=entry.manifest, rows=table.rows, columns=table.columns,
            extra_columns=table.extra_columns, rows_valid=rows_valid,
            rejected=rejected.reset_index(drop=True) if len(rejected) else none_rejected,
            version_at=_version_at(entry.manifest),
        ))
    valid = result.valid.reset_index(drop=True)
    ids = np.array([entry.delivery_id for entry in entries], dtype=object)
    versions = pd.to_datetime(pd.Series([p.version_at for p in prepared], dtype=object), utc=True)
    valid["_delivery_id"] = ids[valid_owner]
    valid["_version_at"] = versions.to_numpy()[valid_owner]
    return PreparedGroup(prepared, valid, result.distinct)


def _for_the_gate(run: RunEvidence, entries: list[Incoming], combined: DeliveryTable,
                  group: PreparedGroup | None) -> None:
    """A group's distinct values, every delivered column, for the run's gate call (validation already
    found those of the columns it read value by value)."""
    header: list[str] = []
    for entry in entries:
        header.extend(h for h in entry.table.columns if h not in header)
    known = group.distinct if group is not None else {}
    columns = combined.columns if combined.data is not None else [str(c) for c in combined.frame.columns]
    distinct = {
        column: known[column] if column in known else pd.unique(combined.column(column)) for column in columns
    }
    run.add_distinct([e.delivery_id for e in entries], distinct, header)


def _read_landed(contract: Contract, folder: Path, manifest: dict[str, Any]) -> DeliveryTable:
    names = [f["name"] for f in manifest["files"]]
    return read_delivery(contract, folder, names, manifest["payload"], manifest.get("records_key"))


def _load_item(contract: Contract, prepared: Prepared) -> rawload.LoadItem:
    """Write the delivery's rejected rows to quarantine; what the ledger records of it."""
    write_rejected_rows(contract, prepared.delivery_id, prepared.rejected, prepared.rows)
    return rawload.LoadItem(
        delivery_id=prepared.delivery_id,
        manifest=prepared.manifest,
        valid=_NO_ROWS,
        rows_total=prepared.rows,
        rows_quarantined=len(prepared.rejected),
        gate=prepared.manifest.get("gate") or {},
        version_at=prepared.version_at,
        rows_valid=prepared.rows_valid,
    )


_NO_ROWS = pd.DataFrame()


# --------------------------------------------------------------------------------------------- gate


@dataclass
class GateStep:
    delivery_id: str
    status: str
    """``landed``, ``refused`` (privacy) or ``rejected`` (structure)."""
    message: str
    gate: dict[str, Any] = field(default_factory=dict)
    manifest: dict[str, Any] | None = None
    """The landed manifest (``landed`` only)."""


def settle(
    contract: Contract,
    delivery_id: str,
    outcome: GateOutcome,
    updates: dict[str, Any],
    manifest: dict[str, Any] | None = None,
) -> GateStep:
    """Land a delivery the gate passed; quarantine whole a delivery it refused.

    ``updates``: what the landed manifest adds (rows, columns); ``manifest``: the incoming manifest when
    held in memory.
    """
    gate = outcome.to_dict()
    if not outcome.passed:
        message = f"refused by the privacy gate: {outcome.message}"
        landing.reject_whole(contract, delivery_id, {
            "kind": "privacy", "status": "refused", "message": message, "gate": gate,
            "gate_result": outcome.details, "table": contract.qualified_table,
            "contract_version": contract.version,
        }, manifest)
        return GateStep(delivery_id, "refused", message, gate=gate)
    landed = landing.promote(contract, delivery_id, {**updates, "gate": gate}, manifest)
    return GateStep(delivery_id, "landed", outcome.message, gate=gate, manifest=landed)


def settle_held(
    contract: Contract,
    delivered: FetchedDelivery,
    outcome: GateOutcome,
    updates: dict[str, Any],
    manifest: dict[str, Any],
) -> GateStep:
    """:func:`settle` for a delivery held in memory: landed (or quarantined) straight from its bytes."""
    gate = outcome.to_dict()
    delivery_id = delivered.delivery_id
    if not outcome.passed:
        message = f"refused by the privacy gate: {outcome.message}"
        landing.quarantine_new(contract, delivery_id, delivered.files, manifest, {
            "kind": "privacy", "status": "refused", "message": message, "gate": gate,
            "gate_result": outcome.details, "table": contract.qualified_table,
            "contract_version": contract.version,
        })
        return GateStep(delivery_id, "refused", message, gate=gate)
    landed = landing.land_new(contract, delivery_id, delivered.files, manifest, {**updates, "gate": gate})
    return GateStep(delivery_id, "landed", outcome.message, gate=gate, manifest=landed)


def _structure_rejection(contract: Contract, delivery_id: str, error: StructureError,
                         manifest: dict[str, Any] | None, delivered: FetchedDelivery | None = None) -> GateStep:
    reason = {
        "kind": error.kind, "status": "rejected", "message": str(error), "details": error.details,
        "table": contract.qualified_table, "contract_version": contract.version,
    }
    landing.note_pending(contract, [delivery_id])
    if delivered is not None and manifest is not None:
        landing.quarantine_new(contract, delivery_id, delivered.files, manifest, reason)
    else:
        landing.reject_whole(contract, delivery_id, reason, manifest)
    return GateStep(delivery_id, "rejected", str(error))


@dataclass
class _Waiting:
    delivery_id: str
    manifest: dict[str, Any]
    updates: dict[str, Any]
    prepared: Prepared | None
    delivered: FetchedDelivery | None
    """The delivery's bytes when it is held in memory (else it is in the incoming area)."""


@dataclass
class _WaitingGroup:
    deliveries: list[_Waiting]
    prepared: PreparedGroup | None


class _Gatekeeper:
    """Reads deliveries in groups, gates the run once, lands or quarantines each delivery.

    Deliveries come from the incoming area (:meth:`add`) or straight from a connector (:meth:`hold`: kept
    in memory, never written to the incoming area, landed or quarantined directly once the gate decided).
    Each group's rows are combined once: their distinct values go to the run's gate call
    (:class:`RunEvidence`), their rows are validated right away (``prepare``) so that only typed rows wait
    for the gate. :meth:`finish` makes the run's ONE gate call (rules engine, and GX evidence when on),
    then settles every delivery; ``on_landed(group, landed)`` receives the groups' valid rows for loading,
    ``on_quarantined(delivery_id)`` each delivery quarantined whole and ``on_settled(delivered)`` each held
    delivery once it is on disk.
    """

    def __init__(
        self,
        contract: Contract,
        report: DatasetReport,
        *,
        evidence: bool | None = None,
        prepare: bool = True,
        on_landed: Callable[[PreparedGroup, list[Prepared]], None] | None = None,
        on_quarantined: Callable[[str], None] | None = None,
        on_settled: Callable[[FetchedDelivery], None] | None = None,
    ):
        self.contract = contract
        self.report = report
        self.evidence = evidence_default() if evidence is None else evidence
        self.prepare = prepare
        self.on_landed = on_landed
        self.on_quarantined = on_quarantined
        self.on_settled = on_settled
        self.pending: list[RawDelivery] = []
        self.pending_bytes = 0
        self.groups: list[_WaitingGroup] = []
        self.waiting_rows = 0
        self.run = RunEvidence(contract)
        self.journals: list[Path] = []
        self.held: set[str] = set()

    def add(self, delivery_id: str, manifest: dict[str, Any] | None = None,
            files: list[tuple[str, bytes]] | None = None) -> None:
        """A delivery of the incoming area (``manifest`` and ``files``: as just staged, else read from disk)."""
        folder = str(landing.delivery_dir("incoming", self.contract, delivery_id))
        if manifest is None:
            manifest = landing.read_manifest(Path(folder))
        self._queue(RawDelivery(delivery_id, manifest, files if files is not None else _files_of(folder, manifest)))

    def hold(self, delivered: FetchedDelivery) -> None:
        """A delivery just fetched and not known yet, kept in memory until the gate has decided."""
        delivery_id = delivered.delivery_id
        if delivery_id in self.held:
            return
        self.held.add(delivery_id)
        files = [(item.name, item.data) for item in delivered.files]
        self._queue(RawDelivery(delivery_id, landing.new_manifest(delivered), files, delivered))

    def _queue(self, raw: RawDelivery) -> None:
        self.pending.append(raw)
        self.pending_bytes += raw.size
        if self.pending_bytes >= GATE_GROUP_BYTES or len(self.pending) >= GATE_GROUP_DELIVERIES:
            self.flush()

    def flush(self) -> None:
        """The pending deliveries read together: their distinct values for the run's gate call, their rows
        validated; a delivery whose structure breaks the contract is quarantined whole."""
        if not self.pending:
            return
        readable, rejected, combined = read_group(self.contract, self.pending)
        self.pending = []
        self.pending_bytes = 0
        for raw, error in rejected:
            self._done(_structure_rejection(self.contract, raw.delivery_id, error, raw.manifest, raw.delivered))
            if raw.delivered is not None and self.on_settled is not None:
                self.on_settled(raw.delivered)
        if not readable:
            return
        assert combined is not None
        entries = [entry for _, entry in readable]
        group = prepare_group(self.contract, entries, combined) if self.prepare else None
        _for_the_gate(self.run, entries, combined, group)
        waiting = [
            _Waiting(entry.delivery_id, entry.manifest, _landing_updates(entry.table),
                     group.deliveries[index] if group is not None else None, raw.delivered)
            for index, (raw, entry) in enumerate(readable)
        ]
        self.groups.append(_WaitingGroup(waiting, group))
        self.waiting_rows += sum(entry.table.length for entry in entries)
        if self.waiting_rows >= RUN_ROWS:
            self._gate_and_settle()

    def finish(self) -> None:
        """The run's gate call, then every delivery of the run landed or quarantined."""
        self.flush()
        self._gate_and_settle()

    def _gate_and_settle(self) -> None:
        if not self.groups:
            return
        outcome = self.run.record(evidence=self.evidence)
        assert outcome is not None
        everyone = [w.delivery_id for g in self.groups for w in g.deliveries]
        if outcome.passed:
            decisions = dict.fromkeys(everyone, outcome)
        else:
            decisions = self._offenders(outcome)
        path = landing.note_pending(self.contract, everyone)
        if path is not None:
            self.journals.append(path)
        for group in self.groups:
            landed: list[Prepared] = []
            for waiting in group.deliveries:
                decision = decisions[waiting.delivery_id]
                if waiting.delivered is not None:
                    step = settle_held(self.contract, waiting.delivered, decision, waiting.updates, waiting.manifest)
                else:
                    step = settle(self.contract, waiting.delivery_id, decision, waiting.updates, waiting.manifest)
                self._done(step)
                if waiting.delivered is not None and self.on_settled is not None:
                    self.on_settled(waiting.delivered)
                if step.status == "landed" and waiting.prepared is not None and step.manifest is not None:
                    waiting.prepared.manifest = step.manifest
                    landed.append(waiting.prepared)
            if self.on_landed is not None and group.prepared is not None and landed:
                self.on_landed(group.prepared, landed)
        self.groups = []
        self.waiting_rows = 0
        self.run = RunEvidence(self.contract)

    def _offenders(self, outcome: GateOutcome) -> dict[str, GateOutcome]:
        """The run's gate call failed: the rules engine on each group, then on each delivery of a failing
        group, finds the deliveries to refuse (each with its own evidence call); the others are checked
        again together. If the engine passes every delivery, the failure was the evidence's: every
        delivery of the run is refused (the deliveries are then judged one by one when evidence is off)."""
        log.warning("%s: the run's privacy gate call failed (%s); checking its deliveries to find why",
                    self.contract.table, outcome.message)
        decisions: dict[str, GateOutcome] = {}
        passed: dict[str, GateOutcome] = {}
        again = RunEvidence(self.contract)
        for group in self.groups:
            tables = {w.delivery_id: self._reread(w) for w in group.deliveries}
            candidates = [GateCandidate(i, _frame_getter(t), t.columns) for i, t in tables.items()]
            outcomes = gate_group(self.contract, candidates, _combined_getter(list(tables.values())),
                                  evidence=False)
            good = []
            for delivery_id, table in tables.items():
                if outcomes[delivery_id].passed:
                    good.append(delivery_id)
                    passed[delivery_id] = outcomes[delivery_id]
                elif self.evidence:
                    # Refused: its own evidence (what was found, masked).
                    decisions[delivery_id] = run_delivery_gate(self.contract, table.frame, table.columns,
                                                               delivery_id, evidence=True)
                else:
                    decisions[delivery_id] = outcomes[delivery_id]
            if good:
                kept = [tables[i] for i in good]
                header: list[str] = []
                for table in kept:
                    header.extend(h for h in table.columns if h not in header)
                again.add_group(good, combine_frames(kept), header)
        if not decisions:
            if self.evidence:
                log.warning("%s: the privacy evidence of the run failed; its %d deliveries are refused: %s",
                            self.contract.table, len(passed), outcome.message)
                return dict.fromkeys(passed, outcome)
            return passed
        second = again.record(evidence=self.evidence)
        if second is not None:
            decisions.update(dict.fromkeys(again.deliveries, second))
        return decisions

    def _reread(self, waiting: _Waiting) -> DeliveryTable:
        manifest = waiting.manifest
        if waiting.delivered is not None:
            files = [(item.name, item.data) for item in waiting.delivered.files]
            return read_delivery_files(self.contract, files, manifest["payload"], manifest.get("records_key"))
        folder = landing.delivery_dir("incoming", self.contract, waiting.delivery_id)
        names = [f["name"] for f in manifest["files"]]
        return read_delivery(self.contract, folder, names, manifest["payload"], manifest.get("records_key"))

    def _done(self, step: GateStep) -> None:
        _note_gate(self.report, step)
        if step.status != "landed" and self.on_quarantined is not None:
            self.on_quarantined(step.delivery_id)


def _frame_getter(table: DeliveryTable) -> Callable[[], pd.DataFrame]:
    return lambda: table.frame


def _combined_getter(tables: list[DeliveryTable]) -> Callable[[], pd.DataFrame]:
    return lambda: combine_frames(tables)


def gate_dataset(
    contract: Contract, delivery_ids: list[str] | None = None, *, evidence: bool | None = None
) -> DatasetReport:
    """Airflow step 2: gate every incoming delivery of the dataset (or the given ones)."""
    report = DatasetReport(contract.qualified_table)
    keeper = _Gatekeeper(contract, report, evidence=evidence, prepare=False)
    ids = landing.incoming_ids(contract) if delivery_ids is None else delivery_ids
    for delivery_id in ids:
        if landing.where_is(contract, delivery_id) == "incoming":
            keeper.add(delivery_id)
    keeper.finish()
    return report


def _note_quarantined(report: DatasetReport, item: rawload.LoadItem) -> None:
    entry = {"delivery_id": item.delivery_id, "message": item.message}
    (report.refused if item.status == "refused" else report.rejected).append(entry)


def _note_gate(report: DatasetReport, step: GateStep) -> None:
    if step.gate:
        report.gate_available = bool(step.gate.get("available"))
        report.gate = step.gate
    if step.status == "refused":
        report.refused.append({"delivery_id": step.delivery_id, "message": step.message})
    elif step.status == "rejected":
        report.rejected.append({"delivery_id": step.delivery_id, "message": step.message})


# --------------------------------------------------------------------------------------------- load


def _quarantined_item(contract: Contract, delivery_id: str) -> rawload.LoadItem | None:
    folder = landing.delivery_dir("quarantine", contract, delivery_id)
    if not (folder / landing.MANIFEST).is_file() or not (folder / landing.REASON).is_file():
        return None
    manifest = landing.read_manifest(folder)
    reason = json.loads((folder / landing.REASON).read_text(encoding="utf-8"))
    return rawload.LoadItem(
        delivery_id=delivery_id,
        manifest=manifest,
        valid=pd.DataFrame(),
        rows_total=int(manifest.get("rows") or 0),
        rows_quarantined=int(manifest.get("rows") or 0),
        gate=reason.get("gate") or {},
        status=str(reason.get("status") or "rejected"),
        message=str(reason.get("message") or ""),
        version_at=_version_at(manifest),
    )


class _Loader:
    """Accumulates whole deliveries and loads them in batches, one transaction each."""

    def __init__(self, con: duckdb.DuckDBPyConnection, contract: Contract, report: DatasetReport):
        self.con = con
        self.contract = contract
        self.report = report
        self.groups: list[tuple[PreparedGroup, list[Prepared]]] = []
        self.quarantined: list[rawload.LoadItem] = []
        self.rows = 0

    def add_landed(self, group: PreparedGroup, deliveries: list[Prepared]) -> None:
        """Landed deliveries of a validated group (all of it, or the ones the gate passed)."""
        if not deliveries:
            return
        self.groups.append((group, deliveries))
        self.rows += sum(d.rows_valid for d in deliveries)
        if self.rows >= BATCH_ROWS:
            self.flush()

    def add_quarantined(self, delivery_id: str) -> None:
        """A delivery quarantined whole: recorded in the ledger with the next batch."""
        item = _quarantined_item(self.contract, delivery_id)
        if item is not None:
            self.quarantined.append(item)

    def flush(self) -> None:
        items: list[rawload.LoadItem] = []
        frames: list[pd.DataFrame] = []
        for group, deliveries in self.groups:
            valid = group.valid
            if len(deliveries) < len(group.deliveries):
                valid = valid[valid["_delivery_id"].isin({d.delivery_id for d in deliveries})]
            frames.append(valid)
            items.extend(_load_item(self.contract, d) for d in deliveries)
        items.extend(self.quarantined)
        self.groups = []
        self.quarantined = []
        self.rows = 0
        if not items:
            return
        incoming = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        if not incoming.empty:
            incoming["_seq"] = np.arange(len(incoming), dtype="int64")
        done = rawload.load_batch(self.con, self.contract, items, incoming)
        for item in done:
            if item.gate:
                self.report.gate = item.gate
                self.report.gate_available = bool(item.gate.get("available"))
            if item.status == "loaded":
                self.report.loaded.append(item.delivery_id)
                self.report.rows_loaded += item.rows_loaded
                self.report.rows_quarantined += item.rows_quarantined
        if self.contract.mechanism == "rest_api":
            candidates = [
                (parse_instant(candidate), item.delivery_id)
                for item in done
                if item.status == "loaded" and (candidate := (item.manifest.get("details") or {}).get("watermark_candidate"))
            ]
            if candidates:
                advance_watermark(self.contract, *max(candidates))


def _load_landed(contract: Contract, loader: _Loader, delivery_ids: list[str]) -> None:
    """Read landed deliveries back (in groups), validate them and hand them to ``loader``."""
    base = str(landing.dataset_dir("landing", contract))
    raws: list[RawDelivery] = []
    size = 0

    def flush() -> None:
        readable, rejected, combined = read_group(contract, raws)
        if rejected:
            raw, error = rejected[0]
            raise StructureError(f"landed delivery {raw.delivery_id}: {error}", error.kind, error.details)
        if readable:
            assert combined is not None
            group = prepare_group(contract, [entry for _, entry in readable], combined)
            loader.add_landed(group, group.deliveries)

    for delivery_id in delivery_ids:
        folder = os.path.join(base, delivery_id)
        manifest = landing.read_manifest(Path(folder))
        raws.append(RawDelivery(delivery_id, manifest, _files_of(folder, manifest)))
        size += raws[-1].size
        if size >= GATE_GROUP_BYTES or len(raws) >= GATE_GROUP_DELIVERIES:
            flush()
            raws, size = [], 0
    if raws:
        flush()


def _load_recorded_later(contract: Contract, loader: _Loader, delivery_ids: list[str], report: DatasetReport) -> None:
    """Load (or record, if quarantined whole) the deliveries of ``delivery_ids`` the ledger lacks."""
    if not delivery_ids:
        return
    known = rawload.recorded_among(loader.con, contract, delivery_ids)
    landed: list[str] = []
    for delivery_id in dict.fromkeys(delivery_ids):
        if delivery_id in known:
            continue
        where = landing.where_is(contract, delivery_id)
        if where == "landing":
            landed.append(delivery_id)
        elif where == "quarantine":
            item = _quarantined_item(contract, delivery_id)
            if item is not None:
                loader.quarantined.append(item)
                _note_quarantined(report, item)
    _load_landed(contract, loader, landed)


def load_dataset(
    contract: Contract,
    con: duckdb.DuckDBPyConnection | None = None,
    delivery_ids: list[str] | None = None,
    *,
    scan: bool = False,
) -> DatasetReport:
    """Airflow step 3 (holds the writer pool): load the landed deliveries not yet in ``raw._deliveries``
    (and record the deliveries quarantined whole).

    Which deliveries: ``delivery_ids``; else those of the pending journal (what the gate settled and
    nothing loaded yet); ``scan``: every delivery in ``landing/`` and ``quarantine/`` (a repair: lists
    the whole history).
    """
    report = DatasetReport(contract.qualified_table)
    own = con is None
    connection = con or rawload.connect()
    try:
        rawload.ensure_tables(connection, [contract])
        loader = _Loader(connection, contract, report)
        journals: list[Path] = []
        if delivery_ids is None:
            journals, ids = landing.pending(contract)
            if scan:
                ids = list(dict.fromkeys([*ids, *landing.landed_ids(contract), *landing.quarantined_ids(contract)]))
        else:
            ids = delivery_ids
        _load_recorded_later(contract, loader, ids, report)
        loader.flush()
        landing.clear_pending(journals)
    finally:
        if own:
            connection.close()
    return report


# ---------------------------------------------------------------------------------- all in one process


def ingest_dataset(
    contract: Contract,
    interval: Interval,
    *,
    con: duckdb.DuckDBPyConnection | None = None,
    getter: ConnectionGetter = get_connection,
    policy: RetryPolicy | None = None,
    full_history: bool = False,
    gate_evidence: bool | None = None,
) -> DatasetReport:
    """Pull, gate, validate and load one dataset for ``interval`` in this process (each delivery read once,
    from the bytes fetched)."""
    report = DatasetReport(contract.qualified_table, interval.to_dict())
    missing: list[date] = []
    index = DropIndex(contract) if contract.mechanism == "file_drop" else None
    own = con is None
    connection = con or rawload.connect()
    try:
        rawload.ensure_tables(connection, [contract])
        loader = _Loader(connection, contract, report)
        # Deliveries an interrupted run landed (or quarantined) without recording them: first, as they
        # were received first.
        journals, leftovers = landing.pending(contract)
        _load_recorded_later(contract, loader, leftovers, report)
        def remember(delivered: FetchedDelivery) -> None:
            if index is not None and delivered.connector == "file_drop":
                index.remember(Path(delivered.source), delivered.delivery_id)

        keeper = _Gatekeeper(contract, report, evidence=gate_evidence, on_landed=loader.add_landed,
                             on_quarantined=loader.add_quarantined, on_settled=remember)
        # Deliveries an earlier pull staged in the incoming area and nothing gated yet.
        for delivery_id in landing.incoming_ids(contract):
            if landing.where_is(contract, delivery_id) == "incoming":
                keeper.add(delivery_id)
        deliveries = fetch(contract, interval, getter=getter, policy=policy, full_history=full_history,
                           missing_days=missing, drop_index=index)
        failure: Exception | None = None
        try:
            while True:
                try:
                    delivered = next(deliveries)
                except StopIteration:
                    break
                except Exception as error:  # noqa: BLE001 - raised below, once what came before is loaded
                    failure = error
                    break
                delivery_id = delivered.delivery_id
                report.pulled.append(delivery_id)
                known = landing.where_is(contract, delivery_id)
                if known is None:
                    report.new += 1
                    keeper.hold(delivered)
                elif known != "incoming":
                    remember(delivered)
            # A partner failing in the middle of a long pull: what came before is still gated and loaded.
            keeper.finish()
        finally:
            if index is not None:
                index.save()
        loader.flush()
        landing.clear_pending(journals + keeper.journals)
        if failure is not None:
            raise failure
    finally:
        if own:
            connection.close()
    report.missing_days = [d.isoformat() for d in missing]
    _check_missing(contract, report, require_complete=False)
    return report


def ingest_partner(
    partner: str,
    interval: Interval,
    *,
    getter: ConnectionGetter = get_connection,
    policy: RetryPolicy | None = None,
    full_history: bool = False,
    datasets: list[str] | None = None,
    gate_evidence: bool | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> list[DatasetReport]:
    """Every dataset of ``partner`` (or the listed ones) for ``interval``, sharing one warehouse connection."""
    contracts = [c for c in contracts_of(partner) if datasets is None or c.dataset in datasets]
    if not contracts:
        raise BadInput(f"unknown partner {partner!r} or datasets {datasets}")
    connection = con or rawload.connect()
    try:
        return [
            ingest_dataset(c, interval, con=connection, getter=getter, policy=policy, full_history=full_history,
                           gate_evidence=gate_evidence)
            for c in contracts
        ]
    finally:
        if con is None:
            connection.close()


def ingest_partners(
    partners: Iterable[str] | None,
    interval: Interval,
    *,
    getter: ConnectionGetter = get_connection,
    policy: RetryPolicy | None = None,
    full_history: bool = False,
    gate_evidence: bool | None = None,
) -> list[DatasetReport]:
    """Several partners (``None``: all of them) for one interval in this one process and one warehouse
    connection: a daily increment pays the start-up (imports, Great Expectations) once, not per partner.

    Partners are ingested one after the other; a partner that fails stops the call (the partners before
    it are loaded: each dataset commits its own batches)."""
    names = list(dict.fromkeys(c.partner for c in CONTRACTS.values())) if partners is None else list(partners)
    con = rawload.connect()
    try:
        return [
            report
            for partner in names
            for report in ingest_partner(partner, interval, getter=getter, policy=policy,
                                         full_history=full_history, gate_evidence=gate_evidence, con=con)
        ]
    finally:
        con.close()


def ingest_file(partner: str, dataset: str, path: Path) -> DatasetReport:
    """A manual delivery: land, gate, validate and load one file.

    Raises :class:`BadInput` (exit 2) for an unreadable or structurally invalid file — kept in quarantine
    with ``reason.json`` — and :class:`PrivacyRefusal` (exit 3) when the privacy gate refuses it.
    """
    try:
        contract = get_contract(partner, dataset)
    except KeyError as error:
        raise BadInput(str(error.args[0])) from error
    try:
        data = path.read_bytes()
    except OSError as error:
        raise BadInput(f"cannot read {path}: {error.strerror or error}") from error
    item = DeliveryFile(path.name, data)
    delivered = FetchedDelivery(
        contract=contract,
        interval=None,
        files=[item],
        payload="csv" if contract.wire.format == "csv" else "json_auto",
        source=str(path.resolve()),
        connector="manual",
        content_hash=files_hash([item]),
        details={"file": path.name},
    )
    report = DatasetReport(contract.qualified_table)
    delivery_id, known, manifest = landing.stage_incoming(delivered)
    report.pulled.append(delivery_id)
    con = rawload.connect()
    try:
        rawload.ensure_tables(con, [contract])
        loader = _Loader(con, contract, report)
        journals: list[Path] = []
        if known in (None, "incoming"):
            report.new = 1
            keeper = _Gatekeeper(contract, report, on_landed=loader.add_landed)
            keeper.add(delivery_id, manifest, [(item.name, item.data)])
            keeper.finish()
            journals = keeper.journals
        where = landing.where_is(contract, delivery_id)
        if where == "landing":
            if loader.groups:
                loader.flush()
            elif rawload.recorded_among(con, contract, [delivery_id]):
                _report_previous(con, contract, delivery_id, report)
            else:
                _load_landed(contract, loader, [delivery_id])
                loader.flush()
            landing.clear_pending(journals)
        else:
            quarantined = _quarantined_item(contract, delivery_id)
            if quarantined is not None:
                loader.quarantined.append(quarantined)
                loader.flush()
                landing.clear_pending(journals)
                folder = landing.delivery_dir("quarantine", contract, delivery_id)
                if quarantined.status == "refused":
                    raise PrivacyRefusal(f"{path.name}: {quarantined.message} (kept in {folder})")
                raise BadInput(f"{quarantined.message} (the file is kept in {folder} with reason.json)")
    finally:
        con.close()
    return report


def _report_previous(con: duckdb.DuckDBPyConnection, contract: Contract, delivery_id: str, report: DatasetReport) -> None:
    row = con.execute(
        f"SELECT rows_loaded, rows_quarantined FROM {rawload.LEDGER} WHERE table_name = ? AND delivery_id = ?",
        [contract.qualified_table, delivery_id],
    ).fetchone()
    if row:
        report.rows_loaded, report.rows_quarantined = int(row[0]), int(row[1])
    report.loaded.append(delivery_id)


# --------------------------------------------------------------------------------------------- reload


class ReloadRefused(PrivacyRefusal):
    """The reload's privacy gate call failed without any delivery to blame (GX evidence unavailable):
    the table was left as it was."""


def reload_from_landing(
    contracts: Iterable[Contract] | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    *,
    evidence: bool | None = None,
) -> list[DatasetReport]:
    """Rebuild every ``raw.*`` table (or those of ``contracts``) and its rows of the ``raw._deliveries``
    ledger from scratch, from what is in ``landing/`` and ``quarantine/``: one transaction per table.

    The result is the one incremental ingestion gives (same rows, same ledger but its timestamps): every
    landed delivery read back (in groups, each group's rows validated in one pass), the latest version of
    each key kept by the same rule, in the order the deliveries were received; deliveries quarantined
    whole recorded as such; rejected rows written to ``quarantine/`` (unchanged files left alone).

    Privacy gate: landed deliveries passed it when they landed; its rules engine runs again on what is
    reloaded, in ONE gate call per table over every distinct value (with the GX evidence unless
    ``evidence`` is false; default: :func:`evidence_default`), so that a rule added since is applied. A
    delivery it now refuses is moved whole from landing to quarantine (its files unchanged, the reason
    recorded) and recorded as refused. If the call fails without any delivery to blame (the evidence
    could not be recorded), :class:`ReloadRefused` is raised and that table is left as it was.
    """
    chosen = list(CONTRACTS.values()) if contracts is None else list(contracts)
    use_evidence = evidence_default() if evidence is None else evidence
    own = con is None
    connection = con or rawload.connect()
    try:
        rawload.ensure_tables(connection, chosen)
        return [_reload_dataset(connection, contract, use_evidence) for contract in chosen]
    finally:
        if own:
            connection.close()


RELOAD_ROWS = "_reload_rows"


def _reload_dataset(con: duckdb.DuckDBPyConnection, contract: Contract, evidence: bool) -> DatasetReport:
    report = DatasetReport(contract.qualified_table)
    journals, _ = landing.pending(contract)
    manifests: dict[str, dict[str, Any]] = {}
    received: dict[str, datetime] = {}
    base = str(landing.dataset_dir("landing", contract))
    for delivery_id in landing.landed_ids(contract):
        with open(os.path.join(base, delivery_id, landing.MANIFEST), encoding="utf-8") as handle:
            manifest = json.load(handle)
        manifests[delivery_id] = manifest
        received[delivery_id] = parse_instant(str(manifest.get("received_at") or manifest.get("landed_at")))
    # The order in which incremental runs received (and loaded) them: it breaks ties between versions.
    order = sorted(manifests, key=lambda i: (received[i], i))
    report.pulled = list(order)

    run = RunEvidence(contract)
    groups: list[list[Prepared]] = []
    columns = [(rawload.quoted(f.name), f.duckdb_type) for f in contract.fields]
    columns += [("_delivery_id", "VARCHAR"), ("_version_at", "TIMESTAMPTZ"), ("_seq", "BIGINT")]
    con.execute(f"CREATE OR REPLACE TEMP TABLE {RELOAD_ROWS} ({', '.join(f'{n} {t}' for n, t in columns)})")
    typed = ", ".join(f"CAST({n} AS {t})" for n, t in columns)
    seq = 0
    raws: list[RawDelivery] = []
    size = 0

    def flush() -> None:
        nonlocal raws, size, seq
        readable, rejected, combined = read_group(contract, raws)
        raws, size = [], 0
        if rejected:
            raw, error = rejected[0]
            raise BadInput(
                f"{contract.table}: the landed delivery {raw.delivery_id} no longer matches the contract "
                f"{contract.partner}/{contract.dataset} v{contract.version} ({error}); nothing was reloaded "
                f"for {contract.qualified_table}: fix the contract, or withdraw the delivery"
            ) from error
        if not readable:
            return
        assert combined is not None
        entries = [entry for _, entry in readable]
        group = prepare_group(contract, entries, combined)
        _for_the_gate(run, entries, combined, group)
        valid = group.valid
        valid["_seq"] = np.arange(seq, seq + len(valid), dtype="int64")
        seq += len(valid)
        # The typed rows wait in DuckDB (compact), not in Python, until the table is rebuilt.
        con.register("_reload_frame", valid)
        try:
            con.execute(f"INSERT INTO {RELOAD_ROWS} SELECT {typed} FROM _reload_frame")
        finally:
            con.unregister("_reload_frame")
        groups.append(group.deliveries)

    for delivery_id in order:
        folder = os.path.join(base, delivery_id)
        manifest = manifests[delivery_id]
        raws.append(RawDelivery(delivery_id, manifest, _files_of(folder, manifest)))
        size += raws[-1].size
        if size >= GATE_GROUP_BYTES or len(raws) >= GATE_GROUP_DELIVERIES:
            flush()
    if raws:
        flush()

    refused: dict[str, GateOutcome] = {}
    outcome = run.record(evidence=evidence)
    if outcome is not None:
        report.gate = outcome.to_dict()
        report.gate_available = outcome.available
        if not outcome.passed:
            refused = _reload_offenders(contract, [[p.delivery_id for p in g] for g in groups], manifests, evidence)
            if not refused:
                con.execute(f"DROP TABLE IF EXISTS {RELOAD_ROWS}")
                raise ReloadRefused(
                    f"{contract.qualified_table}: the privacy gate of the reload failed ({outcome.message}) and "
                    "no delivery is to blame; the table was left as it was"
                )
            for delivery_id, refusal in refused.items():
                message = f"refused by the privacy gate when reloaded (a rule added after it landed): {refusal.message}"
                landing.withdraw(contract, delivery_id, {
                    "kind": "privacy", "status": "refused", "message": message, "gate": refusal.to_dict(),
                    "gate_result": refusal.details, "table": contract.qualified_table,
                    "contract_version": contract.version,
                })
            con.execute(f"DELETE FROM {RELOAD_ROWS} WHERE _delivery_id IN (SELECT unnest(?::VARCHAR[]))",
                        [list(refused)])

    items: list[rawload.LoadItem] = []
    try:
        in_quarantine = set(os.listdir(landing.dataset_dir("quarantine", contract)))
    except FileNotFoundError:
        in_quarantine = set()
    for deliveries in groups:
        for prepared in deliveries:
            if prepared.delivery_id in refused:
                continue
            if len(prepared.rejected):
                write_rejected_rows(contract, prepared.delivery_id, prepared.rejected, prepared.rows, keep_same=True)
            elif prepared.delivery_id in in_quarantine:
                remove_rejected_rows(contract, prepared.delivery_id)
            items.append(rawload.LoadItem(
                delivery_id=prepared.delivery_id, manifest=prepared.manifest, valid=_NO_ROWS,
                rows_total=prepared.rows, rows_quarantined=len(prepared.rejected),
                gate=prepared.manifest.get("gate") or {}, version_at=prepared.version_at,
                rows_valid=prepared.rows_valid,
            ))
            report.loaded.append(prepared.delivery_id)
            report.rows_loaded += prepared.rows_valid
            report.rows_quarantined += len(prepared.rejected)
    for delivery_id in landing.quarantined_ids(contract):
        item = _quarantined_item(contract, delivery_id)
        if item is not None:
            items.append(item)
            _note_quarantined(report, item)
    rawload.replace_table(con, contract, items, RELOAD_ROWS if groups else None)
    con.execute(f"DROP TABLE IF EXISTS {RELOAD_ROWS}")
    landing.clear_pending(journals)
    return report


def _reload_offenders(
    contract: Contract, groups: list[list[str]], manifests: dict[str, dict[str, Any]], evidence: bool
) -> dict[str, GateOutcome]:
    """The landed deliveries the rules engine refuses now (groups, then each delivery of a failing group);
    each refused one gets its own evidence call when evidence is on."""
    refused: dict[str, GateOutcome] = {}
    for ids in groups:
        tables = {
            i: _read_landed(contract, landing.delivery_dir("landing", contract, i), manifests[i]) for i in ids
        }
        candidates = [GateCandidate(i, _frame_getter(t), t.columns) for i, t in tables.items()]
        outcomes = gate_group(contract, candidates, _combined_getter(list(tables.values())), evidence=False)
        for delivery_id, table in tables.items():
            if outcomes[delivery_id].passed:
                continue
            refused[delivery_id] = (
                run_delivery_gate(contract, table.frame, table.columns, delivery_id, evidence=True)
                if evidence else outcomes[delivery_id]
            )
    return refused


def default_getter(conn_id: str) -> PartnerConnection:
    """Connections from ``AIRFLOW_CONN_*`` (the package's own reading, outside Airflow)."""
    connection = connection_from_env(conn_id)
    if connection is None:
        return get_connection(conn_id)
    return connection

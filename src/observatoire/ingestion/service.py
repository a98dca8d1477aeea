"""The ingestion job: pull → land (incoming) → gate → promote/quarantine → validate → load.

Two ways to run it, same code underneath:

- in one process: :func:`ingest_dataset`, :func:`ingest_partner` (CLI, benchmarks, the whole-job
  pipeline) and :func:`ingest_file` (manual deliveries);
- in three Airflow tasks: :func:`pull_dataset` (network + incoming area), :func:`gate_dataset`
  (privacy gate, landing or quarantine), :func:`load_dataset` (the only step that opens the warehouse;
  it holds the one-slot writer pool). Each step works from what is on disk, so a retried or re-run task
  picks up where the previous one stopped.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from ..config import paths
from ..contracts import Contract, contracts_of, get_contract
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
from .quarantine import write_rejected_rows
from .reader import DeliveryTable, StructureError, combine_frames, read_delivery
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


def _stage_all(
    contract: Contract, deliveries: Iterator[FetchedDelivery], index: DropIndex | None, report: DatasetReport
) -> Iterator[str]:
    try:
        for delivered in deliveries:
            delivery_id, known = landing.stage_incoming(delivered)
            report.pulled.append(delivery_id)
            if known is None:
                report.new += 1
            if index is not None and delivered.connector == "file_drop":
                index.remember(Path(delivered.source), delivery_id)
            if known in (None, "incoming"):
                yield delivery_id
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


# --------------------------------------------------------------------------------------------- gate


GATE_GROUP_ROWS = 500_000
GATE_GROUP_DELIVERIES = 2_000
"""Deliveries checked together by one privacy-gate call (see :mod:`.gate`)."""


@dataclass
class GateStep:
    delivery_id: str
    status: str
    """``landed``, ``refused`` (privacy) or ``rejected`` (structure)."""
    message: str
    table: DeliveryTable | None = None
    gate: dict[str, Any] = field(default_factory=dict)


def read_incoming(contract: Contract, delivery_id: str) -> DeliveryTable | GateStep:
    """The delivered table, or the step recording that its structure was rejected (moved to quarantine)."""
    folder = landing.delivery_dir("incoming", contract, delivery_id)
    manifest = landing.read_manifest(folder)
    names = [f["name"] for f in manifest["files"]]
    try:
        return read_delivery(contract, folder, names, manifest["payload"], manifest.get("records_key"))
    except StructureError as error:
        landing.reject_whole(contract, delivery_id, {
            "kind": error.kind, "status": "rejected", "message": str(error), "details": error.details,
            "table": contract.qualified_table, "contract_version": contract.version,
        })
        return GateStep(delivery_id, "rejected", str(error))


def _landing_updates(table: DeliveryTable) -> dict[str, Any]:
    return {"rows": table.rows, "columns": table.columns, "extra_columns": table.extra_columns}


def settle(
    contract: Contract,
    delivery_id: str,
    table: DeliveryTable | None,
    outcome: GateOutcome,
    updates: dict[str, Any] | None = None,
) -> GateStep:
    """Land a delivery the gate passed; quarantine whole a delivery it refused.

    ``table`` may be ``None`` (not kept in memory) when ``updates`` (:func:`_landing_updates`) is given.
    """
    gate = outcome.to_dict()
    if not outcome.passed:
        message = f"refused by the privacy gate: {outcome.message}"
        landing.reject_whole(contract, delivery_id, {
            "kind": "privacy", "status": "refused", "message": message, "gate": gate,
            "gate_result": outcome.details, "table": contract.qualified_table,
            "contract_version": contract.version,
        })
        return GateStep(delivery_id, "refused", message, gate=gate)
    if updates is None:
        assert table is not None
        updates = _landing_updates(table)
    landing.promote(contract, delivery_id, {**updates, "gate": gate})
    return GateStep(delivery_id, "landed", outcome.message, table=table, gate=gate)


def _frame_getter(table: DeliveryTable) -> Callable[[], pd.DataFrame]:
    return lambda: table.frame


KEEP_ROWS = 600_000
"""Rows of engine-passed deliveries kept in memory until the run's evidence is recorded; the loader
reads the others back from the landing area."""


class _Gatekeeper:
    """Reads incoming deliveries, gates them in groups, lands or quarantines them, and hands on each step.

    The rules engine checks each group as it fills; with evidence on, the deliveries it passes wait (in
    the incoming area) for the run's single GX evidence call in :meth:`finish` (see :mod:`.gate`).
    """

    def __init__(self, contract: Contract, report: DatasetReport, on_step: Callable[[GateStep], None],
                 evidence: bool | None = None):
        self.contract = contract
        self.report = report
        self.on_step = on_step
        self.evidence = evidence_default() if evidence is None else evidence
        self.pending: list[tuple[GateCandidate, DeliveryTable]] = []
        self.rows = 0
        self.run = RunEvidence(contract) if self.evidence else None
        self.waiting: list[tuple[str, DeliveryTable | None, dict[str, Any]]] = []
        self.kept_rows = 0

    def add(self, delivery_id: str) -> None:
        table = read_incoming(self.contract, delivery_id)
        if isinstance(table, GateStep):
            self._done(table)
            return
        self.pending.append((GateCandidate(delivery_id, _frame_getter(table), table.columns), table))
        self.rows += table.length
        if self.rows >= GATE_GROUP_ROWS or len(self.pending) >= GATE_GROUP_DELIVERIES:
            self.flush()

    def flush(self) -> None:
        """The rules engine on the pending group (no GX evidence here)."""
        if not self.pending:
            return
        tables = [t for _, t in self.pending]
        combined: list[pd.DataFrame] = []

        def frame() -> pd.DataFrame:
            if not combined:
                combined.append(combine_frames(tables))
            return combined[0]

        outcomes = gate_group(self.contract, [c for c, _ in self.pending], frame, evidence=False)
        if self.run is not None and combined and all(o.passed for o in outcomes.values()):
            header: list[str] = []
            for candidate, _ in self.pending:
                header.extend(h for h in candidate.header if h not in header)
            self.run.deliveries.extend(c.delivery_id for c, _ in self.pending[:-1])
            self.run.add(self.pending[-1][0].delivery_id, combined[0], header)
            collected = True
        else:
            collected = False
        for candidate, table in self.pending:
            outcome = outcomes[candidate.delivery_id]
            if self.run is None:
                self._done(settle(self.contract, candidate.delivery_id, table, outcome))
            elif not outcome.passed:
                # Refused: its own evidence (what was found, masked), then quarantined.
                outcome = run_delivery_gate(self.contract, table.frame, table.columns, candidate.delivery_id,
                                            evidence=True)
                self._done(settle(self.contract, candidate.delivery_id, table, outcome))
            else:
                if not collected:
                    self.run.add(candidate.delivery_id, table.frame, table.columns)
                keep = self.kept_rows + table.length <= KEEP_ROWS
                self.kept_rows += table.length if keep else 0
                self.waiting.append((candidate.delivery_id, table if keep else None, _landing_updates(table)))
        self.pending = []
        self.rows = 0

    def finish(self) -> None:
        """Check what is pending, record the run's evidence once, then land (or refuse) what waited for it."""
        self.flush()
        if self.run is None or not self.waiting:
            return
        outcome = self.run.record()
        assert outcome is not None
        if not outcome.passed:
            log.warning("%s: the privacy evidence of the run failed; its %d deliveries are refused: %s",
                        self.contract.table, len(self.waiting), outcome.message)
        for delivery_id, table, updates in self.waiting:
            self._done(settle(self.contract, delivery_id, table, outcome, updates))
        self.waiting = []
        self.run = RunEvidence(self.contract)
        self.kept_rows = 0

    def _done(self, step: GateStep) -> None:
        _note_gate(self.report, step)
        self.on_step(step)


def gate_dataset(
    contract: Contract, delivery_ids: list[str] | None = None, *, evidence: bool | None = None
) -> DatasetReport:
    """Airflow step 2: gate every incoming delivery of the dataset (or the given ones)."""
    report = DatasetReport(contract.qualified_table)
    keeper = _Gatekeeper(contract, report, lambda step: None, evidence)
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


def _version_at(manifest: dict[str, Any]) -> datetime:
    interval = manifest.get("interval") or {}
    text = interval.get("end") or manifest.get("received_at")
    return parse_instant(str(text))


def prepare_batch(
    contract: Contract, entries: list[tuple[str, DeliveryTable | None]]
) -> tuple[list[rawload.LoadItem], pd.DataFrame]:
    """Validate landed deliveries together (one vectorised pass), write each one's rejected rows to
    quarantine; returns what to load per delivery and all their valid rows in one frame."""
    manifests: list[dict[str, Any]] = []
    tables: list[DeliveryTable] = []
    for delivery_id, table in entries:
        folder = landing.delivery_dir("landing", contract, delivery_id)
        manifest = landing.read_manifest(folder)
        if table is None:
            names = [f["name"] for f in manifest["files"]]
            table = read_delivery(contract, folder, names, manifest["payload"], manifest.get("records_key"))
        manifests.append(manifest)
        tables.append(table)
    fields = list(contract.field_names)
    owners = np.repeat(np.arange(len(tables), dtype="int64"), [t.length for t in tables])
    combined = DeliveryTable(
        combine_frames(tables, fields), labels=[label for t in tables for label in t.labels], columns=fields
    )
    result = validate(contract, combined, groups=owners)
    assert result.rejected_positions is not None
    # Rows stay in delivery order: each delivery's rows are one contiguous slice (cheap views).
    valid_owner = owners[result.valid.index.to_numpy()]
    rejected_owner = owners[result.rejected_positions[result.rejected_positions >= 0]]
    codes = np.arange(len(entries) + 1)
    valid_bounds = np.searchsorted(valid_owner, codes)
    rejected_bounds = np.searchsorted(rejected_owner, codes)
    items = []
    for index, ((delivery_id, _), manifest, table) in enumerate(zip(entries, manifests, tables, strict=True)):
        valid = result.valid.iloc[valid_bounds[index] : valid_bounds[index + 1]]
        rejected = result.rejected.iloc[rejected_bounds[index] : rejected_bounds[index + 1]]
        if table.malformed:
            width = len(fields)
            rows = [[m.label, m.reason, *(list(m.values) + [""] * width)[:width]] for m in table.malformed]
            rejected = pd.concat([rejected, pd.DataFrame(rows, columns=["row", "reason", *fields])], ignore_index=True)
        if len(valid) + len(rejected) != table.rows:
            raise AssertionError(f"{delivery_id}: {len(valid)} valid + {len(rejected)} rejected != {table.rows} rows")
        write_rejected_rows(contract, delivery_id, rejected.reset_index(drop=True), table.rows)
        items.append(
            rawload.LoadItem(
                delivery_id=delivery_id,
                manifest=manifest,
                valid=valid,
                rows_total=table.rows,
                rows_quarantined=len(rejected),
                gate=manifest.get("gate") or {},
                version_at=_version_at(manifest),
            )
        )
    incoming = result.valid.reset_index(drop=True)
    ids = np.array([item.delivery_id for item in items], dtype=object)
    versions = pd.to_datetime(pd.Series([item.version_at for item in items], dtype=object), utc=True)
    incoming["_delivery_id"] = ids[valid_owner]
    incoming["_version_at"] = versions.to_numpy()[valid_owner]
    incoming["_seq"] = np.arange(len(incoming), dtype="int64")
    return items, incoming


def prepare_loads(contract: Contract, entries: list[tuple[str, DeliveryTable | None]]) -> list[rawload.LoadItem]:
    return prepare_batch(contract, entries)[0]


def prepare_load(contract: Contract, delivery_id: str, table: DeliveryTable | None = None) -> rawload.LoadItem:
    """Validate one landed delivery (see :func:`prepare_loads`)."""
    return prepare_loads(contract, [(delivery_id, table)])[0]


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
        self.pending: list[rawload.LoadItem] = []
        self.to_validate: list[tuple[str, DeliveryTable | None]] = []
        self.rows = 0
        self.known = rawload.recorded_ids(con, contract)

    def is_pending(self, delivery_id: str) -> bool:
        return any(i.delivery_id == delivery_id for i in self.pending) or any(
            d == delivery_id for d, _ in self.to_validate
        )

    def add(self, item: rawload.LoadItem) -> None:
        """A delivery quarantined whole: recorded in the ledger with the next batch."""
        if item.delivery_id in self.known:
            return
        self.pending.append(item)

    def add_landed(self, delivery_id: str, table: DeliveryTable | None = None) -> None:
        """A landed delivery to validate and load (``table`` if it was already read)."""
        if delivery_id in self.known:
            return
        self.to_validate.append((delivery_id, table))
        self.rows += table.length if table is not None else 500
        if self.rows >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        incoming: pd.DataFrame | None = None
        if self.to_validate:
            items, incoming = prepare_batch(self.contract, self.to_validate)
            self.pending.extend(items)
            self.to_validate = []
        if not self.pending:
            return
        done = rawload.load_batch(self.con, self.contract, self.pending, incoming)
        for item in done:
            self.known.add(item.delivery_id)
            if item.gate:
                self.report.gate = item.gate
                self.report.gate_available = bool(item.gate.get("available"))
            if item.status == "loaded":
                self.report.loaded.append(item.delivery_id)
                self.report.rows_loaded += len(item.valid)
                self.report.rows_quarantined += item.rows_quarantined
                candidate = (item.manifest.get("details") or {}).get("watermark_candidate")
                if self.contract.mechanism == "rest_api" and candidate:
                    advance_watermark(self.contract, parse_instant(candidate), item.delivery_id)
        self.pending = []
        self.rows = 0


def load_dataset(
    contract: Contract, con: duckdb.DuckDBPyConnection | None = None, delivery_ids: list[str] | None = None
) -> DatasetReport:
    """Airflow step 3 (holds the writer pool): load every landed delivery not yet in ``raw._deliveries``
    (and record deliveries quarantined whole)."""
    report = DatasetReport(contract.qualified_table)
    own = con is None
    connection = con or rawload.connect()
    try:
        rawload.ensure_tables(connection, [contract])
        loader = _Loader(connection, contract, report)
        landed = landing.landed_ids(contract) if delivery_ids is None else delivery_ids
        for delivery_id in landed:
            if delivery_id in loader.known:
                continue
            if landing.where_is(contract, delivery_id) == "landing":
                loader.add_landed(delivery_id)
            else:
                quarantined = _quarantined_item(contract, delivery_id)
                if quarantined is not None:
                    loader.add(quarantined)
                    _note_quarantined(report, quarantined)
        if delivery_ids is None:
            folder = landing.dataset_dir("quarantine", contract)
            if folder.is_dir():
                for path in sorted(folder.iterdir()):
                    if path.name not in loader.known and (path / landing.MANIFEST).is_file():
                        item = _quarantined_item(contract, path.name)
                        if item is not None:
                            loader.add(item)
                            _note_quarantined(report, item)
        loader.flush()
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
    """Pull, gate, validate and load one dataset for ``interval`` in this process (each delivery read once)."""
    report = DatasetReport(contract.qualified_table, interval.to_dict())
    missing: list[date] = []
    index = DropIndex(contract) if contract.mechanism == "file_drop" else None
    own = con is None
    connection = con or rawload.connect()
    try:
        rawload.ensure_tables(connection, [contract])
        loader = _Loader(connection, contract, report)
        deliveries = fetch(contract, interval, getter=getter, policy=policy, full_history=full_history,
                           missing_days=missing, drop_index=index)

        def hand_on(step: GateStep) -> None:
            if step.status == "landed":
                loader.add_landed(step.delivery_id, step.table)
            else:
                item = _quarantined_item(contract, step.delivery_id)
                if item is not None:
                    loader.add(item)

        keeper = _Gatekeeper(contract, report, hand_on, gate_evidence)
        for delivery_id in _stage_all(contract, deliveries, index, report):
            keeper.add(delivery_id)
        keeper.finish()
        # Deliveries landed by an earlier, interrupted run are loaded too.
        for delivery_id in landing.landed_ids(contract):
            if delivery_id not in loader.known and not loader.is_pending(delivery_id):
                loader.add_landed(delivery_id)
        loader.flush()
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
) -> list[DatasetReport]:
    """Every dataset of ``partner`` (or the listed ones) for ``interval``, sharing one warehouse connection."""
    contracts = [c for c in contracts_of(partner) if datasets is None or c.dataset in datasets]
    if not contracts:
        raise BadInput(f"unknown partner {partner!r} or datasets {datasets}")
    con = rawload.connect()
    try:
        return [
            ingest_dataset(c, interval, con=con, getter=getter, policy=policy, full_history=full_history,
                           gate_evidence=gate_evidence)
            for c in contracts
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
    delivery_id, known = landing.stage_incoming(delivered)
    report.pulled.append(delivery_id)
    con = rawload.connect()
    try:
        rawload.ensure_tables(con, [contract])
        loader = _Loader(con, contract, report)
        steps: list[GateStep] = []
        if known in (None, "incoming"):
            report.new = 1
            keeper = _Gatekeeper(contract, report, steps.append)
            keeper.add(delivery_id)
            keeper.finish()
        step = steps[0] if steps else None
        where = landing.where_is(contract, delivery_id)
        if where == "landing":
            if delivery_id in loader.known:
                _report_previous(con, contract, delivery_id, report)
            else:
                loader.add_landed(delivery_id, step.table if step else None)
                loader.flush()
        else:
            quarantined = _quarantined_item(contract, delivery_id)
            if quarantined is not None:
                loader.add(quarantined)
                loader.flush()
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


def default_getter(conn_id: str) -> PartnerConnection:
    """Connections from ``AIRFLOW_CONN_*`` (the package's own reading, outside Airflow)."""
    connection = connection_from_env(conn_id)
    if connection is None:
        return get_connection(conn_id)
    return connection

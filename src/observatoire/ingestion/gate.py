"""Hook point of the privacy delivery gate (DESIGN.md §6): every delivery is checked before it is landed.

The gate belongs to :mod:`observatoire.privacy` (``check_delivery(contract, frame, raw_header=…,
delivery_id=…, evidence=…) -> GateResult``); this module is the one place ingestion calls it. It gets
the delivery as read — every delivered column, values untouched — and the raw header.

Cost: recording Great Expectations evidence (Data Docs) takes seconds per call, so a ten-year history
of daily files cannot be checked one GX run per file. :func:`gate_group` therefore checks a *group* of
deliveries of the same dataset in one call (their rows together, the union of their headers). Every
check of the gate is per column name or per value, so a group passes only if each of its deliveries
would pass; when a group fails, each delivery is checked on its own so that only the offending ones are
refused. Scheduled runs have one delivery per dataset: their groups are single deliveries.

One gate call per dataset run: the run's deliveries are checked by ONE gate call (rules engine, plus the
GX evidence when it is on) over the run's combined frame (:class:`RunEvidence`: every distinct value of
every delivered column — the gate's checks are per column name or per value, so that frame passes
exactly when each delivery does) before anything of the run is landed; the engine thus reads each
distinct value once. Only when that call fails are the deliveries checked in groups, then one by one, by
the engine alone (:func:`gate_group`), to find the offending ones: each gets its own evidence call (what
was found, masked) and is refused; the others get one new evidence call together. If the engine passes
every delivery the failure was the evidence's (GX unavailable, or GX and the engine disagree): the run's
deliveries are refused.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..contracts import Contract

log = logging.getLogger(__name__)
EVIDENCE_ENV = "OBSERVATOIRE_GATE_EVIDENCE"


def evidence_default() -> bool:
    """Record GX evidence (Data Docs) for each gate call unless ``OBSERVATOIRE_GATE_EVIDENCE=0`` (tests)."""
    return os.environ.get(EVIDENCE_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


@dataclass(frozen=True)
class GateOutcome:
    passed: bool
    available: bool
    message: str
    summary: dict[str, Any] = field(default_factory=dict)
    """``GateResult.summary`` (compact) — what goes into manifests, the ledger and asset metadata."""
    details: dict[str, Any] = field(default_factory=dict)
    """``GateResult.to_dict()`` — the full machine-readable reason, kept for refused deliveries."""
    checked_with: int = 1
    """How many deliveries were checked together in the same gate call."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "available": self.available,
            "message": self.message,
            "summary": self.summary,
            "checked_with": self.checked_with,
        }


def _gate_function() -> Callable[..., Any] | None:
    try:
        module = importlib.import_module("observatoire.privacy")
    except ImportError:
        return None
    function = getattr(module, "check_delivery", None)
    return function if callable(function) else None


def run_delivery_gate(
    contract: Contract,
    frame: pd.DataFrame,
    raw_header: Sequence[str],
    delivery_id: str,
    *,
    evidence: bool | None = None,
    checked_with: int = 1,
) -> GateOutcome:
    """Run the privacy delivery gate on one delivery (or a group, see the module docstring)."""
    check = _gate_function()
    if check is None:
        log.warning("privacy delivery gate not available: %s %s passes unchecked", contract.table, delivery_id)
        return GateOutcome(True, False, "privacy delivery gate not installed: delivery not checked")
    if evidence is None:
        evidence = evidence_default()
    result = check(contract, frame, raw_header=list(raw_header), delivery_id=delivery_id, evidence=evidence)
    summary = dict(getattr(result, "summary", {}) or {})
    details = result.to_dict() if hasattr(result, "to_dict") else {}
    return GateOutcome(bool(result.passed), True, str(result.message), summary, details, checked_with)


@dataclass
class GateCandidate:
    delivery_id: str
    frame: Callable[[], pd.DataFrame]
    """Builds the delivery's frame (only needed when its group fails)."""
    header: list[str]


def gate_group(
    contract: Contract,
    candidates: Sequence[GateCandidate],
    combined: Callable[[], pd.DataFrame],
    *,
    evidence: bool | None = None,
) -> dict[str, GateOutcome]:
    """Outcome per delivery id for a group of deliveries of one dataset (``combined``: all their rows)."""
    if not candidates:
        return {}
    if len(candidates) == 1:
        only = candidates[0]
        return {only.delivery_id: run_delivery_gate(contract, only.frame(), only.header, only.delivery_id, evidence=evidence)}
    header: list[str] = []
    for candidate in candidates:
        header.extend(h for h in candidate.header if h not in header)
    frame = combined()
    label = f"{candidates[0].delivery_id} … {candidates[-1].delivery_id} ({len(candidates)} deliveries)"
    together = run_delivery_gate(contract, frame, header, label, evidence=evidence, checked_with=len(candidates))
    if together.passed:
        return {c.delivery_id: together for c in candidates}
    log.warning("%s: a group of %d deliveries failed the privacy gate; checking each", contract.table, len(candidates))
    return {
        c.delivery_id: run_delivery_gate(contract, c.frame(), c.header, c.delivery_id, evidence=evidence)
        for c in candidates
    }


class RunEvidence:
    """Collects the distinct values of the deliveries of a dataset run, for ONE gate call over all of them.

    The gate's checks are per column name or per value, so a frame holding every distinct value of every
    delivered column (and the union of the headers) passes exactly when each delivery would pass.
    """

    def __init__(self, contract: Contract):
        self.contract = contract
        self.values: dict[str, list[np.ndarray]] = {}
        self.header: list[str] = []
        self.deliveries: list[str] = []

    def add_group(self, delivery_ids: Sequence[str], frame: pd.DataFrame, header: Sequence[str]) -> None:
        """Several deliveries at once (``frame``: all their rows)."""
        self.add_distinct(delivery_ids, {str(c): pd.unique(frame[c].to_numpy()) for c in frame.columns}, header)

    def add_distinct(self, delivery_ids: Sequence[str], distinct: dict[str, np.ndarray], header: Sequence[str]) -> None:
        """Several deliveries at once, given by the distinct values of each of their columns."""
        self.deliveries.extend(delivery_ids)
        self.header.extend(h for h in header if h not in self.header)
        for column, values in distinct.items():
            self.values.setdefault(str(column), []).append(values)

    def frame(self) -> pd.DataFrame:
        """One column per delivered column: its distinct values, padded by repeating one of them."""
        distinct = {}
        for column, parts in self.values.items():
            values = parts[0] if len(parts) == 1 else pd.unique(np.concatenate(parts))
            self.values[column] = [values]
            distinct[column] = values
        length = max((len(v) for v in distinct.values()), default=0)
        data = {}
        for column, values in distinct.items():
            if len(values) == 0:
                data[column] = pd.Series([None] * length, dtype=object)
            else:
                data[column] = pd.Series(np.concatenate([values, np.repeat(values[:1], length - len(values))]))
        return pd.DataFrame(data, columns=list(distinct))

    @property
    def label(self) -> str:
        if len(self.deliveries) == 1:
            return self.deliveries[0]
        return f"{self.deliveries[0]} … {self.deliveries[-1]} ({len(self.deliveries)} deliveries)"

    def record(self, evidence: bool = True) -> GateOutcome | None:
        """The gate over the run's combined frame, with the GX evidence unless ``evidence`` is false
        (``None``: nothing to check)."""
        if not self.deliveries:
            return None
        return run_delivery_gate(self.contract, self.frame(), self.header, self.label, evidence=evidence,
                                 checked_with=len(self.deliveries))

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

Evidence once per dataset run: groups are checked by the rules engine alone (milliseconds), and the GX
evidence of the run is recorded by ONE gate call over the run's combined frame (:class:`RunEvidence`:
every distinct value of every column of the deliveries the engine passed — the gate's checks are per
column name or per value, so that frame passes exactly when each delivery does) before anything of the
run is landed. If that call fails (GX unavailable, or GX and the engine disagree) the run's deliveries
are refused. A delivery the engine refuses gets its own evidence call (what was found, masked).
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
    """Collects the distinct values of the deliveries a dataset run lands, for one evidence call."""

    def __init__(self, contract: Contract):
        self.contract = contract
        self.values: dict[str, list[np.ndarray]] = {}
        self.header: list[str] = []
        self.deliveries: list[str] = []

    def add(self, delivery_id: str, frame: pd.DataFrame, header: Sequence[str]) -> None:
        self.deliveries.append(delivery_id)
        self.header.extend(h for h in header if h not in self.header)
        for column in frame.columns:
            self.values.setdefault(str(column), []).append(pd.unique(frame[column].to_numpy()))

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

    def record(self) -> GateOutcome | None:
        """The gate with GX evidence over the run's combined frame (``None``: nothing to record)."""
        if not self.deliveries:
            return None
        label = (self.deliveries[0] if len(self.deliveries) == 1
                 else f"{self.deliveries[0]} … {self.deliveries[-1]} ({len(self.deliveries)} deliveries)")
        return run_delivery_gate(self.contract, self.frame(), self.header, label, evidence=True,
                                 checked_with=len(self.deliveries))

"""Hook point of the delivery privacy gate (DESIGN.md §6), called on every delivery before landing.

The gate belongs to :mod:`observatoire.privacy` (``check_delivery(contract, frame, …) -> GateResult``).
This module is the one place ingestion calls it, so the rest of ingestion does not depend on how the gate
is built. Until the privacy package provides ``check_delivery``, :func:`run_delivery_gate` lets deliveries
pass and says so in the manifest (``"gate": {"available": false}``).
"""

from __future__ import annotations

import importlib
import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..contracts import Contract

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GateOutcome:
    passed: bool
    available: bool
    message: str
    result: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "available": self.available, "message": self.message, "result": self.result}


def _gate_function() -> Callable[..., Any] | None:
    try:
        module = importlib.import_module("observatoire.privacy")
    except ImportError:
        return None
    function = getattr(module, "check_delivery", None)
    return function if callable(function) else None


def run_delivery_gate(contract: Contract, frame: pd.DataFrame, delivery_id: str) -> GateOutcome:
    """Run the privacy delivery gate on the delivered columns and values (before anything is landed)."""
    check = _gate_function()
    if check is None:
        log.warning("privacy delivery gate not available yet: %s %s passes unchecked", contract.table, delivery_id)
        return GateOutcome(True, False, "privacy delivery gate not installed: delivery not checked")
    parameters = inspect.signature(check).parameters
    kwargs: dict[str, Any] = {}
    if "delivery_id" in parameters:
        kwargs["delivery_id"] = delivery_id
    result = check(contract, frame, **kwargs)
    passed = bool(result.passed)
    message = getattr(result, "message", None)
    if callable(message):
        message = message()
    payload = result.to_dict() if hasattr(result, "to_dict") else {}
    return GateOutcome(passed, True, str(message or ("passed" if passed else "refused")), payload)

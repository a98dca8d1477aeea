"""Privacy rules and gates: nothing personal enters, nothing personal leaves (DESIGN.md §6).

The rules are reviewable files in ``expectations/`` (see its README); this package applies them.

Delivery gate (ingestion calls it on every delivery, BEFORE loading anything)::

    from observatoire.privacy import check_delivery, quarantine_delivery

    result = check_delivery(contract, frame, raw_header=header, delivery_id=delivery_id)
    #   contract:   observatoire.contracts.Contract, or its table name "partner__dataset"
    #   frame:      the parsed delivery, ALL columns present in the file (or a path to the file)
    #   raw_header: the file's header / the union of the JSON records' keys
    if not result.passed:
        quarantine_delivery(result, paths().quarantine / partner / dataset / delivery_id, files=[...])
        raise PrivacyRefusal(result.message)          # exit code 3, Airflow task failed
    asset_extra["privacy_gate"] = result.summary      # JSON-able

Publish gate (orchestration calls it on the file about to be published)::

    from observatoire.privacy import check_published_tables, suppress_all_small_cells

    cells = suppress_all_small_cells(con)             # fits observatoire.publish.SuppressFn
    result = check_published_tables(tmp_file)         # .passed and .summary fit GateOutcome
    # a table not declared in expectations/published_tables.yml fails the gate (unknown_table)

Scan of any DuckDB file: ``scan_file(path)``, or ``observatoire privacy-scan FILE.duckdb``.

``GateResult``: ``passed``, ``findings`` (``Finding``: table, column, rule, count, masked examples,
detail, severity), ``checks`` (what was checked), ``evidence`` (GX run, Data Docs index),
``message`` (one paragraph for an operator), ``summary`` and ``to_dict()`` / ``to_json()``.

Every gate run with ``evidence=True`` (the default) is validated by Great Expectations and its
Data Docs pages are rendered under ``$OBSERVATOIRE_HOME/docs/data_docs/``. If GX cannot record the
evidence, the gate fails (rule ``evidence_unavailable``). GX is imported only then (about 3 s of CPU
once per process); ``evidence=False`` runs the pure engine (tests, previews, group pre-checks);
``check_published_tables(..., evidence="on_refusal")`` runs the engine and records GX evidence only
when it refuses (the marts pre-check before the gate of record on the published file).

``GateResult.timing`` (also in ``summary`` and ``to_dict()``): CPU and wall seconds of the call
(``cpu_s``, ``wall_s``) and of its parts (``engine_*``, ``gx_import_*``, ``gx_context_*``,
``gx_batches_*``, ``gx_validate_*``, ``data_docs_*``) — what the gates cost in a run.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# The public names are imported on first use: the package pulls in pandas (and GX for evidence), and
# `observatoire --help` imports every command module, which must stay fast.
_EXPORTS = {
    "check_delivery": "delivery_gate",
    "quarantine_delivery": "delivery_gate",
    "read_delivery": "delivery_gate",
    "scan_delivery_frame": "delivery_gate",
    "scan_file": "file_scan",
    "Finding": "findings",
    "GateResult": "findings",
    "TableCheck": "findings",
    "check_published_tables": "publish_gate",
    "suppress_all_small_cells": "publish_gate",
    "suppress_small_cells": "publish_gate",
}

if TYPE_CHECKING:
    from .delivery_gate import check_delivery, quarantine_delivery, read_delivery, scan_delivery_frame
    from .file_scan import scan_file
    from .findings import Finding, GateResult, TableCheck
    from .publish_gate import check_published_tables, suppress_all_small_cells, suppress_small_cells


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)


__all__ = [
    "Finding",
    "GateResult",
    "TableCheck",
    "check_delivery",
    "check_published_tables",
    "quarantine_delivery",
    "read_delivery",
    "scan_delivery_frame",
    "scan_file",
    "suppress_all_small_cells",
    "suppress_small_cells",
]

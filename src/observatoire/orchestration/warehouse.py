"""What the ``build_warehouse`` tasks do, after dbt: gate, similarity index, notice, docs, publication.

Each function opens the warehouse itself and returns a small JSON-able summary (it becomes the task's
XCom and, for ``publish_marts``, the published asset's extra). The DAG runs every one of them in the
one-slot warehouse pool.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from ..config import paths
from ..publish import GateOutcome, PublishBlocked, publish
from . import dbt as dbt_setup

log = logging.getLogger(__name__)


MAX_FINDINGS_IN_SUMMARY = 20


def check_marts() -> dict[str, Any]:
    """Fast pre-check of the warehouse marts by the privacy rules engine; raises ``PublishBlocked`` on any finding.

    It fails fast and names the marts at fault in the UI before the similarity index is built on
    them. The gate of record is the one ``publish_marts`` runs on the file about to be published
    (every table, small cells suppressed, Great Expectations evidence): so that the same tables are
    not validated by GX twice in one run, this pre-check records GX evidence (Data Docs) only when it
    refuses — a refusal stops the run here, and its evidence must exist.
    """
    from ..privacy.publish_gate import check_published_tables

    outcome = gate_outcome(check_published_tables(paths().warehouse, schema="marts", evidence="on_refusal"))
    if not outcome.passed:
        raise PublishBlocked(str(outcome.summary.get("message", "the publish gate refused the marts")), outcome)
    return dict(outcome.summary)


def gate_outcome(result: Any) -> GateOutcome:
    """A privacy ``GateResult`` as the compact verdict kept in the publish log and the asset extra.

    ``timing`` holds the gate's own CPU and wall seconds (whole call, rules engine, GX import,
    validation, Data Docs), so the publish log and the benchmark can report what the gates cost.
    """
    full = result.to_dict()
    checks = full.get("checks", [])
    findings = full.get("findings", [])
    evidence = full.get("evidence") or {}
    summary = {
        "gate": full.get("gate"),
        "passed": bool(result.passed),
        "checked_at": full.get("checked_at"),
        "duration_s": full.get("duration_s"),
        "timing": full.get("timing", {}),
        "evidence": "great_expectations" if evidence.get("validations") else "rules engine only",
        "data_docs": evidence.get("data_docs_index"),
        "message": full.get("message"),
        "tables_checked": len(checks),
        "rows_checked": sum(int(c.get("rows", 0)) for c in checks),
        "findings": len(findings),
        "first_findings": findings[:MAX_FINDINGS_IN_SUMMARY],
    }
    return GateOutcome(bool(result.passed), summary)


def build_similarity_index(full: bool = False) -> dict[str, Any]:
    """``marts.event_similarity``, ``similarity_parameters``, ``similarity_evaluation`` in the warehouse.

    Incremental unless ``full`` (or the configuration changed): only the events whose neighbours can
    have changed are recomputed (see ``observatoire.similarity.incremental``)."""
    from ..similarity import build_similarity_index as build

    result = build(paths().warehouse, full=full)
    return {
        # What identifies the index: its configuration and the events it was computed on.
        "fingerprint": f"{result.config_fingerprint}:{result.data_snapshot_id}",
        "config_fingerprint": result.config_fingerprint,
        "data_snapshot_id": result.data_snapshot_id,
        "events": result.events,
        "pairs": result.pairs,
        "evaluation_rows": result.evaluation_rows,
        "mode": result.mode,
        "reason": result.reason,
        "recomputed_events": result.recomputed_events,
        "seconds": round(result.seconds, 1),
        "cpu_seconds": round(result.cpu_seconds, 1),
    }


def write_transparency_notice() -> list[str]:
    """The notice (French and English, Markdown and HTML) from the warehouse's similarity tables."""
    from ..transparency.notice import write_notice

    return [str(path) for path in write_notice(paths().warehouse, paths().docs / "transparency")]


def build_documentation() -> dict[str, str | None]:
    """dbt docs into ``docs/dbt``; the GX Data Docs site is kept current by every gate run.

    The gates render their own validation pages and the index on every run; the site is rebuilt in
    full here only when its index is missing (e.g. after the docs folder was cleared).
    """
    docs = paths().docs
    dbt_dir = dbt_setup.generate_docs(docs / "dbt")
    from ..privacy.evidence import data_docs_dir, rebuild_data_docs

    index = data_docs_dir() / "index.html"
    url = index.as_uri() if index.is_file() else rebuild_data_docs()
    return {"dbt_docs": str(dbt_dir / "index.html"), "data_docs": str(data_docs_dir()), "data_docs_url": url}


def _published_gate(path: Path) -> GateOutcome:
    """The gate of record: every table of the new file, after suppression, with GX evidence."""
    from ..privacy.publish_gate import check_published_tables

    return gate_outcome(check_published_tables(path, schema="main"))


def _suppress(con: Any) -> dict[str, int]:
    from ..privacy.publish_gate import suppress_all_small_cells

    return dict(suppress_all_small_cells(con, schema="main"))


def publish_marts(run_id: str, index: dict[str, Any], warehouse_gate: dict[str, Any]) -> dict[str, Any]:
    """Publication: copy the marts, suppress small cells, gate the new file once (engine + GX), swap.

    ``warehouse_gate`` is the summary of ``check_marts`` (the engine pre-check), kept beside the
    gate of record in the asset extra.
    """
    p = paths().ensure()
    result = publish(
        p.warehouse,
        p.published,
        run_id=run_id,
        gate=_published_gate,
        suppress=_suppress,
        index_fingerprint=index.get("fingerprint"),
    )
    extra = result.as_asset_extra()
    extra["warehouse_gate"] = warehouse_gate
    return extra

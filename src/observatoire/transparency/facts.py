"""Everything the transparency notice states, read from the live configuration and published data.

Nothing here is hand-written: each figure comes from a table of the published file (or the warehouse),
from the similarity configuration, or from the partner contracts. A missing table is reported as
"not available", never replaced by a made-up figure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from ..config import TIMEZONE
from ..contracts import CONTRACTS
from ..contracts.registry import title_fr
from ..similarity import columns as c
from ..similarity.config import AXES, SCALED_AXES, SimilarityConfig, config_from_dict, load_config
from ..similarity.loading import connect_read_only, read_table, table_columns, table_ref

# The outcome whose small counts are masked (DESIGN §6) and whose forecast leaves masked values out.
MASKED_OUTCOME = "offences_atteinte_personnes"


@dataclass
class NoticeFacts:
    generated_at: str
    database: str
    database_available: bool
    config: SimilarityConfig
    config_source: str
    """"similarity_parameters" (read from the published table) or "default" (the default file)."""
    parameters: list[dict[str, Any]]
    small_cells: dict[str, Any] = field(default_factory=dict)
    """k (counts from 1 to k − 1 are masked), the outcome, and how many events have it masked."""
    events: dict[str, Any] | None = None
    natures: list[str] = field(default_factory=list)
    partners: list[dict[str, Any]] = field(default_factory=list)
    similarity_rows: int | None = None
    data_snapshot_id: str | None = None
    evaluation: list[dict[str, Any]] = field(default_factory=list)
    evaluation_summary: dict[str, Any] | None = None
    publication: dict[str, Any] | None = None
    deliveries: list[dict[str, str]] = field(default_factory=list)


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _partners(events: pd.DataFrame | None) -> list[dict[str, Any]]:
    """Partners and their datasets (from the contracts), with the events each partner reported."""
    counts: dict[str, int] = {}
    if events is not None:
        for value in events[c.SOURCE_PARTNERS].dropna().astype(str):
            for partner in {p.strip() for p in value.replace(";", ",").split(",") if p.strip()}:
                counts[partner] = counts.get(partner, 0) + 1
    by_partner: dict[str, list[dict[str, str]]] = {}
    for contract in CONTRACTS.values():
        by_partner.setdefault(contract.partner, []).append(
            {
                "dataset": contract.dataset,
                "title": contract.title,
                "title_fr": title_fr(contract),
                # Without the partner's name, which the notice shows beside it.
                "short_en": _without_partner(contract.title),
                "short_fr": _without_partner(title_fr(contract)),
                "mechanism": contract.mechanism,
            }
        )
    return [
        {"partner": partner, "datasets": datasets, "events": counts.get(partner)}
        for partner, datasets in by_partner.items()
    ]


def _without_partner(title: str) -> str:
    short = title.split(" — ", 1)[-1].strip()
    return short[:1].upper() + short[1:]


def _small_cells(masked_events: int | None) -> dict[str, Any]:
    from ..privacy.rules import published_rules

    return {"k": published_rules().k, "outcome": MASKED_OUTCOME, "masked_events": masked_events}


def _evaluation_summary(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not rows:
        return None
    by_outcome: dict[str, dict[str, dict[str, Any]]] = {}
    for row in rows:
        by_outcome.setdefault(row["outcome"], {})[row["method"]] = row
    beats_both, loses = [], []
    for outcome, methods in by_outcome.items():
        index = methods.get("similarity_index", {}).get("mae")
        others = [m.get("mae") for name, m in methods.items() if name != "similarity_index"]
        if index is None or any(o is None for o in others):
            continue
        if all(index < o for o in others):
            beats_both.append(outcome)
        else:
            loses.append(outcome)
    first = rows[0]
    return {
        "outcomes": len(by_outcome),
        "beats_both": beats_both,
        "loses": loses,
        "n_events": max(int(r["n_events"] or 0) for r in rows),
        "period_start": first.get("period_start"),
        "period_end": first.get("period_end"),
    }


def _local(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return str(stamp.tz_convert(TIMEZONE).strftime("%Y-%m-%d %H:%M"))


def collect_facts(db: Path) -> NoticeFacts:
    now = _local(datetime.now(UTC)) or ""
    if not Path(db).exists():
        config = load_config()
        return NoticeFacts(
            now,
            str(db),
            False,
            config,
            "default",
            _parameter_rows(config),
            small_cells=_small_cells(None),
            partners=_partners(None),
        )
    con = connect_read_only(Path(db))
    try:
        params = read_table(con, c.SIMILARITY_PARAMETERS)
        if params is not None and len(params) and "config_json" in params.columns:
            config, source = (
                config_from_dict(json.loads(str(params["config_json"].iloc[0]))),
                "similarity_parameters",
            )
        else:
            config, source = load_config(), "default"
        facts = NoticeFacts(now, str(db), True, config, source, _parameter_rows(config))
        facts.small_cells = _small_cells(None)
        events_ref = table_ref(con, c.FCT_EVENT)
        events = None
        if events_ref is not None:
            events = con.execute(
                f"SELECT {c.NATURE}, {c.SOURCE_PARTNERS}, {c.TOOK_PLACE}, {c.STARTS_AT} FROM {events_ref}"
            ).fetchdf()
            facts.events = {
                "total": len(events),
                "took_place": int(events[c.TOOK_PLACE].fillna(False).astype(bool).sum()),
                "first": _local(events[c.STARTS_AT].min()) if len(events) else None,
                "last": _local(events[c.STARTS_AT].max()) if len(events) else None,
                "natures": int(events[c.NATURE].nunique()),
            }
            facts.natures = sorted(events[c.NATURE].dropna().astype(str).unique().tolist())
            if MASKED_OUTCOME in table_columns(con, events_ref):
                row = con.execute(
                    f"SELECT count(*) FILTER ({MASKED_OUTCOME} IS NULL) FROM {events_ref}"
                ).fetchone()
                facts.small_cells = _small_cells(int(row[0]) if row else None)
        facts.partners = _partners(events)
        sim_ref = table_ref(con, c.EVENT_SIMILARITY)
        if sim_ref is not None:
            row = con.execute(f"SELECT count(*), any_value(data_snapshot_id) FROM {sim_ref}").fetchone()
            if row is not None:
                facts.similarity_rows, facts.data_snapshot_id = int(row[0]), row[1]
        evaluation = read_table(con, c.SIMILARITY_EVALUATION)
        if evaluation is not None:
            records = evaluation.astype(object).where(evaluation.notna(), None).to_dict(orient="records")
            facts.evaluation = [{str(k): v for k, v in r.items()} for r in records]
            facts.evaluation_summary = _evaluation_summary(facts.evaluation)
            if facts.evaluation_summary:
                for key in ("period_start", "period_end"):
                    facts.evaluation_summary[key] = _local(facts.evaluation_summary[key])
        log_table = read_table(con, c.PUBLISH_LOG)
        if log_table is not None and len(log_table):
            sort_by = "published_at" if "published_at" in log_table.columns else log_table.columns[0]
            latest = log_table.sort_values(sort_by).iloc[-1].to_dict()
            facts.publication = {
                "published_at": _local(latest.get("published_at")),
                "run_id": latest.get("run_id"),
                "gate_passed": latest.get("gate_passed"),
                "gate_summary": _json(latest.get("gate_summary")),
                "cells_suppressed": _json(latest.get("cells_suppressed")),
                "data_snapshot": latest.get("data_snapshot"),
                "publications": len(log_table),
            }
            detail = _json(latest.get("data_snapshot_detail"))
            if isinstance(detail, dict) and isinstance(detail.get("latest"), dict):
                facts.deliveries = [
                    {"dataset": k, "delivery": str(v)} for k, v in sorted(detail["latest"].items())
                ]
        return facts
    finally:
        con.close()


def _parameter_rows(config: SimilarityConfig) -> list[dict[str, Any]]:
    return [
        {
            "axis": axis,
            "weight": config.weight(axis),
            "weight_share": config.weight(axis) / config.total_weight,
            "scale": config.scale(axis),
            # Scales only mean something for the measured axes; the others compare two categories.
            "scaled": axis in SCALED_AXES,
            # The ratio of values (participants, m², hours) that counts as a gap of 1.
            "factor": 10 ** config.scale(axis) if axis in SCALED_AXES and axis != "location" else None,
            "description_fr": config.axes[axis].description_fr,
            "description_en": config.axes[axis].description_en,
        }
        for axis in AXES
    ]

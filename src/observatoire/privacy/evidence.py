"""Great Expectations evidence: every gate run validated by GX and rendered in Data Docs.

Why this shape (GX 1.x, file context under ``$OBSERVATOIRE_HOME/state/gx``, Data Docs site under
``$OBSERVATOIRE_HOME/docs/data_docs``):

- GX is given pandas frames, never DuckDB through SQLAlchemy (most metrics fail there).
- Per table, one suite of built-in expectations replays the rules GX can express on its own:
  ``ExpectTableColumnsToMatchSet`` (exact allowed set), ``ExpectColumnValuesToNotMatchRegex``
  with the value patterns that need no checksum, ``ExpectColumnValuesToNotBeInSet`` for small
  cells. The batch is the table's *distinct* values per column (every value, deduplicated), so a
  million-row table costs GX what its few thousand distinct texts cost.
- Checks that need code (Luhn, NIR key, IBAN mod-97, titles outside street names, locations) are
  done by the engine; their outcome is recorded as one "engine" batch (one row per column checked,
  one column per rule, null when clean, else a masked summary) validated by
  ``ExpectColumnValuesToBeNull``: the Data Docs show what was found, masked.
- Unexpected values of the raw-value expectations are never listed (``partial_unexpected_count``
  0): Data Docs must not become a copy of the personal data they guard against.
- A file lock serialises gate runs of parallel tasks that share one GX project.
- GX is imported lazily: it takes seconds to import, and the pure engine must stay fast.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from ..config import paths
from ..contracts import Contract
from .duckdb_scan import TableScan
from .findings import Finding, GateResult, TableCheck
from .rules import PublishedRules, value_rules

log = logging.getLogger(__name__)

DATASOURCE = "observatoire_privacy"
SITE_NAME = "observatoire_privacy"
INDEX_LIMIT = 500
"""Validation results listed on the Data Docs index (all stay on disk; keeps the rebuild cheap)."""

HIDE_VALUES = {"result_format": "SUMMARY", "partial_unexpected_count": 0}
SHOW_SUMMARIES = {"result_format": "SUMMARY", "partial_unexpected_count": 50}


@dataclass
class TableEvidence:
    name: str
    frame: pd.DataFrame
    """One column per column of the table; text columns hold their distinct values (padded with nulls)."""
    column_set: list[str] | None
    text_columns: list[str]
    findings: list[Finding]
    check: TableCheck
    small_cell_columns: list[str] = field(default_factory=list)
    k: int = 5


def gx_project_dir() -> Path:
    return paths().state / "gx"


def data_docs_dir() -> Path:
    return paths().docs / "data_docs"


def _distinct_frame(columns: Sequence[str], distinct: dict[str, pd.Series]) -> pd.DataFrame:
    length = max((len(v) for v in distinct.values()), default=0)
    data: dict[str, pd.Series] = {}
    for column in columns:
        values = distinct.get(column)
        if values is None:
            data[column] = pd.Series([None] * length, dtype=object)
        else:
            data[column] = values.reset_index(drop=True).reindex(range(length))
    return pd.DataFrame(data, columns=list(columns))


def delivery_evidence(
    contract: Contract, frame: pd.DataFrame, check: TableCheck, findings: list[Finding]
) -> TableEvidence:
    distinct = {
        str(c): pd.Series(frame[c].dropna().astype(str).unique(), dtype=object)
        for c in check.text_columns
        if c in frame.columns
    }
    columns = list(check.columns)
    # A nullable field absent from the delivery is all-null, not a schema break (the engine notes it).
    columns += [f.name for f in contract.fields if f.nullable and f.name not in columns]
    return TableEvidence(
        name=contract.table,
        frame=_distinct_frame(columns, distinct),
        column_set=list(contract.field_names),
        text_columns=list(check.text_columns),
        findings=findings,
        check=check,
    )


def publish_evidence(scan: TableScan, rules: PublishedRules, k: int) -> TableEvidence:
    spec = rules.tables.get(scan.check.table)
    # Declared columns absent from the table are harmless for privacy: the set checked is the
    # declared columns that exist, so only an undeclared column fails.
    column_set = [c for c in scan.check.columns if spec is not None and spec.allows(c)]
    return TableEvidence(
        name=scan.check.table,
        frame=_distinct_frame(scan.check.columns, scan.distinct),
        column_set=column_set,
        text_columns=list(scan.check.text_columns),
        findings=[f for f in scan.findings],
        check=scan.check,
        small_cell_columns=list(scan.small_cell_columns),
        k=k,
    )


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


_CONTEXTS: dict[str, Any] = {}


def _context() -> Any:
    """The file data context (cached per process), with our Data Docs site and no progress bars."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    root = gx_project_dir()
    key = str(root)
    if key in _CONTEXTS:
        return _CONTEXTS[key]
    context = gx.get_context(mode="file", project_root_dir=str(root))
    site: Any = {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(data_docs_dir()),
        },
        "site_index_builder": {
            "class_name": "DefaultSiteIndexBuilder",
            "validation_results_limit": INDEX_LIMIT,
        },
    }
    sites = context.list_data_docs_sites()
    for name in list(sites):
        if name != SITE_NAME:
            context.delete_data_docs_site(name)
    if SITE_NAME in context.list_data_docs_sites():
        if context.list_data_docs_sites()[SITE_NAME] != site:
            context.update_data_docs_site(SITE_NAME, site)
    else:
        context.add_data_docs_site(SITE_NAME, site)
    if _progress_bars_enabled(context.variables.progress_bars):
        context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        context.variables.save()
    _CONTEXTS[key] = context
    return context


def _progress_bars_enabled(setting: Any) -> bool:
    # A new project holds a ProgressBarsConfig; a project re-read from great_expectations.yml holds a dict.
    if setting is None:
        return True
    if isinstance(setting, dict):
        return bool(setting.get("globally", True))
    return bool(setting.globally)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def _batch_definition(context: Any, asset_name: str) -> Any:
    source = (
        context.data_sources.add_or_update_pandas(DATASOURCE)
        if DATASOURCE not in [d.name for d in context.data_sources.all().values()]
        else context.data_sources.get(DATASOURCE)
    )
    try:
        asset = source.get_asset(asset_name)
    except LookupError:
        asset = source.add_dataframe_asset(asset_name)
    try:
        return asset.get_batch_definition("whole")
    except KeyError:
        return asset.add_batch_definition_whole_dataframe("whole")


def _table_suite(gate: str, table: TableEvidence) -> Any:
    import great_expectations as gx
    import great_expectations.expectations as gxe

    expectations: list[Any] = []
    if table.column_set is not None:
        expectations.append(
            gxe.ExpectTableColumnsToMatchSet(
                column_set=table.column_set,
                exact_match=True,
                description="Exactly the allowed columns (contract or published-table declaration).",
            )
        )
    patterns = [r for r in value_rules() if r.pure_regex]
    # One alternation instead of a regex list: GX then scans each column once, not once per pattern.
    combined = "|".join(f"(?:{r.regex.pattern})" for r in patterns)
    for column in table.text_columns:
        expectations.append(
            gxe.ExpectColumnValuesToNotMatchRegex(
                column=column,
                regex=combined,
                description="No " + ", ".join(r.title.lower() for r in patterns) + ".",
            )
        )
    for column in table.small_cell_columns:
        expectations.append(
            gxe.ExpectColumnValuesToNotBeInSet(
                column=column,
                value_set=list(range(1, table.k)),
                description=f"Counts of offences against persons below {table.k} are suppressed.",
            )
        )
    return gx.ExpectationSuite(
        name=_safe(f"privacy_{gate}.{table.name}"),
        expectations=expectations,
        meta={
            "notes": f"Privacy {gate} gate, table {table.name}: built-in expectations on its distinct values."
        },
    )


ENGINE_RULES = ("column_name",)


def _engine_frame(tables: Sequence[TableEvidence]) -> tuple[pd.DataFrame, list[str]]:
    """One row per (table, column) checked, one column per rule: null when clean, else a masked summary."""
    rule_ids = ["column_name", *[r.id for r in value_rules()], "individual_location", "small_cell"]
    schema_rules = {
        "unexpected_column",
        "personal_column_name",
        "missing_column",
        "unknown_table",
        "missing_table",
    }
    rows: list[dict[str, Any]] = []
    for table in tables:
        by_column: dict[str | None, dict[str, str]] = {}
        for finding in table.findings:
            if finding.severity != "refuse":
                continue
            rule = "column_name" if finding.rule in schema_rules else finding.rule
            if rule not in rule_ids:
                rule_ids.append(rule)
            by_column.setdefault(finding.column, {})[rule] = finding.describe()
        for column in [*table.check.columns, *[c for c in by_column if c not in table.check.columns]]:
            row: dict[str, Any] = {"table": table.name, "column": column if column is not None else "(table)"}
            row.update(by_column.get(column, {}))
            rows.append(row)
    frame = pd.DataFrame(rows, columns=["table", "column", *rule_ids])
    return frame.astype(object).where(frame.notna(), None), rule_ids


def _engine_suite(gate: str, rule_ids: Sequence[str]) -> Any:
    import great_expectations as gx
    import great_expectations.expectations as gxe

    titles = {r.id: r.title for r in value_rules()}
    titles.update(
        column_name="Column names: allowed set and personal-data denylist (FR + EN)",
        individual_location="No location finer than a 200 m cell in aggregated datasets",
        small_cell="No count of offences against persons between 1 and k-1",
    )
    return gx.ExpectationSuite(
        name=_safe(f"privacy_{gate}.engine"),
        expectations=[
            gxe.ExpectColumnValuesToBeNull(
                column=rule,
                description=f"Engine rule {rule}: {titles.get(rule, rule)} — nothing found.",
            )
            for rule in rule_ids
        ],
        meta={"notes": "Outcome of the observatoire privacy engine: one row per column checked."},
    )


_DEFINITIONS: dict[tuple[str, str], tuple[str, Any]] = {}
"""Validation definitions stored by this process, keyed by (project, suite name), with the suite's
expectations as JSON: storing suites and definitions is much of GX's fixed cost, and they rarely
change between two gate runs of one process."""


def _validate(
    context: Any, suite: Any, frame: pd.DataFrame, run_id: Any, result_format: dict[str, Any]
) -> tuple[Any, bool]:
    """Runs ``suite`` on ``frame``; also says whether the suite had to be stored (changed)."""
    import great_expectations as gx

    key = (str(gx_project_dir()), suite.name)
    fingerprint = json.dumps(
        [e.configuration.to_json_dict() for e in suite.expectations], sort_keys=True, default=str
    )
    cached = _DEFINITIONS.get(key)
    stored = cached is None or cached[0] != fingerprint
    if stored:
        suite = context.suites.add_or_update(suite)
        definition = gx.ValidationDefinition(
            name=suite.name, data=_batch_definition(context, suite.name), suite=suite
        )
        definition = context.validation_definitions.add_or_update(definition)
        _DEFINITIONS[key] = (fingerprint, definition)
    else:
        definition = cached[1]  # type: ignore[index]
    outcome = definition.run(
        batch_parameters={"dataframe": frame}, result_format=result_format, run_id=run_id
    )
    return outcome, stored


def record_evidence(result: GateResult, tables: Sequence[TableEvidence], build_docs: bool = True) -> None:
    """Validates the gate run with GX, stores the results and rebuilds the Data Docs pages.

    Fills ``result.evidence``. If GX cannot record the evidence, or one of its built-in
    expectations fails where the engine found nothing, a refusing finding is added: without
    evidence there is no proof, and the two must agree.
    """
    try:
        with _locked(gx_project_dir()):
            from great_expectations.core.run_identifier import RunIdentifier

            context = _context()
            run_id = RunIdentifier(
                run_name=_safe(f"{result.gate}:{result.subject}")[:200], run_time=datetime.now(UTC)
            )
            identifiers: list[Any] = []
            validations: list[dict[str, Any]] = []
            for table in tables:
                outcome, stored = _validate(
                    context, _table_suite(result.gate, table), table.frame, run_id, HIDE_VALUES
                )
                failed = [r.expectation_config.type for r in outcome.results if not r.success]
                validations.append(
                    {"suite": outcome.suite_name, "success": bool(outcome.success), "failed": failed}
                )
                identifiers.extend(_result_identifier(outcome, run_id, stored))
                if not outcome.success and not any(f.severity == "refuse" for f in table.findings):
                    result.findings.append(
                        Finding(table.name, None, "gx_expectation_failed", 0, detail=", ".join(failed))
                    )
            frame, rule_ids = _engine_frame(tables)
            outcome, stored = _validate(
                context, _engine_suite(result.gate, rule_ids), frame, run_id, SHOW_SUMMARIES
            )
            validations.append(
                {
                    "suite": outcome.suite_name,
                    "success": bool(outcome.success),
                    "failed": [
                        r.expectation_config.kwargs.get("column") for r in outcome.results if not r.success
                    ],
                }
            )
            identifiers.extend(_result_identifier(outcome, run_id, stored))
            index = None
            if build_docs:
                urls = context.build_data_docs(site_names=[SITE_NAME], resource_identifiers=identifiers)
                index = urls.get(SITE_NAME)
            result.evidence = {
                "engine": "great_expectations",
                "run_name": run_id.run_name,
                "run_time": run_id.run_time.isoformat(),
                "success": all(v["success"] for v in validations),
                "validations": validations,
                "data_docs_index": index or str(data_docs_dir() / "index.html"),
            }
    except Exception as error:  # any GX failure: record it and refuse (no evidence, no pass)
        log.exception("privacy evidence could not be recorded")
        result.evidence = {"engine": "great_expectations", "error": f"{type(error).__name__}: {error}"}
        result.findings.append(
            Finding(
                result.subject, None, "evidence_unavailable", 0, detail=f"{type(error).__name__}: {error}"
            )
        )


def _result_identifier(outcome: Any, run_id: Any, suite_changed: bool) -> list[Any]:
    """Identifiers of the validation result and its suite, for an incremental Data Docs build."""
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    suite_id = ExpectationSuiteIdentifier(name=outcome.suite_name)
    # GX names a whole-dataframe batch "<datasource>-<asset>"; our asset is named after the suite.
    result_id = ValidationResultIdentifier(
        expectation_suite_identifier=suite_id,
        run_id=run_id,
        batch_identifier=f"{DATASOURCE}-{outcome.suite_name}",
    )
    # A suite page is rendered again only when the suite was stored again (rendering is costly).
    return [result_id, suite_id] if suite_changed else [result_id]


def rebuild_data_docs() -> str | None:
    """Full rebuild of the Data Docs site (e.g. after clearing it)."""
    with _locked(gx_project_dir()):
        urls = _context().build_data_docs(site_names=[SITE_NAME])
    return urls.get(SITE_NAME)

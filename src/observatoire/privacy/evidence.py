"""Great Expectations evidence: every gate run validated by GX and rendered in Data Docs.

Why this shape (GX 1.x, file context under ``$OBSERVATOIRE_HOME/state/gx``, Data Docs site under
``$OBSERVATOIRE_HOME/docs/data_docs``):

- GX is given pandas frames, never DuckDB through SQLAlchemy (most metrics fail there).
- One gate run = two validations, whatever the number of tables:

  * the **data batch**: every distinct value of every text column of the run's tables (deduplicated,
    so a million-row table costs GX what its distinct values cost), pooled by *shape*, and the
    distinct small-cell counts (``small_cell_column``, ``small_cell_value``):

    - a column whose contract type is not free text (timestamp, integer, float, boolean: in a CSV or
      JSON delivery they arrive as text) puts the values that fully match the strict, anchored shape
      of its type (:data:`SHAPES`: the ISO 8601 and dd/mm/yyyy forms the partners use, integers of
      at most 6 digits, bounded decimals…) in one pool per type (``timestamp_value``,
      ``integer_value``, ``number_value``, ``boolean_value``); any other text column puts its
      hexadecimal digests (hashed ids) in ``digest_value``. Each pool is validated by
      ``ExpectColumnValuesToMatchRegex`` with the shape itself: GX proves that these values are only
      timestamps, counts or digests, which cannot hold a personal pattern (the tests check that no
      example of ``value_patterns.yml`` and no bare phone, NIR or card number takes a shape, and that
      no value of any shape matches the denylist). Testing a strict shape is several times cheaper
      per value than the denylist alternation: 876,000 tunnel-count timestamps cost GX about 1 s
      instead of 4.5;
    - every other value (free text, and the values of a typed column that do NOT have its shape) goes
      to ``value``, validated as before by ``ExpectColumnValuesToNotMatchRegex`` with the value
      patterns that need no checksum (one alternation). A personal value in a typed column therefore
      always meets the denylist in GX, and the rules engine still scans every value of every column;
    - ``ExpectColumnValuesToNotBeInSet`` on the small-cell counts.

    A few long columns and one expectation each, whatever the number of columns and tables: GX's
    cost is per expectation and per value, and each expectation copies the frame (pools much shorter
    than the frame are categorical, so nulls, copies and GX's fingerprint of the frame cost little).
    The pools are split with the shapes the engine already computed for its prefilter when the shape
    pattern treats all digits alike (exact, :meth:`.Shapes.matches`), and the engine's distinct
    values are reused rather than read again. A value put in the wrong pool could only make GX fail,
    never pass: a failed shape expectation refuses the delivery like any other, naming the table;
  * the **engine batch**: one row per column checked (``table``, ``column``, ``qualified`` =
    ``table.column``), with ``ExpectColumnValuesToBeInSet`` on ``qualified`` (only allowed columns:
    the contract's, or those declared for publication), and ``findings``: what the engine found in
    the column (all its rules, including those that need code: Luhn, NIR key, IBAN mod-97, titles
    outside street names, locations, column names), null when clean, else masked summaries,
    validated by ``ExpectColumnValuesToBeNull``: the Data Docs show what was found, masked.

- Unexpected values of the raw-value expectations are never listed (``partial_unexpected_count``
  0): Data Docs must not become a copy of the personal data they guard against.
- Suites, batch definitions and validation definitions are stored once and reused while unchanged,
  also by later processes (compared with the stored suite); only a changed suite is stored and its
  page rendered again. Each run renders its own two validation pages and the index (incremental
  Data Docs build): a reader opening Data Docs after any run sees that run.
- A file lock serialises gate runs of parallel tasks that share one GX project.
- GX is imported lazily (about 3 s of CPU, once per process): the pure engine must stay fast. The
  cost of each part (engine, GX import, validation, Data Docs) is recorded in ``GateResult.timing``.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..config import paths
from ..contracts import Contract
from .duckdb_scan import TableScan
from .findings import Finding, GateResult, TableCheck
from .prefilter import Shapes
from .rules import PublishedRules, value_rules
from .values import Scanned

log = logging.getLogger(__name__)

DATASOURCE = "observatoire_privacy"
SITE_NAME = "observatoire_privacy"
INDEX_LIMIT = 200
"""Validation results listed on the Data Docs index, newest first (about a hundred gate runs; all
results stay in the store and keep their pages). The index is rendered again on every run, at a cost
that grows with the list, hence the bound."""

HIDE_VALUES = {"result_format": "SUMMARY", "partial_unexpected_count": 0}
SHOW_SUMMARIES = {"result_format": "SUMMARY", "partial_unexpected_count": 50}

SHAPES: dict[str, tuple[str, str]] = {
    "timestamp": (
        r"\A(?:[0-9]{4}-[0-9]{2}-[0-9]{2}(?:T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,3})?)?"
        r"(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)?)?"
        r"|[0-9]{2}/[0-9]{2}/[0-9]{4}(?: [0-9]{2}:[0-9]{2}(?::[0-9]{2})?)?)\Z",
        "timestamps (ISO 8601: date, or date T time with an optional offset; or dd/mm/yyyy HH:MM)",
    ),
    "integer": (r"\A-?[0-9]{1,6}\Z", "integers of at most 6 digits"),
    "number": (
        r"\A-?(?:0|[1-9][0-9]{0,5})(?:[.,][0-9]{1,17})?\Z",
        "decimal numbers (at most 6 digits before the decimal mark and no leading zero, 17 after)",
    ),
    "boolean": (r"\A(?:true|false|True|False|TRUE|FALSE|0|1)\Z", "booleans"),
    "digest": (
        r"\A(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64})\Z",
        "hexadecimal digests (32, 40 or 64 lower-case hexadecimal digits: hashed identifiers)",
    ),
}
"""Strict shapes (anchored, every character accounted for) that no personal value can take: the
tests check that no example of ``value_patterns.yml``, and no phone, NIR or card number written as
bare digits, fully matches any of them, and that no value of any shape matches a pattern of the
denylist. Hence the bounds: the digit runs the phone pattern could join stay under its 10 digits (no
space between date and time, at most 3 decimals of a second, at most 6 digits and no leading zero
or ``+`` before a decimal mark). A value of a text column that fully matches its column's shape goes
to the shape's pool, validated by GX with ``ExpectColumnValuesToMatchRegex`` (the proof that these
values are only timestamps, counts, digests…); every other value goes to ``value`` and its denylist.
The timestamp, integer and digest shapes treat all digits alike, so the engine's shapes can tell
exactly which values fit them (:meth:`.Shapes.matches`)."""

FIELD_SHAPES = {"timestamp": "timestamp", "integer": "integer", "float": "number", "boolean": "boolean"}
"""Contract field type -> shape of its values on the wire (a ``string`` field only gets ``digest``)."""
UNTYPED_SHAPE = "digest"


@dataclass
class TableEvidence:
    name: str
    distinct: dict[str, np.ndarray]
    """Text column -> its distinct non-null values as text; small-cell column -> its distinct values."""
    column_set: list[str] | None
    text_columns: list[str]
    findings: list[Finding]
    check: TableCheck
    small_cell_columns: list[str] = field(default_factory=list)
    k: int = 5
    shapes: dict[str, str] = field(default_factory=dict)
    """Text column -> kind of :data:`SHAPES` its contract declares (timestamp, integer, number, boolean);
    the other text columns are only given the ``digest`` shape."""
    value_shapes: dict[str, Shapes | None] = field(default_factory=dict)
    """Text column -> the shapes the rules engine computed for its distinct values (when it did)."""

    @property
    def frame(self) -> pd.DataFrame:
        """The distinct values as one frame (a column each, padded with nulls), for readers of the evidence."""
        length = max((len(v) for v in self.distinct.values()), default=0)
        return pd.DataFrame(
            {c: pd.Series(v, dtype=object).reindex(range(length)) for c, v in self.distinct.items()},
            columns=list(self.distinct),
        )


def gx_project_dir() -> Path:
    return paths().state / "gx"


def data_docs_dir() -> Path:
    return paths().docs / "data_docs"


def _texts(values: Any) -> np.ndarray:
    """Distinct non-null values as an object array of ``str``."""
    series = pd.Series(values, dtype=object)
    series = series[series.notna()]
    if pd.api.types.infer_dtype(series, skipna=False) == "string":
        return series.to_numpy(dtype=object)
    return series.astype(str).to_numpy(dtype=object)


def _pool_frame(pools: dict[str, np.ndarray], others: dict[str, pd.Series]) -> pd.DataFrame:
    """The data batch's frame: each pool of distinct texts as a column, padded with nulls.

    GX tests nulls and copies the frame once per metric and expectation, and fingerprints the whole
    frame. A pool much shorter than the frame (mostly padding) is therefore made categorical: nulls,
    copies and fingerprint then cost next to nothing on its integer codes, and GX still reads the very
    strings of the pool (``astype(str)`` of the categories). A long pool stays plain text, where
    ``astype(str)`` costs less.
    """
    length = max([len(v) for v in pools.values()] + [len(v) for v in others.values()], default=0)
    data: dict[str, Any] = {}
    for name, values in pools.items():
        if 2 * len(values) >= length:
            data[name] = pd.Series(values, dtype=object).reindex(range(length))
            continue
        categories = pd.Index(values, dtype=object)
        if not categories.is_unique:  # the same text from two spellings of one value
            categories = pd.Index(pd.unique(values), dtype=object)
        codes = np.full(length, -1, dtype=np.int64)
        codes[: len(categories)] = np.arange(len(categories))
        data[name] = pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(categories))
    for name, series in others.items():
        data[name] = series.reset_index(drop=True).reindex(range(length))
    return pd.DataFrame(data, columns=[*pools, *others])


def delivery_evidence(
    contract: Contract,
    frame: pd.DataFrame,
    check: TableCheck,
    findings: list[Finding],
    scanned: Scanned | None = None,
) -> TableEvidence:
    """The evidence of a delivery; ``scanned``: what the rules engine read (reused, not read again)."""
    distinct: dict[str, np.ndarray] = {}
    value_shapes: dict[str, Shapes | None] = {}
    for c in check.text_columns:
        kept = (scanned or {}).get((contract.table, c))
        if kept is not None:
            distinct[c], value_shapes[c] = kept[0].to_numpy(dtype=object), kept[1]
        elif c in frame.columns:
            distinct[c] = _texts(frame[c].dropna().astype(str).unique())
    declared = {f.name: FIELD_SHAPES.get(f.type) for f in contract.fields}
    return TableEvidence(
        name=contract.table,
        distinct=distinct,
        column_set=list(contract.field_names),
        text_columns=list(check.text_columns),
        findings=findings,
        check=check,
        shapes={c: kind for c in check.text_columns if (kind := declared.get(c)) is not None},
        value_shapes=value_shapes,
    )


def publish_evidence(
    scan: TableScan, rules: PublishedRules, k: int, scanned: Scanned | None = None
) -> TableEvidence:
    """The evidence of a published table; ``scanned``: what the rules engine read (reused, not converted
    again)."""
    spec = rules.tables.get(scan.check.table)
    # Declared columns absent from the table are harmless for privacy: the set checked is the
    # declared columns that exist, so only an undeclared column fails.
    column_set = [c for c in scan.check.columns if spec is not None and spec.allows(c)]
    text = set(scan.check.text_columns)
    distinct: dict[str, np.ndarray] = {}
    value_shapes: dict[str, Shapes | None] = {}
    for c, values in scan.distinct.items():
        kept = (scanned or {}).get((scan.check.table, c)) if c in text else None
        if kept is not None:  # what the rules engine read, as delivery_evidence reuses it
            distinct[c], value_shapes[c] = kept[0].to_numpy(dtype=object), kept[1]
        elif c in text:
            distinct[c] = _texts(values)
        else:
            distinct[c] = pd.Series(values, dtype=object).dropna().to_numpy(dtype=object)
    return TableEvidence(
        name=scan.check.table,
        distinct=distinct,
        column_set=column_set,
        text_columns=list(scan.check.text_columns),
        findings=list(scan.findings),
        check=scan.check,
        small_cell_columns=list(scan.small_cell_columns),
        k=k,
        value_shapes=value_shapes,
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


class _Clock:
    """CPU and wall seconds of named parts of one evidence call."""

    def __init__(self) -> None:
        self.parts: dict[str, float] = {}

    @contextmanager
    def part(self, name: str) -> Iterator[None]:
        cpu, wall = time.process_time(), time.perf_counter()
        try:
            yield
        finally:
            self.parts[f"{name}_cpu_s"] = self.parts.get(f"{name}_cpu_s", 0.0) + time.process_time() - cpu
            self.parts[f"{name}_wall_s"] = self.parts.get(f"{name}_wall_s", 0.0) + time.perf_counter() - wall


def _import_gx() -> None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations  # noqa: F401  (slow: seconds, once per process)


def preload_gx() -> float:
    """Imports Great Expectations now; returns the seconds it took (about 0 when already imported).

    For long-lived parents of task processes (Celery pool children, the benchmark's warm worker):
    tasks forked from them find GX imported and their gates do not pay its import.
    """
    started = time.perf_counter()
    _import_gx()
    return time.perf_counter() - started


_CONTEXTS: dict[str, Any] = {}


def _site_config() -> dict[str, Any]:
    return {
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


def _context() -> Any:
    """The file data context (cached per process), with our Data Docs site and no progress bars."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    root = gx_project_dir()
    key = str(root)
    if key in _CONTEXTS:
        return _CONTEXTS[key]
    context = gx.get_context(mode="file", project_root_dir=str(root))
    site: Any = _site_config()
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
    if context.variables.config_variables_file_path:
        # The project uses no config variables, but while a file is declared GX parses it again at every
        # access to a store name (some twenty times per gate run): declare none, once per project.
        context.variables.config_variables_file_path = None  # type: ignore[assignment]  # GX reads None as "no file"
        context.variables.save()
        context = gx.get_context(mode="file", project_root_dir=str(root))
    _CONTEXTS[key] = context
    return context


_SITE_BUILDERS: dict[str, Any] = {}


def _site_builder(context: Any) -> Any:
    """Our Data Docs site builder and its index facts, kept for the process (see :mod:`.data_docs`)."""
    from .data_docs import site_builder

    key = str(gx_project_dir())
    if key not in _SITE_BUILDERS:
        _SITE_BUILDERS[key] = site_builder(context, SITE_NAME, _site_config(), gx_project_dir())
    return _SITE_BUILDERS[key]


def _build_docs(context: Any, identifiers: list[Any] | None) -> str | None:
    """Renders the pages of ``identifiers`` (all pages when None) and the index; returns its URL."""
    builder, facts = _site_builder(context)
    index, _ = builder.build(resource_identifiers=identifiers)
    facts.save(keep=2 * INDEX_LIMIT)
    return str(index) if index else None


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


@dataclass
class _Batch:
    """One validation of a gate run: its suite (not yet a GX object), frame and result format."""

    suite_name: str
    expectations: list[tuple[str, dict[str, Any], str]]
    """(GX expectation class name, keyword arguments, description)."""
    notes: str
    frame: pd.DataFrame
    result_format: dict[str, Any]
    owners: dict[str, str] = field(default_factory=dict)
    """Column of the frame -> table it comes from (to name the table at fault)."""
    pools: dict[str, list[tuple[str, np.ndarray]]] = field(default_factory=dict)
    """Pooled column of the frame -> (table, the distinct values it put there), for each table."""


_EQUIVALENT_FORMS: tuple[tuple[str, str], ...] = (
    # e-mail: the local part can never give back a character (what follows it, "@", a space, "[" or
    # "(", is not in its class), so a possessive repeat matches exactly the same and never backtracks.
    (r"[A-Za-z0-9][A-Za-z0-9._%+-]*(?:@", r"[A-Za-z0-9][A-Za-z0-9._%+-]*+(?:@"),
    # phone: a lookbehind before a literal character c, (?<!X)c, is tested after it instead, c(?<!Xc):
    # the same characters are looked at, but most positions now fail at once on c.
    (r"(?:(?<![0-9+])(?:\+|00)", r"(?:(?:\+(?<![0-9+]\+)|0(?<![0-9+]0)0)"),
    (r"|(?<![\w+])(?<![0-9][.,])0[1-9])", r"|0(?<![\w+]0)(?<![0-9][.,]0)[1-9])"),
)
"""Rewrites of the value patterns into equivalent forms that Python's ``re`` runs faster (they find
exactly the same matches: tested on every example and on generated texts). Applied to the alternation
GX replays, never to the rules themselves; a rewrite that no longer applies is simply not used."""


def _pure_pattern() -> tuple[str, str]:
    patterns = [r for r in value_rules() if r.pure_regex]
    # One alternation instead of a regex list: GX then scans each column once, not once per pattern.
    combined = "|".join(f"(?:{_equivalent_form(r.regex.pattern)})" for r in patterns)
    return combined, "No " + ", ".join(r.title.lower() for r in patterns) + "."


def _equivalent_form(pattern: str) -> str:
    for slow, fast in _EQUIVALENT_FORMS:
        pattern = pattern.replace(slow, fast)
    return pattern


def _qualified(table: str, column: str) -> str:
    return f"{table}.{column}"


def _shape_pool(kind: str) -> str:
    return f"{kind}_value"


@cache
def _shape_regex(kind: str) -> re.Pattern[str]:
    return re.compile(SHAPES[kind][0])


def _split_by_shape(
    values: np.ndarray, kind: str, shapes: Shapes | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``values`` that fully match the shape ``kind``, and the others (tested as GX will: ``search``).

    ``shapes``: the shapes of ``values`` computed by the rules engine; when the shape's pattern treats
    all their folded characters alike, it is tested on the few shapes instead of every value (the
    same answer: :meth:`Shapes.matches`). A wrong split could only make GX refuse, never pass.
    """
    regex = _shape_regex(kind)
    fits = shapes.matches(regex) if shapes is not None and len(shapes.codes) == len(values) else None
    if fits is None:
        search = regex.search
        fits = np.fromiter((search(v) is not None for v in values), dtype=bool, count=len(values))
    if fits.all():
        return values, values[:0]
    return values[fits], values[~fits]


def _data_batch(gate: str, tables: Sequence[TableEvidence]) -> _Batch:
    """Every distinct value of the run's text columns, pooled by shape, and the small-cell counts.

    A value of a text column that fully matches the column's strict shape (:data:`SHAPES`: the type its
    contract declares, else a hexadecimal digest) goes to that shape's pool (``timestamp_value``,
    ``integer_value``…), validated with ``ExpectColumnValuesToMatchRegex``: GX proves that those values
    are only timestamps, counts or digests, which no personal value can be. Every other value goes to
    ``value`` (a value held by several columns, e.g. an event id, is validated once), validated with
    the denylist. ``small_cell_column`` / ``small_cell_value``: the distinct values of each small-cell
    count. GX's cost is per expectation and per value, and each expectation copies the frame: a few long
    columns, one expectation each, whatever the number of columns and tables.
    """
    regex, regex_text = _pure_pattern()
    pools: dict[str, list[tuple[str, np.ndarray]]] = {"value": []}
    pooled_columns: dict[str, list[str]] = {"value": []}
    kinds: list[str] = []
    small_names: list[Any] = []
    small_values: list[Any] = []
    ks: set[int] = set()
    for table in tables:
        for column in table.text_columns:
            if column not in table.distinct:
                continue
            values = table.distinct[column]
            kind = table.shapes.get(column, UNTYPED_SHAPE)
            shaped, others = _split_by_shape(values, kind, table.value_shapes.get(column))
            if kind not in kinds:
                kinds.append(kind)
                pools[_shape_pool(kind)] = []
                pooled_columns[_shape_pool(kind)] = []
            pools[_shape_pool(kind)].append((table.name, shaped))
            pooled_columns[_shape_pool(kind)].append(_qualified(table.name, column))
            pools["value"].append((table.name, others))
            pooled_columns["value"].append(_qualified(table.name, column))
        for column in table.small_cell_columns:
            if column in table.distinct:
                found = table.distinct[column]
                small_values.append(found)
                small_names.append(np.full(len(found), _qualified(table.name, column), dtype=object))
                ks.add(table.k)
    merged: dict[str, np.ndarray] = {}
    for pool, parts in pools.items():
        arrays = [values for _, values in parts if len(values)]
        if len(arrays) == 1:
            merged[pool] = arrays[0]  # the distinct values of one column
        else:
            merged[pool] = pd.unique(np.concatenate(arrays)) if arrays else np.array([], dtype=object)
    columns: dict[str, pd.Series] = {}
    text_columns = pooled_columns["value"]
    expectations: list[tuple[str, dict[str, Any], str]] = [
        (
            "ExpectColumnValuesToNotMatchRegex",
            {"column": "value", "regex": regex},
            f"{regex_text[:-1]}, in any of the distinct values of the {len(text_columns)} text columns "
            f"checked: {', '.join(text_columns) or 'none'} (except the values proven below to be only "
            "timestamps, numbers or digests).",
        )
    ]
    for kind in sorted(kinds):
        pool = _shape_pool(kind)
        covered = pooled_columns[pool]
        expectations.append(
            (
                "ExpectColumnValuesToMatchRegex",
                {"column": pool, "regex": SHAPES[kind][0]},
                f"Only {SHAPES[kind][1]}, which cannot hold personal data, in the distinct values of "
                f"{', '.join(covered)} that have this shape (their other values are in `value`).",
            )
        )
    if small_values:
        columns["small_cell_column"] = pd.Series(np.concatenate(small_names), dtype=object)
        columns["small_cell_value"] = pd.Series(np.concatenate(small_values), dtype=object)
        k = min(ks)
        expectations.append(
            (
                "ExpectColumnValuesToNotBeInSet",
                {"column": "small_cell_value", "value_set": list(range(1, k))},
                f"Counts of offences against persons below {k} are suppressed.",
            )
        )
    single = gate == "delivery" and len(tables) == 1
    subject = tables[0].name if single else "tables"
    scope = f"table {tables[0].name}" if single else "its tables"
    return _Batch(
        suite_name=_safe(f"privacy_{gate}.{subject}"),
        expectations=expectations,
        notes=f"Privacy {gate} gate, {scope}: built-in expectations on every distinct value of the text "
        "columns (typed values by their strict shape, all others by the denylist) and of the small-cell counts.",
        frame=_pool_frame(merged, columns),
        result_format=HIDE_VALUES,
        pools=pools,
    )


def _engine_batch(gate: str, tables: Sequence[TableEvidence]) -> _Batch:
    """One row per (table, column) checked: its name and what the engine found there (null when clean).

    ``qualified`` (``table.column``) is checked against the allowed columns by GX itself; ``findings``
    holds the masked summaries of every engine rule that fired on the column (one expectation for
    all the rules: GX's cost is per expectation, and the summaries already name the rule).
    """
    rows: list[dict[str, Any]] = []
    allowed: list[str] = []
    owners: dict[str, str] = {}
    for table in tables:
        by_column: dict[str | None, list[str]] = {}
        for finding in table.findings:
            if finding.severity == "refuse":
                by_column.setdefault(finding.column, []).append(finding.describe())
        if table.column_set is not None:
            allowed.extend(_qualified(table.name, c) for c in table.column_set)
        for column in [*table.check.columns, *[c for c in by_column if c not in table.check.columns]]:
            found = by_column.get(column)
            rows.append(
                {
                    "table": table.name,
                    "column": column if column is not None else "(table)",
                    "qualified": _qualified(table.name, column) if column is not None else None,
                    "findings": "; ".join(found) if found else None,
                }
            )
            if column is not None:
                owners[_qualified(table.name, column)] = table.name
    frame = pd.DataFrame(rows, columns=["table", "column", "qualified", "findings"])
    frame = frame.astype(object).where(frame.notna(), None)
    expectations: list[tuple[str, dict[str, Any], str]] = []
    if any(t.column_set is not None for t in tables):
        expectations.append(
            (
                "ExpectColumnValuesToBeInSet",
                {"column": "qualified", "value_set": sorted(set(allowed))},
                "Every column is allowed (contract or published-table declaration).",
            )
        )
    checked = [
        "column names (allowed set, personal-data denylist FR + EN)",
        *[r.title.lower() for r in value_rules()],
        "locations finer than a 200 m cell (aggregated datasets)",
        "counts of offences against persons between 1 and k-1",
    ]
    expectations.append(
        (
            "ExpectColumnValuesToBeNull",
            {"column": "findings"},
            "Privacy engine, every column: nothing found (" + "; ".join(checked) + ").",
        )
    )
    return _Batch(
        suite_name=_safe(f"privacy_{gate}.engine"),
        expectations=expectations,
        notes="The columns checked (one row each) and what the observatoire privacy engine found (masked).",
        frame=frame,
        result_format=SHOW_SUMMARIES,
        owners=owners,
    )


def _fingerprint(expectations: Sequence[Any], notes: Any) -> str:
    configs = []
    for expectation in expectations:
        config = expectation.configuration.to_json_dict()
        configs.append({k: v for k, v in config.items() if k not in ("id", "rendered_content")})
    return json.dumps([configs, notes], sort_keys=True, default=str)


_DEFINITIONS: dict[tuple[str, str], tuple[str, Any]] = {}
"""Validation definitions in use, keyed by (project, suite name), with the suite's fingerprint."""


def _definition(context: Any, batch: _Batch, store: bool = False) -> tuple[Any, bool]:
    """The stored validation definition of ``batch``'s suite, stored again only when the suite changed.

    Returns the definition and whether the suite was (re)stored (its Data Docs page then needs
    rendering). A later process compares with the suite on disk instead of storing it again.
    """
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.exceptions import DataContextError

    expectations = [
        getattr(gxe, kind)(**kwargs, description=description)
        for kind, kwargs, description in batch.expectations
    ]
    fingerprint = _fingerprint(expectations, batch.notes)
    key = (str(gx_project_dir()), batch.suite_name)
    cached = None if store else _DEFINITIONS.get(key)
    if cached is not None and cached[0] == fingerprint:
        return cached[1], False
    if cached is None and not store:
        try:
            stored = context.suites.get(batch.suite_name)
            if _fingerprint(stored.expectations, (stored.meta or {}).get("notes")) == fingerprint:
                definition = context.validation_definitions.get(batch.suite_name)
                _DEFINITIONS[key] = (fingerprint, definition)
                return definition, False
        except DataContextError:
            pass  # first run of this suite in this project
        except Exception as error:  # an unreadable stored suite or definition is simply stored again
            log.warning("GX suite %s not reusable (%s): storing it again", batch.suite_name, error)
    suite = context.suites.add_or_update(
        gx.ExpectationSuite(name=batch.suite_name, expectations=expectations, meta={"notes": batch.notes})
    )
    definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(
            name=batch.suite_name, data=_batch_definition(context, batch.suite_name), suite=suite
        )
    )
    _DEFINITIONS[key] = (fingerprint, definition)
    return definition, True


def _run(context: Any, batch: _Batch, run_id: Any) -> tuple[Any, bool]:
    """Validates ``batch`` (its result is stored); also says whether its suite was stored again."""
    from great_expectations.exceptions.resource_freshness import ResourceFreshnessAggregateError

    definition, stored = _definition(context, batch)
    try:
        return _validate(definition, batch, run_id), stored
    except ResourceFreshnessAggregateError:
        # Another process stored another version of the suite meanwhile: store ours again.
        definition, _ = _definition(context, batch, store=True)
        return _validate(definition, batch, run_id), True


def _validate(definition: Any, batch: _Batch, run_id: Any) -> Any:
    return definition.run(
        batch_parameters={"dataframe": batch.frame}, result_format=batch.result_format, run_id=run_id
    )


def _batch_identifier(outcome: Any) -> str:
    # GX names a whole-dataframe batch "<datasource>-<asset>"; our asset is named after the suite.
    return f"{DATASOURCE}-{outcome.suite_name}"


def _result_identifiers(outcome: Any, run_id: Any, suite_changed: bool) -> list[Any]:
    """Identifiers of the validation result and its suite, for an incremental Data Docs build."""
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    suite_id = ExpectationSuiteIdentifier(name=outcome.suite_name)
    result_id = ValidationResultIdentifier(
        expectation_suite_identifier=suite_id, run_id=run_id, batch_identifier=_batch_identifier(outcome)
    )
    # A suite page is rendered again only when the suite was stored again (rendering is costly).
    return [result_id, suite_id] if suite_changed else [result_id]


def record_evidence(result: GateResult, tables: Sequence[TableEvidence], build_docs: bool = True) -> None:
    """Validates the gate run with GX, stores the results and renders their Data Docs pages.

    Fills ``result.evidence`` and adds the cost of each part to ``result.timing``. If GX cannot
    record the evidence, or one of its built-in expectations fails where the engine found nothing,
    a refusing finding is added: without evidence there is no proof, and the two must agree.
    """
    clock = _Clock()
    try:
        with clock.part("gx_import"):
            _import_gx()
        with _locked(gx_project_dir()):
            from great_expectations.core.run_identifier import RunIdentifier

            with clock.part("gx_context"):
                context = _context()
            run_id = RunIdentifier(
                run_name=_safe(f"{result.gate}:{result.subject}")[:200], run_time=datetime.now(UTC)
            )
            identifiers: list[Any] = []
            validations: list[dict[str, Any]] = []
            with clock.part("gx_batches"):
                batches = (_data_batch(result.gate, tables), _engine_batch(result.gate, tables))
            for batch in batches:
                with clock.part("gx_validate"):
                    outcome, stored = _run(context, batch, run_id)
                failed = [r for r in outcome.results if not r.success]
                validations.append(
                    {
                        "suite": outcome.suite_name,
                        "success": bool(outcome.success),
                        "failed": sorted({r.expectation_config.type for r in failed}),
                        "failed_columns": [r.expectation_config.kwargs.get("column") for r in failed],
                    }
                )
                identifiers.extend(_result_identifiers(outcome, run_id, stored))
                _site_builder(context)[1].remember(
                    outcome.suite_name, run_id, _batch_identifier(outcome), outcome
                )
                _check_agreement(result, tables, batch, failed)
            index = None
            if build_docs:
                with clock.part("data_docs"):
                    index = _build_docs(context, identifiers)
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
    finally:
        for name, seconds in clock.parts.items():
            result.timing[name] = result.timing.get(name, 0.0) + seconds


def _check_agreement(
    result: GateResult, tables: Sequence[TableEvidence], batch: _Batch, failed: list[Any]
) -> None:
    """A built-in expectation failing on a table the engine passed: GX and the engine disagree, refuse."""
    refused = {t.name for t in tables if any(f.severity == "refuse" for f in t.findings)}
    if all(t.name in refused for t in tables):
        return  # the engine refused every table already: nothing to add, no need to find the owners
    at_fault: dict[str, set[str]] = {}
    for outcome in failed:
        kind = outcome.expectation_config.type
        if kind == "expect_column_values_to_be_null":
            continue  # the engine's own findings: the engine refused already
        for owner in _owners(tables, batch, outcome):
            at_fault.setdefault(owner, set()).add(kind)
    for table, kinds in at_fault.items():
        if table not in refused:
            result.findings.append(
                Finding(table, None, "gx_expectation_failed", 0, detail=", ".join(sorted(kinds)))
            )


def _owners(tables: Sequence[TableEvidence], batch: _Batch, outcome: Any) -> list[str]:
    """The tables a failed expectation is about (all of them when that cannot be told)."""
    everyone = [t.name for t in tables]
    kwargs = outcome.expectation_config.kwargs
    if outcome.expectation_config.type == "expect_column_values_to_be_in_set":  # column names
        names = (outcome.result or {}).get("partial_unexpected_list") or []
        return sorted({batch.owners[n] for n in names if n in batch.owners}) or everyone
    column = kwargs.get("column")
    if column in batch.pools:  # pooled values: find the tables that put an unexpected value there
        search = re.compile(kwargs["regex"]).search
        contributors = [name for name, values in batch.pools[column] if len(values)]
        matching = outcome.expectation_config.type == "expect_column_values_to_match_regex"
        at_fault = [
            name
            for name, values in batch.pools[column]
            if any((search(str(v)) is None) == matching for v in values)
        ]
        return sorted(set(at_fault or contributors)) or everyone
    if column == "small_cell_value":
        return [
            t.name
            for t in tables
            if any(
                pd.Series(t.distinct[c]).isin(kwargs["value_set"]).any()
                for c in t.small_cell_columns
                if c in t.distinct
            )
        ] or everyone
    return everyone


def rebuild_data_docs() -> str | None:
    """Full rebuild of the Data Docs site (e.g. after clearing it)."""
    _import_gx()
    with _locked(gx_project_dir()):
        return _build_docs(_context(), None)

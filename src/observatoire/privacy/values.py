"""Value scans: personal data hidden in the values of a column, whatever the column is called.

Everything works on the *distinct* values of a column with their row counts: a column of a million
rows usually has a few thousand distinct texts (grid cells, categories, titles), so every value is
examined (nothing is sampled) at the cost of the distinct ones. DuckDB computes the distinct values
with their counts (``GROUP BY``) and pandas runs each pattern over them in one vectorised pass; only
the few values that match a pattern needing a checksum go through Python. Long columns of dates,
codes or hashes are first reduced to their few *shapes* (:mod:`.prefilter`): a value whose shape
cannot match a rule is provably clean for it and skipped; every other value is scanned as usual.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np
import pandas as pd

from .checks import CHECKS, card_number_ok, nir_key_ok
from .findings import Finding
from .masking import mask
from .prefilter import Shapes, column_shapes
from .rules import ValueRule, value_rules

MAX_EXAMPLES = 3

Scanned = dict[tuple[str, str], tuple[pd.Series, Shapes | None]]
_SCANNED: ContextVar[Scanned | None] = ContextVar("observatoire_privacy_scanned", default=None)


@contextmanager
def keeping_scanned() -> Iterator[Scanned]:
    """Within the block, :func:`scan_distinct` keeps what it read: (table, column) -> the distinct
    values as text and their shapes. The GX evidence of the same gate call reuses them instead of
    reading every column again."""
    kept: Scanned = {}
    token = _SCANNED.set(kept)
    try:
        yield kept
    finally:
        _SCANNED.reset(token)


def distinct_counts(series: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Distinct non-null values of ``series`` as text, and how many rows hold each."""
    if pd.api.types.is_object_dtype(series.dtype):
        try:  # Python's own counting is several times faster than pandas' on columns of strings
            counted = Counter(series.tolist())
        except TypeError:  # unhashable values (nested JSON): pandas below says what it makes of them
            counted = None
        if counted is not None:
            keys = np.empty(len(counted), dtype=object)
            keys[:] = list(counted)
            numbers = np.fromiter(counted.values(), dtype=np.int64, count=len(counted))
            kept = ~pd.isna(keys)
            keys, numbers = keys[kept], numbers[kept]
            if pd.api.types.infer_dtype(keys, skipna=False) != "string":
                keys = np.array([str(k) for k in keys], dtype=object)
            return pd.Series(keys, dtype=object), numbers
    counts = series.value_counts(dropna=True, sort=False)
    values = pd.Series(counts.index.astype(str), dtype=object)
    return values, counts.to_numpy(dtype=np.int64)


def _first_confirmed(rule: ValueRule, value: str) -> str | None:
    """The first match in ``value`` that the rule's check confirms (or any match without a check)."""
    check = CHECKS.get(rule.check) if rule.check else None
    for match in rule.regex.finditer(value):
        if check is None or check(match.group(0), value, match.start(), rule):
            return match.group(0)
    return None


def scan_distinct(
    table: str,
    column: str,
    values: pd.Series,
    counts: np.ndarray,
    rules: Sequence[ValueRule] | None = None,
) -> list[Finding]:
    """Findings for the distinct text ``values`` of one column (``counts[i]`` rows hold ``values[i]``)."""
    rules = rules if rules is not None else value_rules()
    kept = _SCANNED.get()
    if values.empty:
        if kept is not None:
            kept[(table, column)] = (pd.Series([], dtype=object), None)
        return []
    as_text = values.astype(str)
    text: list[str] = as_text.tolist()
    shapes = column_shapes(as_text)
    if kept is not None:
        kept[(table, column)] = (as_text, shapes)
    findings: list[Finding] = []
    for rule in rules:
        maybe = shapes.candidates(rule.regex) if shapes is not None else None
        if maybe is None:
            candidates = as_text.str.contains(rule.regex, na=False).to_numpy(dtype=bool)
        elif not maybe.any():
            continue
        else:  # only the values whose shape may match go through the real pattern
            candidates = np.zeros(len(as_text), dtype=bool)
            where = np.flatnonzero(maybe)
            candidates[where] = as_text.iloc[where].str.contains(rule.regex, na=False).to_numpy(dtype=bool)
        if not candidates.any():
            continue
        rows = 0
        examples: list[str] = []
        for position in np.flatnonzero(candidates):
            value = text[int(position)]
            hit = _first_confirmed(rule, value)
            if hit is None:
                continue
            rows += int(counts[position])
            if len(examples) < MAX_EXAMPLES:
                masked = mask(rule.mask, hit)
                if masked not in examples:
                    examples.append(masked)
        if rows:
            findings.append(
                Finding(
                    table=table,
                    column=column,
                    rule=rule.id,
                    count=rows,
                    examples=tuple(examples),
                    detail=rule.title,
                )
            )
    return findings


def scan_series(
    table: str, column: str, series: pd.Series, rules: Sequence[ValueRule] | None = None
) -> list[Finding]:
    values, counts = distinct_counts(series)
    return scan_distinct(table, column, values, counts, rules)


def scan_big_integers(table: str, column: str, values: np.ndarray, counts: np.ndarray) -> list[Finding]:
    """Card numbers and NIRs stored as numbers (the leading text is lost, the checksum is not).

    Only integers of 13 digits or more can be either, so ordinary counts are never examined.
    """
    findings: list[Finding] = []
    big = values >= 10**12
    if not big.any():
        return findings
    for rule_id, check, kind in (("card_number", card_number_ok, "card"), ("nir", nir_key_ok, "nir")):
        rows = 0
        examples: list[str] = []
        for value, count in zip(values[big], counts[big], strict=True):
            digits = str(int(value))
            if check(digits):
                rows += int(count)
                if len(examples) < MAX_EXAMPLES:
                    examples.append(mask(kind, digits))
        if rows:
            findings.append(
                Finding(table, column, rule_id, rows, tuple(examples), detail="stored as a number")
            )
    return findings


def is_text(series: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(series.dtype) or pd.api.types.is_string_dtype(series.dtype)


def is_integer(series: pd.Series) -> bool:
    return pd.api.types.is_integer_dtype(series.dtype)

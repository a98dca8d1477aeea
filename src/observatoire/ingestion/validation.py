"""Type and check each delivered row against its contract.

Every row ends up either in ``valid`` (exactly the contract's fields, typed, timestamps in UTC) or in
``rejected`` with every reason it breaks the contract, written for the partner's data manager
(``line 12: DATE_FIN 01/07/2025 10:00 is before DATE_DEBUT 01/07/2025 14:00``). Checks are vectorised;
messages are built only for the (few) rows that fail.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..contracts import Contract, Field
from .reader import DeliveryTable
from .timeparse import parse_iso, parse_local

Mask = np.ndarray
TRUE_WORDS = {"true", "1", "oui", "vrai", "yes", "o", "y"}
FALSE_WORDS = {"false", "0", "non", "faux", "no", "n"}


@dataclass
class ValidationResult:
    valid: pd.DataFrame
    """Contract fields only, typed; index = position of the row in the delivery table."""
    rejected: pd.DataFrame
    """``row``, ``reason`` and the delivered values (as text) of each rejected row."""
    rows: int
    rejected_positions: np.ndarray | None = None
    """Position in the delivery table of each rejected row (-1 for malformed rows, listed last)."""
    distinct: dict[str, np.ndarray] = field(default_factory=dict)
    """The distinct delivered values of the text columns checked value by value (what ``pd.unique`` gives)."""

    @property
    def rows_valid(self) -> int:
        return len(self.valid)

    @property
    def rows_rejected(self) -> int:
        return len(self.rejected)


def _show(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "(empty)"
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _quote(value: object) -> str:
    return repr(_show(value)) if isinstance(value, str) else _show(value)


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


class _Checker:
    def __init__(self, table: DeliveryTable):
        self.table = table
        self.reasons: dict[int, list[str]] = defaultdict(list)

    def flag(self, mask: Mask, message: Callable[[int], str]) -> None:
        for position in np.flatnonzero(mask):
            self.reasons[int(position)].append(message(int(position)))


class _DistinctChecker(_Checker):
    """Checks run on the distinct values of a column (``codes``: the distinct value of each row); each
    reason is given to every row holding the value, in the same words as a check row by row."""

    def __init__(self, rows: _Checker, codes: np.ndarray):
        self.table = rows.table
        self.rows = rows
        self.codes = codes

    def flag(self, mask: Mask, message: Callable[[int], str]) -> None:
        if not mask.any():
            return
        codes = self.codes
        self.rows.flag(mask[codes], lambda i: message(int(codes[i])))


def _all_text(column: pd.Series) -> bool:
    """Every value is a ``str`` (CSV deliveries): the per-value type checks below can be skipped."""
    return len(column) > 0 and pd.api.types.infer_dtype(column, skipna=False) == "string"


def _stripped(column: pd.Series) -> pd.Series:
    """``column.str.strip()`` for an all-text column, without pandas' per-call overhead."""
    return pd.Series([v.strip() for v in column.to_numpy()], index=column.index, dtype=object)


def _null_mask(column: pd.Series) -> Mask:
    if _all_text(column):
        return np.fromiter((not v or v.isspace() for v in column.to_numpy()), dtype=bool, count=len(column))
    nulls = column.isna().to_numpy(dtype=bool)
    is_text = column.map(type).isin([str]).to_numpy(dtype=bool)
    if is_text.any():
        blank = np.zeros(len(column), dtype=bool)
        blank[is_text] = column[is_text].str.strip().eq("").to_numpy(dtype=bool)
        nulls |= blank
    return nulls


def _text(column: pd.Series, present: Mask) -> pd.Series:
    """Present values as stripped text; JSON integers become their digits (``12`` not ``12.0``)."""

    def as_text(value: object) -> object:
        if isinstance(value, str):
            return value.strip()
        if isinstance(value, bool) or value is None:
            return None
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return None

    if _all_text(column):
        text = _stripped(column)
    else:
        text = column.map(as_text)
    return text.where(pd.Series(present, index=column.index))


def _numbers(checker: _Checker, f: Field, column: pd.Series, present: Mask, decimal: str) -> pd.Series:
    if _all_text(column):
        numeric = np.zeros(len(column), dtype=bool)
        text_mask = present.copy()
    else:
        kinds = column.map(type)
        numeric = kinds.isin([int, float]).to_numpy(dtype=bool) & present
        text_mask = kinds.isin([str]).to_numpy(dtype=bool) & present
    bad_kind = present & ~numeric & ~text_mask
    values = pd.Series(np.nan, index=column.index, dtype="float64")
    if numeric.any():
        values[numeric] = column[numeric].astype("float64")
    if text_mask.any():
        text = _stripped(column[text_mask])
        other = "." if decimal == "," else ","
        raw = text.to_numpy()
        wrong_mark = np.fromiter((other in v for v in raw), dtype=bool, count=len(raw))
        if decimal == ",":
            text = pd.Series([v.replace(",", ".") for v in raw], index=text.index, dtype=object)
        parsed = pd.to_numeric(text, errors="coerce")
        parsed[wrong_mark] = np.nan
        values[text_mask] = parsed.to_numpy(dtype="float64")
        if wrong_mark.any():
            positions = np.flatnonzero(text_mask)[wrong_mark]
            mark_mask = np.zeros(len(column), dtype=bool)
            mark_mask[positions] = True
            bad_kind &= ~mark_mask
            checker.flag(
                mark_mask,
                lambda i: f"{f.name} {_quote(column.iat[i])} uses {other!r} as decimal mark; "
                f"this file must use {decimal!r}",
            )
            present = present & ~mark_mask
    # ``inf``/``-inf`` (and ``nan``) parse as floats but are no partner's number: unreadable, not loaded
    # (an integer column would otherwise fail to be typed, and the whole delivery with it).
    unreadable = present & ~bad_kind & ~np.isfinite(values.to_numpy(dtype="float64"))
    what = "a whole number" if f.type == "integer" else "a number"
    checker.flag(bad_kind | unreadable, lambda i: f"{f.name} {_quote(column.iat[i])} is not {what}")
    ok = present & ~bad_kind & ~unreadable
    array = values.to_numpy(dtype="float64")
    if f.type == "integer":
        fractional = ok & (np.floor(np.nan_to_num(array)) != np.nan_to_num(array))
        checker.flag(fractional, lambda i: f"{f.name} {_quote(column.iat[i])} is not a whole number")
        ok &= ~fractional
    low = ok & (array < f.minimum) if f.minimum is not None else np.zeros(len(array), dtype=bool)
    high = ok & (array > f.maximum) if f.maximum is not None else np.zeros(len(array), dtype=bool)
    if low.any() or high.any():
        bounds = _bounds(f)
        checker.flag(low | high, lambda i: f"{f.name} {_number_text(array[i])} is out of range ({bounds})")
    result = values.where(pd.Series(ok, index=values.index))
    if f.type == "integer":
        return result.round().astype("Int64")
    return result


def _bounds(f: Field) -> str:
    unit = f" {f.unit}" if f.unit and not f.unit.startswith("degrees") else ""
    if f.minimum is not None and f.maximum is not None:
        return f"{_number_text(f.minimum)} to {_number_text(f.maximum)}{unit}"
    if f.minimum is not None:
        return f"at least {_number_text(f.minimum)}{unit}"
    return f"at most {_number_text(f.maximum or 0)}{unit}"


def _strings(checker: _Checker, f: Field, column: pd.Series, present: Mask) -> pd.Series:
    text = _text(column, present)
    bad_kind = present & text.isna().to_numpy(dtype=bool)
    checker.flag(bad_kind, lambda i: f"{f.name} {_quote(column.iat[i])} is not text")
    ok = present & ~bad_kind
    if f.allowed is not None:
        unknown = ok & ~text.isin(f.allowed).to_numpy(dtype=bool)
        allowed = ", ".join(f.allowed)
        checker.flag(unknown, lambda i: f"{f.name} {_quote(text.iat[i])} is not one of {allowed}")
        ok &= ~unknown
    if f.pattern is not None and ok.any():
        matches = np.zeros(len(text), dtype=bool)
        matches[ok] = text[ok].str.fullmatch(f.pattern).fillna(False).to_numpy(dtype=bool)
        mismatch = ok & ~matches
        checker.flag(
            mismatch,
            lambda i: f"{f.name} {_quote(text.iat[i])} does not have the expected form {f.pattern}",
        )
        ok &= ~mismatch
    if f.max_length is not None and ok.any():
        lengths = text.str.len().fillna(0).to_numpy()
        too_long = ok & (lengths > f.max_length)
        checker.flag(
            too_long,
            lambda i: f"{f.name} is {int(lengths[i])} characters long "
            f"(at most {f.max_length} allowed)",
        )
        ok &= ~too_long
    return text.where(pd.Series(ok, index=text.index)).astype(object)


def _timestamps(checker: _Checker, contract: Contract, f: Field, column: pd.Series, present: Mask) -> pd.Series:
    wire = contract.wire
    text = _text(column, present)
    bad_kind = present & text.isna().to_numpy(dtype=bool)
    if wire.timestamp_format:
        values = parse_local(text, wire.timestamp_format, wire.timestamp_timezone)
        expected = "a date in the form " + _human_format(wire.timestamp_format)
    else:
        values = parse_iso(text, wire.timestamp_timezone)
        expected = "an ISO 8601 date-time (e.g. 2025-07-01T14:00:00+02:00)"
    unreadable = present & values.isna().to_numpy(dtype=bool)
    checker.flag(unreadable | bad_kind, lambda i: f"{f.name} {_quote(column.iat[i])} is not {expected}")
    return values.where(pd.Series(present & ~unreadable, index=values.index))


def _human_format(fmt: str) -> str:
    return fmt.replace("%d", "dd").replace("%m", "mm").replace("%Y", "yyyy").replace("%H", "HH").replace("%M", "MM")


def _booleans(checker: _Checker, f: Field, column: pd.Series, present: Mask) -> pd.Series:

    def as_bool(value: object) -> object:
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            word = value.strip().lower()
            if word in TRUE_WORDS:
                return True
            if word in FALSE_WORDS:
                return False
        return None

    values = column.map(as_bool).where(pd.Series(present, index=column.index))
    bad = present & values.isna().to_numpy(dtype=bool)
    checker.flag(bad, lambda i: f"{f.name} {_quote(column.iat[i])} is not true/false")
    return values.astype("boolean")


def _constant(text: str) -> Callable[[int], str]:
    return lambda _position: text


def _check_field(checker: _Checker, contract: Contract, f: Field, column: pd.Series) -> pd.Series:
    """The typed values of one field (null where a check failed); every failed check flagged."""
    nulls = _null_mask(column)
    if not f.nullable:
        required = f"{f.name} is empty but is required"
        checker.flag(nulls, _constant(required))
    present = ~nulls
    if f.type == "string":
        return _strings(checker, f, column, present)
    if f.type in ("integer", "float"):
        return _numbers(checker, f, column, present, contract.wire.decimal)
    if f.type == "timestamp":
        return _timestamps(checker, contract, f, column, present)
    return _booleans(checker, f, column, present)


def validate(contract: Contract, table: DeliveryTable, groups: np.ndarray | None = None) -> ValidationResult:
    """Split the delivered rows into valid typed rows and rejected rows with reasons.

    ``groups`` (one code per row) validates several deliveries at once: duplicate keys are then looked
    for within each delivery only.
    """
    frame = table.frame.reset_index(drop=True)
    checker = _Checker(table)
    typed: dict[str, pd.Series] = {}
    distinct_values: dict[str, np.ndarray] = {}
    n = len(frame)
    for f in contract.fields:
        column = frame[f.name] if f.name in frame.columns else pd.Series([None] * n, dtype=object)
        if n and isinstance(column.dtype, pd.CategoricalDtype):
            # Read as codes into the distinct texts (see reader.read_csv_group): checked once per text.
            codes = column.cat.codes.to_numpy()
            if (codes >= 0).all():
                uniques = column.cat.categories.to_numpy(dtype=object)
                distinct_values[f.name] = uniques
                values = _check_field(_DistinctChecker(checker, codes), contract, f, pd.Series(uniques, dtype=object))
                typed[f.name] = pd.Series(values.array.take(codes), index=frame.index)
                continue
            column = pd.Series(np.asarray(column, dtype=object), index=column.index)
        if n and (table.all_text or _all_text(column)):
            # Texts (CSV): each distinct text is checked and typed once, then spread over its rows. A
            # text's verdict depends on nothing but the text, so rows and reasons are the same as row by row.
            codes, uniques = pd.factorize(column.to_numpy(dtype=object), sort=False)
            distinct_values[f.name] = uniques
            distinct = pd.Series(uniques, dtype=object)
            values = _check_field(_DistinctChecker(checker, codes), contract, f, distinct)
            typed[f.name] = pd.Series(values.array.take(codes), index=frame.index)
        else:
            typed[f.name] = _check_field(checker, contract, f, column)
    if contract.start_field and contract.end_field:
        start, end = typed[contract.start_field], typed[contract.end_field]
        before = (end < start).fillna(False).to_numpy(dtype=bool)
        s_name, e_name = contract.start_field, contract.end_field
        checker.flag(
            before,
            lambda i: f"{e_name} {_show(frame[e_name].iat[i])} is before "
            f"{s_name} {_show(frame[s_name].iat[i])}",
        )
    _flag_duplicate_keys(checker, contract, typed, n, groups)
    bad = np.zeros(n, dtype=bool)
    if checker.reasons:
        bad[list(checker.reasons)] = True
    valid = pd.DataFrame(typed, index=frame.index)[~bad]
    rejected = _rejected_frame(table, frame, checker, bad)
    positions = np.concatenate([np.flatnonzero(bad), np.full(len(table.malformed), -1)]).astype("int64")
    result = ValidationResult(valid=valid, rejected=rejected, rows=table.rows, rejected_positions=positions,
                              distinct=distinct_values)
    assert result.rows_valid + result.rows_rejected == table.rows, "every delivered row is loaded or quarantined"
    return result


def _flag_duplicate_keys(
    checker: _Checker, contract: Contract, typed: dict[str, pd.Series], n: int, groups: np.ndarray | None
) -> None:
    """Two rows with the same key in one delivery: keep the latest version (or the last row)."""
    if n < 2:
        return
    keys = pd.DataFrame({name: typed[name] for name in contract.key})
    group_columns = list(contract.key)
    if groups is not None:
        keys.insert(0, "_group", groups)
        group_columns = ["_group", *group_columns]
    missing = keys[list(contract.key)].isna().any(axis=1).to_numpy(dtype=bool)
    if missing.all():
        return
    duplicated = keys.duplicated(keep=False).to_numpy(dtype=bool) & ~missing
    if not duplicated.any():
        return
    subset = keys[duplicated].copy()
    subset["_position"] = np.flatnonzero(duplicated)
    if contract.updated_field:
        subset["_updated"] = typed[contract.updated_field][duplicated]
        subset = subset.sort_values(["_updated", "_position"], na_position="first")
    grouped = subset.groupby(group_columns, sort=False, dropna=True)["_position"]
    table = checker.table
    key_text = ", ".join(contract.key)
    for _, positions in grouped:
        ordered = list(positions)
        kept = ordered[-1]
        for position in ordered[:-1]:
            values = ", ".join(_show(typed[k].iat[position]) for k in contract.key)
            kept_label = table.label(kept)
            checker.reasons[position].append(
                f"{key_text} {values} appears again on {kept_label} of this delivery; {kept_label} is kept"
            )


def _rejected_frame(table: DeliveryTable, frame: pd.DataFrame, checker: _Checker, bad: Mask) -> pd.DataFrame:
    columns = list(frame.columns)
    positions = np.flatnonzero(bad)
    rejected = frame.iloc[positions].astype(str).where(frame.iloc[positions].notna(), "")
    rejected.insert(
        0, "reason", [f"{table.label(int(p))}: " + "; ".join(checker.reasons[int(p)]) for p in positions]
    )
    rejected.insert(0, "row", [table.label(int(p)) for p in positions])
    if table.malformed:
        width = len(columns)
        extra_rows = []
        for item in table.malformed:
            values = (list(item.values) + [""] * width)[:width]
            extra_rows.append([item.label, item.reason, *values])
        malformed = pd.DataFrame(extra_rows, columns=["row", "reason", *columns])
        rejected = pd.concat([rejected, malformed], ignore_index=True)
    return rejected.reset_index(drop=True)



"""Shape prefilter: a provably safe shortcut for the value scan of long columns of dates, codes and ids.

Scanning every distinct value of a column with every value rule costs about a microsecond per value
and rule; a ten-year column of timestamps or hashes has hundreds of thousands of distinct values but
only a handful of *shapes*. The shape of a value replaces each character of a folded set (the digits,
or the digits and ``a``-``f``) by ``0``: ``2016-01-01T00:06:00Z`` → ``0000-00-00T00:00:00Z``.

For each rule a *relaxed* pattern is derived mechanically from the rule's own regular expression
(parsed with Python's ``re`` parser, nothing written by hand) such that::

    rule.regex matches value   ⟹   relaxed matches shape(value)

so a value whose shape the relaxed pattern does not match cannot match the rule, and is skipped; every
other value goes through the rule's real pattern and check, exactly as before. Findings are therefore
identical with and without the prefilter; only the time changes.

How the relaxed pattern is built (``shape`` keeps the length of the value and maps a folded
character c to ``0``):

- a character test (literal, class, ``.``) that accepts some folded character also accepts ``0``;
- a lookahead/lookbehind whose tests treat all folded characters alike ("uniform": each test accepts
  all of them or none) gives the same answer on the value and on its shape, and is kept;
- a negative lookaround that is not uniform keeps only its uniform alternatives (it can only become
  true more often), or is dropped; a positive one is relaxed like the pattern, or dropped;
- anchors and word boundaries are kept (the folded characters and ``0`` are all word characters);
- a pattern with back-references, atomic groups or possessive repeats gets no relaxed form (the rule
  is then always scanned value by value).

The tests (``tests/privacy/test_prefilter.py``) check the implication on every example of
``value_patterns.yml`` and on generated values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from re import _compiler as sre_compile  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

import numpy as np
import pandas as pd

SHAPE_CHAR = "0"
MIN_VALUES = 1000
"""Columns with fewer distinct values are scanned directly (the shapes would not pay)."""
MAX_SHAPE_RATIO = 0.5
"""Shapes are used when they are at most this share of the distinct values."""

_C = sre_parse  # opcodes are re-exported by the parser module
_CONSUMING = {_C.LITERAL, _C.NOT_LITERAL, _C.IN, _C.ANY}
_REPEATS = {_C.MAX_REPEAT, _C.MIN_REPEAT}


class _Unrelaxable(Exception):
    """The pattern uses a construct the relaxation does not handle."""


@dataclass(frozen=True)
class ShapeMap:
    """Which characters a shape folds into ``0``."""

    name: str
    folded: str

    @property
    def table(self) -> dict[int, int]:
        return str.maketrans(self.folded, SHAPE_CHAR * len(self.folded))

    def shape(self, value: str) -> str:
        return value.translate(self.table)

    @property
    def byte_table(self) -> bytes:
        folded = self.folded.encode("ascii")
        return bytes.maketrans(folded, SHAPE_CHAR.encode("ascii") * len(folded))

    def shapes(self, values: pd.Series) -> list[str]:
        """``shape`` of every value, at once: the values are joined, encoded in UTF-8 and translated as
        bytes (the folded characters are ASCII, and UTF-8 writes every other character with bytes above
        127, so the result is exactly ``value.translate`` of each value, several times faster)."""
        texts = values.tolist()
        separator = "\x00"
        joined = separator.join(texts)
        try:
            data = joined.encode("utf-8", "surrogatepass").translate(self.byte_table)
            shapes = data.decode("utf-8", "surrogatepass").split(separator)
        except UnicodeError:
            shapes = []
        if len(shapes) != len(texts):  # a value holding the separator: one by one
            table = self.table
            shapes = [t.translate(table) for t in texts]
        return shapes


DIGITS = ShapeMap("digits", "0123456789")
HEX = ShapeMap("hex", "0123456789abcdef")
SHAPE_MAPS = (DIGITS, HEX)
"""Tried in this order: digits keep more of the rules' context checks; hex also folds hashes."""


def _accepted(atom: tuple[Any, Any], flags: int, chars: str) -> frozenset[str]:
    """The characters of ``chars`` that a one-character test accepts (compiled with ``re`` itself)."""
    state = sre_parse.State()
    state.flags = flags
    compiled = sre_compile.compile(sre_parse.SubPattern(state, [atom]), flags)
    return frozenset(c for c in chars if compiled.fullmatch(c))


def _sub(template: Any, data: list[Any]) -> Any:
    return sre_parse.SubPattern(template.state, data)


def _uniform(items: Any, flags: int, shape: ShapeMap) -> bool:
    """True when every character test accepts all folded characters or none of them."""
    everything = frozenset(shape.folded)
    for op, av in items:
        if op in _CONSUMING:
            accepted = _accepted((op, av), flags, shape.folded)
            if accepted and accepted != everything:
                return False
        elif op in _REPEATS or op is _C.POSSESSIVE_REPEAT:
            if not _uniform(av[2].data, flags, shape):
                return False
        elif op is _C.SUBPATTERN:
            _, add, remove, sub = av
            if not _uniform(sub.data, (flags | add) & ~remove, shape):
                return False
        elif op is _C.BRANCH:
            if not all(_uniform(b.data, flags, shape) for b in av[1]):
                return False
        elif op in (_C.ASSERT, _C.ASSERT_NOT):
            if not _uniform(av[1].data, flags, shape):
                return False
        elif op is _C.ATOMIC_GROUP:
            if not _uniform(av.data, flags, shape):
                return False
        elif op is _C.AT:
            continue  # positions and word boundaries: the folded characters and "0" are word characters
        else:
            return False  # back-references and anything unknown
    return True


def _under(body: Any, flags: int, shape: ShapeMap) -> Any | None:
    """A lookaround body that matches on the shape only if ``body`` matches on the value (None: never)."""
    if _uniform(body.data, flags, shape):
        return body
    items = body.data
    if len(items) == 1 and items[0][0] is _C.BRANCH:
        kept = [b for b in (_under(b, flags, shape) for b in items[0][1][1]) if b is not None]
        if not kept:
            return None
        return _sub(body, [(_C.BRANCH, (None, kept))]) if len(kept) > 1 else kept[0]
    if len(items) == 1 and items[0][0] is _C.SUBPATTERN:
        group, add, remove, sub = items[0][1]
        if group is not None:
            return None
        inner = _under(sub, (flags | add) & ~remove, shape)
        return None if inner is None else _sub(body, [(_C.SUBPATTERN, (None, add, remove, inner))])
    return None


def _relax(items: Any, flags: int, shape: ShapeMap) -> list[Any]:
    """``items`` made to accept, on the shape of a value, whatever they accept on the value."""
    out: list[Any] = []
    zero = (_C.LITERAL, ord(SHAPE_CHAR))
    for op, av in items:
        if op in _CONSUMING:
            accepted = _accepted((op, av), flags, shape.folded + SHAPE_CHAR)
            if not (accepted - {SHAPE_CHAR}) or SHAPE_CHAR in accepted:
                out.append((op, av))
            elif op is _C.LITERAL:
                out.append((_C.IN, [(op, av), zero]))
            elif op is _C.IN and not (av and av[0][0] is _C.NEGATE):
                out.append((_C.IN, [*av, zero]))
            else:
                raise _Unrelaxable(f"negated test excluding {SHAPE_CHAR!r}")
        elif op in _REPEATS:
            low, high, sub = av
            out.append((op, (low, high, _sub(sub, _relax(sub.data, flags, shape)))))
        elif op is _C.SUBPATTERN:
            group, add, remove, sub = av
            inner = (flags | add) & ~remove
            out.append((op, (group, add, remove, _sub(sub, _relax(sub.data, inner, shape)))))
        elif op is _C.BRANCH:
            out.append((op, (None, [_sub(b, _relax(b.data, flags, shape)) for b in av[1]])))
        elif op is _C.ASSERT:
            direction, body = av
            if _uniform(body.data, flags, shape):
                out.append((op, av))
            else:
                try:
                    out.append((op, (direction, _sub(body, _relax(body.data, flags, shape)))))
                except _Unrelaxable:
                    pass  # dropped: the pattern accepts more, never less
        elif op is _C.ASSERT_NOT:
            direction, body = av
            kept = _under(body, flags, shape)
            if kept is not None:
                out.append((op, (direction, kept)))
        elif op is _C.AT:
            out.append((op, av))
        else:
            raise _Unrelaxable(str(op))
    return out


@lru_cache(maxsize=256)
def relaxed_pattern(pattern: str, flags: int, shape: ShapeMap) -> re.Pattern[str] | None:
    """The relaxed form of a rule's pattern for ``shape`` (None: the rule is always scanned directly)."""
    try:
        parsed = sre_parse.parse(pattern, flags)
        relaxed = _sub(parsed, _relax(parsed.data, parsed.state.flags, shape))
        return sre_compile.compile(relaxed, parsed.state.flags)  # type: ignore[no-any-return]
    except Exception:  # unhandled construct, or re internals changed: scan this rule value by value
        return None


@lru_cache(maxsize=256)
def uniform_pattern(pattern: str, flags: int, shape: ShapeMap) -> bool:
    """True when every test of ``pattern`` accepts all the folded characters of ``shape`` or none of them:
    then, ``0`` being itself folded, ``pattern`` matches a value exactly when it matches its shape."""
    try:
        parsed = sre_parse.parse(pattern, flags)
        return SHAPE_CHAR in shape.folded and _uniform(parsed.data, parsed.state.flags, shape)
    except Exception:  # re internals changed: the shapes cannot tell
        return False


@dataclass
class Shapes:
    """The distinct shapes of a column's distinct values, and which shape each value has."""

    shape: ShapeMap
    codes: np.ndarray
    uniques: pd.Series

    def matches(self, regex: re.Pattern[str]) -> np.ndarray | None:
        """Exactly which values ``regex`` finds a match in, computed on the shapes (None: ``regex`` does
        not treat the folded characters alike, so the shapes cannot tell)."""
        if not uniform_pattern(regex.pattern, regex.flags, self.shape):
            return None
        hit = np.fromiter(
            (regex.search(u) is not None for u in self.uniques), dtype=bool, count=len(self.uniques)
        )
        return hit[self.codes]

    def candidates(self, regex: re.Pattern[str]) -> np.ndarray | None:
        """Mask of the values that may match ``regex`` (None: no relaxed form, scan every value)."""
        relaxed = relaxed_pattern(regex.pattern, regex.flags, self.shape)
        if relaxed is None:
            return None
        hit = self.uniques.str.contains(relaxed, na=False).to_numpy(dtype=bool)
        return hit[self.codes]


SAMPLE = 256
"""Values whose shapes are counted, with each shape map, to choose the map (or none) for a column."""


def column_shapes(values: pd.Series) -> Shapes | None:
    """The shapes of ``values`` (distinct texts) when they are few enough to be worth it."""
    if len(values) < MIN_VALUES:
        return None
    sample = values.iloc[:: max(1, len(values) // SAMPLE)]
    best = min(SHAPE_MAPS, key=lambda m: sample.str.translate(m.table).nunique())
    if sample.str.translate(best.table).nunique() > MAX_SHAPE_RATIO * len(sample):
        return None  # mostly distinct shapes (free text): scan the values directly
    codes, uniques = pd.factorize(np.array(best.shapes(values), dtype=object))
    if len(uniques) > MAX_SHAPE_RATIO * len(values):
        return None
    return Shapes(best, np.asarray(codes), pd.Series(uniques, dtype=object))

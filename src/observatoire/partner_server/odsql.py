"""The subset of Opendatasoft's query language (ODSQL) that connectors need.

``where``: comparisons ``field OP literal`` with ``OP`` in ``= != <> > >= < <=``, literals being quoted
strings (``"…"`` or ``'…'``), numbers or dates (``date'2024-01-01'``), combined with ``and``. Field names
may be back-quoted. Anything else is refused with a clear message (HTTP 400, like the portal).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Operator = Literal["=", "!=", ">", ">=", "<", "<="]


class OdsqlError(ValueError):
    """A query the simulated portal does not accept."""


@dataclass(frozen=True)
class Literal_:
    kind: Literal["string", "number", "date"]
    text: str


@dataclass(frozen=True)
class Comparison:
    field: str
    operator: Operator
    value: Literal_


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<date>date\s*(?P<dq>["'])(?P<dtext>.*?)(?P=dq))
      | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<op>>=|<=|!=|<>|=|>|<)
      | (?P<ident>`[^`]+`|[A-Za-z_][A-Za-z0-9_]*)
      | (?P<other>\S+)
    )""",
    re.VERBOSE | re.IGNORECASE,
)
_UNSUPPORTED_WORDS = {"or", "not", "in", "like", "search", "suggest", "within_distance", "is", "null"}
_SUPPORTED = (
    "supported here: comparisons such as date_debut >= \"2024-01-01\", date_debut < date'2024-02-01', "
    "jauge > 100 or commune = 'Marseille', combined with 'and'"
)


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None:  # pragma: no cover - the pattern always matches a non-blank character
            raise OdsqlError(f"cannot read the query at {text[position:]!r}")
        position = match.end()
        if match.group("date") is not None:
            tokens.append(("date", match.group("dtext")))
        elif match.group("string") is not None:
            raw = match.group("string")
            tokens.append(("string", re.sub(r"\\(.)", r"\1", raw[1:-1])))
        elif match.group("number") is not None:
            tokens.append(("number", match.group("number")))
        elif match.group("op") is not None:
            op = match.group("op")
            tokens.append(("op", "!=" if op == "<>" else op))
        elif match.group("ident") is not None:
            ident = match.group("ident")
            tokens.append(("ident", ident[1:-1] if ident.startswith("`") else ident))
        else:
            raise OdsqlError(f"unsupported ODSQL syntax near {match.group('other')!r}; {_SUPPORTED}")
    return tokens


def parse_where(text: str) -> list[Comparison]:
    """The comparisons of a ``where`` clause (all must hold)."""
    tokens = _tokens(text)
    if not tokens:
        return []
    comparisons: list[Comparison] = []
    index = 0
    while True:
        if index + 3 > len(tokens):
            raise OdsqlError(f"incomplete ODSQL condition in {text!r}; {_SUPPORTED}")
        (field_kind, field), (op_kind, op), (value_kind, value) = tokens[index : index + 3]
        if field_kind != "ident" or field.lower() in _UNSUPPORTED_WORDS | {"and"}:
            raise OdsqlError(f"expected a field name, found {field!r} in {text!r}; {_SUPPORTED}")
        if op_kind != "op":
            raise OdsqlError(f"expected a comparison operator after {field!r}, found {op!r}; {_SUPPORTED}")
        if value_kind not in ("string", "number", "date"):
            raise OdsqlError(f"expected a literal after {field} {op}, found {value!r}; {_SUPPORTED}")
        comparisons.append(Comparison(field, op, Literal_(value_kind, value)))  # type: ignore[arg-type]
        index += 3
        if index == len(tokens):
            return comparisons
        kind, word = tokens[index]
        if kind != "ident" or word.lower() != "and":
            raise OdsqlError(f"only 'and' may join conditions, found {word!r} in {text!r}; {_SUPPORTED}")
        index += 1


def parse_select(text: str) -> list[str]:
    names = [part.strip().strip("`") for part in text.split(",")]
    if any(not name for name in names):
        raise OdsqlError(f"empty field name in select={text!r}")
    for name in names:
        if name != "*" and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise OdsqlError(f"unsupported select expression {name!r}: list field names separated by commas")
    return names


def parse_order_by(text: str) -> list[tuple[str, bool]]:
    """``field [asc|desc], …`` → ``[(field, descending)]``."""
    terms: list[tuple[str, bool]] = []
    for part in text.split(","):
        words = part.split()
        if not words or len(words) > 2:
            raise OdsqlError(f"unsupported order_by term {part.strip()!r}: use 'field' or 'field asc|desc'")
        descending = False
        if len(words) == 2:
            direction = words[1].lower()
            if direction not in ("asc", "desc"):
                raise OdsqlError(f"unsupported order_by direction {words[1]!r}: use asc or desc")
            descending = direction == "desc"
        terms.append((words[0].strip("`"), descending))
    return terms

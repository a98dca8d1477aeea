"""The shape prefilter never hides a match: rule matches value ⟹ relaxed pattern matches its shape."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from observatoire.privacy import values
from observatoire.privacy.prefilter import SHAPE_MAPS, ShapeMap, column_shapes, relaxed_pattern
from observatoire.privacy.rules import value_rules

RULES = value_rules()
MAPS = {m.name: m for m in SHAPE_MAPS}


def _implication(pattern: re.Pattern[str], value: str, shape: ShapeMap) -> None:
    relaxed = relaxed_pattern(pattern.pattern, pattern.flags, shape)
    if relaxed is not None and pattern.search(value):
        assert relaxed.search(shape.shape(value)), (pattern.pattern, value, shape.name)


@pytest.mark.parametrize("shape", SHAPE_MAPS, ids=lambda m: m.name)
@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_rule_has_a_relaxed_form_that_keeps_its_examples(rule, shape: ShapeMap) -> None:  # type: ignore[no-untyped-def]
    assert relaxed_pattern(rule.regex.pattern, rule.regex.flags, shape) is not None
    for example in (*rule.examples_found, *rule.examples_not_found):
        for other in RULES:  # every rule against every example of every rule
            _implication(other.regex, example, shape)
            _implication(other.regex, f"x {example} 12", shape)


# Values built from the characters the rules care about, and from real matches with digits changed.
ALPHABET = "0123456789abcdefABCDEFGHJKLMNPRSTUVWXYZmnrtx .,:;-_+@()[]/\n\té’'"
_examples = [e for r in RULES for e in r.examples_found]


@st.composite
def _values(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        return draw(st.text(alphabet=ALPHABET, max_size=40))
    base = draw(st.sampled_from(_examples))
    digits = draw(st.lists(st.sampled_from("0123456789abcdef"), min_size=len(base), max_size=len(base)))
    changed = "".join(d if c.isdigit() and draw(st.booleans()) else c for c, d in zip(base, digits, strict=True))
    prefix = draw(st.text(alphabet=ALPHABET, max_size=6))
    suffix = draw(st.text(alphabet=ALPHABET, max_size=6))
    return prefix + changed + suffix


@settings(max_examples=1000, deadline=None)
@given(value=_values(), shape=st.sampled_from(SHAPE_MAPS))
def test_relaxed_patterns_never_miss_a_match(value: str, shape: ShapeMap) -> None:
    for rule in RULES:
        _implication(rule.regex, value, shape)


TRICKY = [
    r"(?<!\d)\d{3}(?!\d)",
    r"(?<![0-9])0[1-9](?:[ .]?[0-9]{2}){4}(?![0-9]|[.,][0-9])",
    r"[^0]5",
    r"(?i:fe80)::[a-f0-9]{1,4}",
    r"^\d{4}-\d{2}$",
    r"\bab12\b",
    r"(?=\d{3})1\d\d",
    r"(?<=x)[a-f]{2}",
    r"(?!000)[0-9]{3}",
    r"[2-6][0-9](?:[ -]?[0-9]){11,17}",
]


@pytest.mark.parametrize("pattern", TRICKY)
@settings(max_examples=300, deadline=None)
@given(value=st.text(alphabet="0123456789abcdefx -.:", max_size=24))
def test_relaxation_of_tricky_constructs(pattern: str, value: str) -> None:
    for shape in SHAPE_MAPS:
        _implication(re.compile(pattern), value, shape)


@pytest.mark.parametrize("pattern", [r"(\d)\1", r"(?>\d+)x", r"\d++x", r"(?P<a>\d)(?P=a)"])
def test_constructs_without_relaxed_form_are_scanned_directly(pattern: str) -> None:
    assert relaxed_pattern(pattern, 0, MAPS["digits"]) is None


def test_shapes_only_when_they_pay() -> None:
    assert column_shapes(pd.Series([f"free text {i}" for i in range(10)], dtype=object)) is None
    stamps = pd.Series([f"2016-01-{d:02d}T{h:02d}:{m:02d}:00Z" for d in range(1, 29) for h in range(24) for m in (0, 30)])
    shapes = column_shapes(stamps)
    assert shapes is not None and shapes.shape.name == "digits" and len(shapes.uniques) == 1
    hashes = pd.Series([f"{i * 2654435761 % 16**12:012x}" for i in range(3000)], dtype=object)
    shapes = column_shapes(hashes)
    assert shapes is not None and shapes.shape.name == "hex"


def _mixed_column() -> tuple[pd.Series, np.ndarray]:
    rng = np.random.default_rng(5)
    clean = [f"2016-01-{d:02d}T{h:02d}:{m:02d}:00Z" for d in range(1, 29) for h in range(24) for m in (0, 30)]
    clean += [f"{int(x):032x}" for x in rng.integers(0, 2**62, 2000)]
    clean += [f"VDM-EVT-{2016 + i % 10}-{i:05d}" for i in range(2000)]
    personal = [
        "06 12 34 56 78", "Infos au 04 91 13 89 00", "185057800608491", "4970 1012 3456 7893",
        "FR76 3000 6000 0112 3456 7890 189", "192.168.1.12", "fe80::1ff:fe23:4567:890a",
        "jean.dupont@example.fr", "AB-123-CD", "1234 AB 13", "Hommage à M. Dupont",
        "ref 5555555555554444", "2001:db8::1", "0612345678",
    ]  # fmt: skip
    texts = pd.Series(clean + personal, dtype=object)
    return texts, np.arange(1, len(texts) + 1, dtype=np.int64)


def test_engine_findings_identical_with_and_without_shapes(monkeypatch: pytest.MonkeyPatch) -> None:
    texts, counts = _mixed_column()
    with_shapes = values.scan_distinct("t", "c", texts, counts)
    monkeypatch.setattr(values, "column_shapes", lambda _: None)
    without = values.scan_distinct("t", "c", texts, counts)
    assert with_shapes == without
    assert {f.rule for f in with_shapes} == {r.id for r in RULES}

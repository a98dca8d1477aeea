"""GX evidence by shape: typed values are proven typed, everything else meets the denylist.

A value of a typed column (timestamp, integer, number, boolean) that fully matches the strict shape
of its type, or a value of any other text column that is a hexadecimal digest, is validated by GX with
``ExpectColumnValuesToMatchRegex`` in its own pool; all other values go to ``value`` and its denylist.
These tests prove that no personal value can take a shape, and that GX still catches a personal value
in a typed column when the rules engine misses it.
"""

from __future__ import annotations

import random
import re

import numpy as np
import pandas as pd
import pytest

from observatoire.contracts import get_contract
from observatoire.privacy import check_delivery, delivery_gate, evidence
from observatoire.privacy.evidence import SHAPES, TableEvidence, _data_batch
from observatoire.privacy.findings import TableCheck
from observatoire.privacy.prefilter import SHAPE_MAPS, column_shapes
from observatoire.privacy.rules import value_rules
from observatoire.privacy.values import distinct_counts

from .conftest import clean_frame

# Personal values written the way a typed column could carry them: bare digit strings and the like.
BARE_PERSONAL = [
    "0612345678", "0491131313", "+33612345678", "0033612345678", "33612345678", "612345678",
    "06.12.34.56.78", "06-12-34-56-78", "185057800608491", "1850578006084", "2901228004123",
    "290122A004123", "4970101234567893", "4111111111111111", "5555555555554444", "378282246310005",
    "4111-1111-1111-1111", "FR7630006000011234567890189", "192.168.1.12", "10.0.0.1", "2001:db8::1",
    "AB123CD", "AB-123-CD", "1234AB13", "jean.dupont@example.fr", "a@b.fr",
]  # fmt: skip

# The wire forms the partners actually use (contracts and landing files), which must get their pool.
TYPED_WIRE_VALUES = {
    "timestamp": [
        "2017-10-29T00:00:00Z", "2021-05-28T00:00:00+02:00", "2026-01-01T20:00:00+00:00",
        "21/06/2018 17:30", "2016-01-01", "2025-07-14T20:00:00.123+00:00", "2016-01-01T00:06",
    ],
    "integer": ["0", "2", "1100", "999999", "-3"],
    "number": ["67.1", "70", "0", "0.1", "43,2951", "5.396825396825397", "-12.5", "0.30000000000000004"],
    "boolean": ["true", "False", "0", "1"],
    "digest": ["eafb01222d45903da6c4f43cefece0dd", "0" * 40, "ab" * 32],
}  # fmt: skip


def _shape_matches(kind: str, value: str) -> bool:
    return re.search(SHAPES[kind][0], value) is not None  # as GX tests it: ``str.contains``


def test_no_personal_value_takes_a_typed_shape() -> None:
    examples = [example for rule in value_rules() for example in rule.examples_found]
    assert len(examples) > 30
    for value in [*examples, *BARE_PERSONAL]:
        fitting = [kind for kind in SHAPES if _shape_matches(kind, value)]
        assert not fitting, f"{value!r} fits the shape(s) {fitting}: it would escape the denylist"


# Values that look typed but where the phone pattern finds a number: they must stay in ``value``.
NOT_SHAPED = [
    "0516-99-38 95:44:12", "2016-01-01T00:00:05.12345678+01:00", "2016-01-01T00:00:02.001566-90", "061234.5678", "+336.12345678",
    "0612345678", "1234567", "+12",
]  # fmt: skip


def test_values_where_a_pattern_could_hide_take_no_shape() -> None:
    for value in NOT_SHAPED:
        assert not any(_shape_matches(kind, value) for kind in SHAPES), value


def test_shapes_are_anchored_and_accept_the_partners_wire_forms() -> None:
    for kind, values in TYPED_WIRE_VALUES.items():
        for value in values:
            assert _shape_matches(kind, value), (kind, value)
            for padded in (f"x{value}", f"{value}x", f"{value}\n", f"Mme Martin {value}"):
                assert not _shape_matches(kind, padded), (kind, padded)


def _candidates(rng: random.Random) -> list[str]:
    """Values built to be nasty near the shapes' edges: leading zeros, signs, long fractions, separators."""

    def digits(n: int) -> str:
        return "".join(rng.choice("0000123456789") for _ in range(n))

    def sep() -> str:
        return rng.choice(["-", "/", ":", ".", ",", "T", " ", "+", "Z", ""])

    values: list[str] = []
    for _ in range(3000):
        values += [
            f"{digits(4)}-{digits(2)}-{digits(2)}T{digits(2)}:{digits(2)}:{digits(2)}.{digits(rng.randint(1, 9))}"
            f"{rng.choice(['Z', '+', '-', ''])}{digits(rng.choice((0, 2, 4)))}",
            f"{digits(4)}-{digits(2)}-{digits(2)}{rng.choice(['T', ' '])}{digits(2)}:{digits(2)}{sep()}{digits(4)}",
            f"{digits(2)}/{digits(2)}/{digits(4)} {digits(2)}:{digits(2)}",
            f"{rng.choice(['', '-', '+'])}{digits(rng.randint(1, 7))}",
            f"{rng.choice(['', '-', '+'])}{digits(rng.randint(1, 7))}{rng.choice('.,')}{digits(rng.randint(1, 18))}",
            "".join(rng.choice("0123456789abcdef") for _ in range(rng.choice((10, 32, 40, 64)))),
            "".join(digits(rng.randint(1, 4)) + sep() for _ in range(rng.randint(2, 5))),
        ]
    return values


def test_values_of_every_shape_never_match_the_denylist() -> None:
    """The other way round: whatever fits a shape is clean for every pattern GX's denylist replays.

    (The rules that need a check — NIR key, Luhn, IBAN, IPv6 — are never replayed by GX; the rules
    engine checks them on every value, typed or not.)
    """
    shaped = [v for v in _candidates(random.Random(11)) if any(_shape_matches(kind, v) for kind in SHAPES)]
    assert len(shaped) > 5000
    denylist = [rule for rule in value_rules() if rule.pure_regex]
    assert {rule.id for rule in denylist} >= {"email", "phone_fr", "plate_siv", "plate_fni", "ipv4"}
    combined = re.compile(evidence._pure_pattern()[0])
    hits = [(rule.id, v) for v in shaped for rule in denylist if rule.regex.search(v)]
    assert not hits, hits[:5]
    assert not [v for v in shaped if combined.search(v)]


def _typed_delivery() -> pd.DataFrame:
    # Everything as text, as a CSV delivery arrives: timestamps, counts and rates are typed columns.
    return clean_frame(get_contract("smtpc", "comptages"), 200).astype(str)


def _suite_expectations(name: str) -> dict[str, str]:
    suite = evidence._context().suites.get(name)
    return {e.configuration.kwargs["column"]: e.configuration.type for e in suite.expectations}


def test_typed_columns_are_validated_by_shape(_home: object) -> None:
    result = check_delivery(get_contract("smtpc", "comptages"), _typed_delivery())
    assert result.passed, result.message
    assert result.evidence["success"] is True
    expectations = _suite_expectations("privacy_delivery.smtpc__comptages")
    assert expectations["value"] == "expect_column_values_to_not_match_regex"
    for pool in ("timestamp_value", "integer_value", "number_value", "digest_value"):
        assert expectations[pool] == "expect_column_values_to_match_regex", pool


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("horodatage", "06 12 34 56 78"),
        ("vehicules", "jean.dupont@example.fr"),
        ("taux_occupation_pct", "0612345678"),
    ],
)
def test_personal_value_in_a_typed_column_is_caught_by_gx(
    column: str, value: str, monkeypatch: pytest.MonkeyPatch, _home: object
) -> None:
    """A blind engine passes the delivery; GX's denylist on ``value`` still refuses it, naming the table."""
    frame = _typed_delivery()
    frame.loc[7, column] = value
    monkeypatch.setattr(delivery_gate, "scan_distinct", lambda *args, **kwargs: [])
    result = check_delivery(get_contract("smtpc", "comptages"), frame)
    assert not result.passed
    assert {(f.table, f.rule) for f in result.refusals} == {("smtpc__comptages", "gx_expectation_failed")}
    data = next(
        v for v in result.evidence["validations"] if v["suite"] == "privacy_delivery.smtpc__comptages"
    )
    # the typed pools held only typed values (their shape expectations passed); the denylist caught it
    assert data["failed_columns"] == ["value"]
    assert "timestamp_value" in _suite_expectations("privacy_delivery.smtpc__comptages")


def test_a_failed_shape_expectation_refuses_naming_the_table(
    monkeypatch: pytest.MonkeyPatch, _home: object
) -> None:
    """Had a personal value slipped into a typed pool, GX's shape expectation fails: the gate refuses."""
    frame = _typed_delivery()
    frame.loc[3, "horodatage"] = "06 12 34 56 78"
    monkeypatch.setattr(delivery_gate, "scan_distinct", lambda *args, **kwargs: [])
    split = evidence._split_by_shape

    def careless(values: np.ndarray, kind: str, shapes: object = None) -> tuple[np.ndarray, np.ndarray]:
        return (values, values[:0]) if kind == "timestamp" else split(values, kind)

    monkeypatch.setattr(evidence, "_split_by_shape", careless)
    result = check_delivery(get_contract("smtpc", "comptages"), frame)
    assert not result.passed
    (refusal,) = result.refusals
    assert (refusal.table, refusal.rule) == ("smtpc__comptages", "gx_expectation_failed")
    assert "expect_column_values_to_match_regex" in refusal.detail
    data = next(
        v for v in result.evidence["validations"] if v["suite"] == "privacy_delivery.smtpc__comptages"
    )
    assert data["failed_columns"] == ["timestamp_value"]


def _table(name: str, distinct: dict[str, list[str]], shapes: dict[str, str]) -> TableEvidence:
    columns = tuple(distinct)
    check = TableCheck(name, 10, columns, columns, columns, ())
    arrays = {c: np.array(v, dtype=object) for c, v in distinct.items()}
    return TableEvidence(name, arrays, list(columns), list(columns), [], check, shapes=shapes)


def test_values_are_pooled_by_shape_and_owned_by_their_tables() -> None:
    digest = "eafb01222d45903da6c4f43cefece0dd"
    tables = [
        _table(
            "a",
            {"at": ["2016-01-01T00:00:00Z", "06 12 34 56 78"], "id": [digest, "EVT-1"]},
            {"at": "timestamp"},
        ),
        _table("b", {"n": ["12", "4970101234567893"], "id": [digest]}, {"n": "integer"}),
    ]
    batch = _data_batch("publish", tables)
    pools = {c: sorted(map(str, batch.frame[c].dropna())) for c in batch.frame.columns}
    assert pools == {
        "value": sorted(["06 12 34 56 78", "EVT-1", "4970101234567893"]),
        "timestamp_value": ["2016-01-01T00:00:00Z"],
        "digest_value": [digest],  # held by both tables, validated once
        "integer_value": ["12"],
    }
    assert [kind for kind, kwargs, _ in batch.expectations if kwargs["column"] != "value"] == [
        "ExpectColumnValuesToMatchRegex"
    ] * 3
    assert {name for name, values in batch.pools["value"] if "06 12 34 56 78" in values} == {"a"}


def test_shapes_tell_exactly_which_values_fit_a_shape() -> None:
    values = pd.Series(
        [f"2016-01-{d:02d}T{h:02d}:{m:02d}:00Z" for d in range(1, 29) for h in range(24) for m in (0, 30)]
        + ["2016-01-01T00:00:00Z x", "06 12 34 56 78", "2016-1-1", "١٢٣٤-01-01"] * 3,
        dtype=object,
    ).drop_duplicates(ignore_index=True)
    shapes = column_shapes(values)
    assert shapes is not None
    regex = re.compile(SHAPES["timestamp"][0])
    exact = shapes.matches(regex)
    assert exact is not None
    assert exact.tolist() == [regex.search(v) is not None for v in values]
    assert shapes.matches(re.compile(SHAPES["boolean"][0])) is None  # "0|1": not alike for every digit


@pytest.mark.parametrize("shape", SHAPE_MAPS, ids=lambda m: m.name)
def test_shapes_at_once_equal_shapes_one_by_one(shape) -> None:  # type: ignore[no-untyped-def]
    values = pd.Series(
        ["2016-01-01T00:06:00Z", "Fête à 20h30 €", "ab12\udc80", "", "x\x00y", "ǅ0f"], dtype=object
    )
    assert shape.shapes(values) == [shape.shape(v) for v in values]
    assert shape.shapes(values.iloc[:4]) == [shape.shape(v) for v in values.iloc[:4]]


def test_distinct_counts_agree_with_pandas() -> None:
    for data in (["b", "a", None, "b", np.nan, "c", "a"], [1, "1", 2.5, None, True, "x"], ["x"] * 5, []):
        series = pd.Series(data, dtype=object)
        values, counts = distinct_counts(series)
        expected = series.value_counts(dropna=True, sort=False)
        assert values.tolist() == expected.index.astype(str).tolist()
        assert counts.tolist() == expected.tolist()


def _texts_near_the_patterns(rng: random.Random) -> list[str]:
    alphabet = "0000123456789  .-+@[]()_:,/atrobsMmeAZSWéx\n"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(6000)]
    texts += ["".join(rng.choice("0123456789 .-+") for _ in range(rng.randint(8, 24))) for _ in range(6000)]
    texts += [f"{rng.choice(['', 'x', '1', '+', '.', '1.', ' '])}{rng.choice(['+33', '0033', '0', '00'])}"
              f"{''.join(rng.choice('0123456789 .-') for _ in range(rng.randint(8, 16)))}" for _ in range(6000)]  # fmt: skip
    texts += [f"{rng.choice(['', 'a', ' ', '.'])}{''.join(rng.choice('abz09._%+-') for _ in range(rng.randint(1, 12)))}"
              f"{rng.choice(['@', ' [at] ', '(at)', ' (arobase) ', ''])}ex-{rng.randint(0, 9)}.fr{rng.choice(['', '-', '!', 'x'])}"
              for _ in range(6000)]  # fmt: skip
    return texts


def test_the_alternation_gx_replays_finds_exactly_what_the_rules_find() -> None:
    """The faster equivalent forms of the patterns (GX only) match exactly where the rules match."""
    texts = _texts_near_the_patterns(random.Random(3))
    texts += [e for rule in value_rules() for e in (*rule.examples_found, *rule.examples_not_found)]
    pure = [rule for rule in value_rules() if rule.pure_regex]
    for rule in pure:
        fast = re.compile(evidence._equivalent_form(rule.regex.pattern))
        for text in texts:
            expected = [m.span() for m in rule.regex.finditer(text)]
            assert [m.span() for m in fast.finditer(text)] == expected, (rule.id, text)
    combined = re.compile(evidence._pure_pattern()[0])
    plain = re.compile("|".join(f"(?:{rule.regex.pattern})" for rule in pure))
    assert combined.pattern != plain.pattern  # the rewrites apply to today's patterns
    assert [bool(combined.search(t)) for t in texts] == [bool(plain.search(t)) for t in texts]
    assert sum(bool(plain.search(t)) for t in texts) > 1000  # the texts do come close to the patterns

from __future__ import annotations

import pytest

from observatoire.partner_server.odsql import OdsqlError, parse_order_by, parse_select, parse_where


def test_comparisons_joined_by_and() -> None:
    parsed = parse_where(
        "date_debut >= \"2024-01-01\" AND `latitude` < 43.3 and nom = 'l\\'Estaque' and d = date'2024-02-01'"
    )
    assert [(c.field, c.operator, c.value.kind, c.value.text) for c in parsed] == [
        ("date_debut", ">=", "string", "2024-01-01"),
        ("latitude", "<", "number", "43.3"),
        ("nom", "=", "string", "l'Estaque"),
        ("d", "=", "date", "2024-02-01"),
    ]
    assert parse_where("a <> 1")[0].operator == "!="
    assert parse_where("") == []


@pytest.mark.parametrize(
    "where",
    [
        "a = 1 or b = 2",
        "not a = 1",
        "a in (1, 2)",
        "a = b",
        "a =",
        "= 1",
        "a = 1 and",
        "a like 'x%'",
        "a = 1; drop",
    ],
)
def test_everything_else_is_refused(where: str) -> None:
    with pytest.raises(OdsqlError, match="supported|unsupported|expected|incomplete|only 'and'"):
        parse_where(where)


def test_select_and_order_by() -> None:
    assert parse_select("objectid, nom_poi") == ["objectid", "nom_poi"]
    assert parse_order_by("date_debut desc, objectid") == [("date_debut", True), ("objectid", False)]
    for bad in ("count(*)", "a,,b", "a as b"):
        with pytest.raises(OdsqlError):
            parse_select(bad)
    with pytest.raises(OdsqlError):
        parse_order_by("a sideways")

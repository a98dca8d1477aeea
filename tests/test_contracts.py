"""The contracts are the single source for four components: keep them internally consistent."""

from __future__ import annotations

import re

import pytest

from observatoire.contracts import CONTRACTS, PARTNERS, contracts_of, get_contract


@pytest.mark.parametrize("contract", CONTRACTS.values(), ids=lambda c: c.table)
def test_contract_is_consistent(contract):
    names = contract.field_names
    assert len(names) == len(set(names)), "duplicate field names"
    assert set(contract.key) <= set(names), "key fields must be contract fields"
    for optional in (contract.updated_field, contract.start_field, contract.end_field):
        if optional is not None:
            assert optional in names
    for name in (contract.updated_field, contract.start_field, contract.end_field):
        if name is not None:
            assert contract.get_field(name).type == "timestamp"
    for field in contract.fields:
        if field.allowed is not None:
            assert field.type == "string" and len(field.allowed) == len(set(field.allowed)) > 0
        if field.pattern is not None:
            re.compile(field.pattern)
        if field.minimum is not None and field.maximum is not None:
            assert field.minimum < field.maximum
        assert field.description.strip(), f"{field.name} needs a description"
    for key_field in contract.key:
        assert not contract.get_field(key_field).nullable, "a key field cannot be null"


def test_every_partner_has_datasets_and_tables_are_unique():
    assert {c.partner for c in CONTRACTS.values()} == set(PARTNERS)
    assert sum(len(contracts_of(p)) for p in PARTNERS) == len(CONTRACTS) == 11


def test_opendatasoft_datasets_carry_the_portal_id():
    for contract in contracts_of("metropole"):
        assert contract.source_id and contract.mechanism == "opendatasoft"


def test_datatourisme_contract_never_lists_personal_columns():
    contract = get_contract("metropole", "datatourisme_poi")
    assert not {"point_de_contact", "telephone", "email"} & set(contract.field_names)


def test_unknown_dataset_error_lists_the_known_ones():
    with pytest.raises(KeyError, match="ville evenements"):
        get_contract("ville", "evenement")


def test_prefecture_wire_format_is_the_cortege_export():
    wire = get_contract("prefecture", "manifestations").wire
    assert (wire.encoding, wire.delimiter, wire.decimal) == ("cp1252", ";", ",")
    assert wire.timestamp_format == "%d/%m/%Y %H:%M" and wire.timestamp_timezone == "Europe/Paris"

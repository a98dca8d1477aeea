"""Delivery gate: clean deliveries of every dataset pass; a trap for every rule and dataset family fails."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from observatoire.contracts import CONTRACTS, get_contract
from observatoire.errors import BadInput
from observatoire.privacy import check_delivery, quarantine_delivery

from .conftest import ALL_CONTRACTS, clean_frame


def _rules(result) -> set[tuple[str | None, str]]:  # type: ignore[no-untyped-def]
    return {(f.column, f.rule) for f in result.refusals}


@pytest.mark.parametrize("contract", ALL_CONTRACTS, ids=lambda c: c.table)
def test_clean_delivery_passes(contract) -> None:  # type: ignore[no-untyped-def]
    frame = clean_frame(contract)
    result = check_delivery(contract, frame, raw_header=list(frame.columns), evidence=False)
    assert result.passed, result.message
    assert "passed" in result.message


@pytest.mark.parametrize("contract", ALL_CONTRACTS, ids=lambda c: c.table)
def test_clean_delivery_as_text_passes(contract) -> None:  # type: ignore[no-untyped-def]
    # A CSV parser that keeps every value as text must not create false positives either.
    frame = clean_frame(contract).astype(str)
    assert check_delivery(contract, frame, evidence=False).passed


# One trap per dataset family: an extra personal column, and a personal value in an allowed text column.
FAMILY_TRAPS = [
    ("ville__evenements", "intitule", "Concert — réservations au 06 12 34 56 78", "phone_fr", "email_organisateur"),
    ("ville__arretes_circulation", "voie", "Rue Paradis, véhicule AB-123-CD", "plate_siv", "immatriculation"),
    ("prefecture__manifestations", "THEME", "SOUTIEN A MONSIEUR DURAND", "person_title", "NOM_DECLARANT"),
    ("prefecture__visites_officielles", "LIEU", "Préfecture — contact p.martin@interieur.gouv.fr", "email", "NOM"),
    ("smtpc__evenements_tunnel", "id", "INC-192.168.1.20", "ipv4", "plaque"),
    ("metropole__fermetures_tunnels", "nom", "Fermeture — payer sur FR76 3000 6000 0112 3456 7890 189", "iban", "telephone"),
    ("metropole__perturbations_rtm", "arret", "Castellane 4111 1111 1111 1111", "card_number", "ip"),
    ("metropole__datatourisme_poi", "nom_poi", "Fête — Mme Martin 04 91 00 00 00", "phone_fr", "email"),
    ("ville__activite_police_municipale", "categorie", "atteinte_personnes 185057800608491", "nir", "date_naissance"),
    ("smtpc__comptages", "sens", "PRADO_VERS_CARENAGE 2001:db8::1", "ipv6", "conducteur"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("table", "column", "value", "rule", "extra"), FAMILY_TRAPS, ids=lambda v: str(v)[:24]
)
def test_personal_value_hidden_in_allowed_column(
    table: str, column: str, value: str, rule: str, extra: str
) -> None:
    contract = CONTRACTS[table]
    frame = clean_frame(contract)
    frame[column] = frame[column].astype(object)
    frame.loc[3, column] = value
    result = check_delivery(contract, frame, evidence=False)
    assert not result.passed
    assert (column, rule) in _rules(result)
    finding = next(f for f in result.refusals if f.rule == rule)
    assert finding.count == 1 and finding.examples
    assert value not in json.dumps(result.to_dict(), ensure_ascii=False)


@pytest.mark.parametrize(
    ("table", "column", "value", "rule", "extra"), FAMILY_TRAPS, ids=lambda v: str(v)[:24]
)
def test_extra_personal_column(table: str, column: str, value: str, rule: str, extra: str) -> None:
    contract = CONTRACTS[table]
    frame = clean_frame(contract)
    frame[extra] = "x"
    result = check_delivery(contract, frame, evidence=False)
    assert (extra, "personal_column_name") in _rules(result)


def test_datatourisme_contact_columns_refused() -> None:
    contract = get_contract("metropole", "datatourisme_poi")
    frame = clean_frame(contract)
    frame["point_de_contact"] = "Office de tourisme"
    frame["telephone"] = "04 91 13 89 00"
    frame["email"] = "info@marseille-tourisme.com"
    result = check_delivery(contract, frame, evidence=False)
    refused = _rules(result)
    for column in ("point_de_contact", "telephone", "email"):
        assert (column, "personal_column_name") in refused
    assert ("telephone", "phone_fr") in refused and ("email", "email") in refused
    assert "i***@m***.com" in result.message


def test_column_only_in_raw_header_is_refused() -> None:
    contract = get_contract("metropole", "datatourisme_poi")
    frame = clean_frame(contract)
    result = check_delivery(contract, frame, raw_header=[*frame.columns, "email"], evidence=False)
    assert ("email", "personal_column_name") in _rules(result)


def test_unexpected_and_missing_columns() -> None:
    contract = get_contract("ville", "evenements")
    frame = clean_frame(contract).drop(columns=["nature", "jauge"])
    frame["couleur"] = "bleu"
    result = check_delivery(contract, frame, evidence=False)
    assert ("couleur", "unexpected_column") in _rules(result)
    assert ("nature", "missing_column") in _rules(result)
    # a nullable field absent from the delivery is only noted
    assert any(f.column == "jauge" and f.severity == "note" for f in result.findings)


def test_police_activity_with_raw_coordinates_refused() -> None:
    contract = get_contract("ville", "activite_police_municipale")
    frame = clean_frame(contract)
    frame["latitude"] = np.linspace(43.25, 43.35, len(frame))
    frame["longitude"] = np.linspace(5.35, 5.40, len(frame))
    frame["adresse"] = "12 rue Paradis"
    result = check_delivery(contract, frame, evidence=False)
    refused = _rules(result)
    assert ("latitude", "individual_location") in refused
    assert ("longitude", "individual_location") in refused
    assert ("adresse", "individual_location") in refused
    assert "200 m" in result.message


def test_police_activity_with_disguised_coordinates_refused() -> None:
    contract = get_contract("ville", "activite_police_municipale")
    frame = clean_frame(contract)
    frame["v1"] = np.linspace(43.25, 43.35, len(frame))
    frame.loc[0, "carreau"] = "43.29651, 5.36978"
    result = check_delivery(contract, frame, evidence=False)
    refused = _rules(result)
    assert ("v1", "individual_location") in refused
    assert ("carreau", "individual_location") in refused


def test_big_integers_checked() -> None:
    contract = get_contract("smtpc", "comptages")
    frame = clean_frame(contract)
    frame["vehicules"] = frame["vehicules"].astype(np.int64)
    frame.loc[0, "vehicules"] = 4111111111111111
    assert ("vehicules", "card_number") in _rules(check_delivery(contract, frame, evidence=False))


def test_delivery_file_and_quarantine(tmp_path: Path) -> None:
    contract = get_contract("prefecture", "manifestations")
    frame = clean_frame(contract).astype(str)
    frame["NOM_ORGANISATEUR"] = "DUPONT"
    path = tmp_path / "manifestations_2025-07-14.csv"
    frame.to_csv(path, sep=";", encoding="cp1252", index=False)
    result = check_delivery("prefecture__manifestations", path, delivery_id="d42", evidence=False)
    assert not result.passed
    target = tmp_path / "quarantine" / "prefecture" / "manifestations" / "d42"
    reason = quarantine_delivery(result, target, files=[path])
    data = json.loads(reason.read_text(encoding="utf-8"))
    assert data["passed"] is False and data["gate"] == "delivery"
    assert data["findings"][0]["column"] == "NOM_ORGANISATEUR"
    assert "DUPONT" not in reason.read_text(encoding="utf-8")
    assert (target / path.name).exists()


def test_json_delivery_file(tmp_path: Path) -> None:
    contract = get_contract("metropole", "datatourisme_poi")
    records = clean_frame(contract, 5).astype(str).to_dict(orient="records")
    records[0]["email"] = "a.b@c.fr"
    path = tmp_path / "d.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    result = check_delivery(contract, path, evidence=False)
    assert ("email", "personal_column_name") in _rules(result)


def test_unknown_dataset_and_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(BadInput):
        check_delivery("nope__nothing", pd.DataFrame(), evidence=False)
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(BadInput):
        check_delivery("metropole__datatourisme_poi", bad, evidence=False)

"""Every value pattern and every column-name rule: positive, negative, and real Marseille traps."""

from __future__ import annotations

import pandas as pd
import pytest

from observatoire.privacy.checks import card_number_ok, iban_ok, luhn_ok, nir_key_ok
from observatoire.privacy.names import personal_name_reason
from observatoire.privacy.rules import value_rules
from observatoire.privacy.values import scan_series

from .conftest import TRAP_TEXTS

RULES = {r.id: r for r in value_rules()}
FOUND = [(r.id, text) for r in value_rules() for text in r.examples_found]
NOT_FOUND = [(r.id, text) for r in value_rules() for text in r.examples_not_found]

EXTRA_FOUND = [
    ("email", "écrire à prenom.nom@laposte.net pour s'inscrire"),
    ("phone_fr", "Réservations : 04 91 90 12 34"),
    ("phone_fr", "tel+33-6-12-34-56-78"),
    ("plate_siv", "stationnement gênant FX-412-KB quai du Port"),
    ("plate_fni", "véhicule 4521 TK 13 enlevé"),
    ("card_number", "CB 5555 5555 5555 4444 exp 12/27"),
    ("ipv4", "connexion 192.168.0.254"),
    ("person_title", "Cortège en soutien à Mme Dupont"),
    ("person_title", "RASSEMBLEMENT SOUTIEN MONSIEUR DURAND"),
    ("person_title", "Visite de M. Martin, préfet"),
]
# Real Marseille data that no rule may flag (every rule is tried on each).
TRAPS = [
    *TRAP_TEXTS,
    "12", "0", "3.14159", "43.296482", "5.36978", "1 250", "45000", "2025-07-14 20:00:00+02",
    "20:00", "CRS3035RES200mN2246000E3934000", "CRS3035RES200mN2251200E3940800", "13008",
    "M1", "M2", "T3", "B21", "83", "2025-01234", "AR-2025-000042", "EVE-2025-000123",
    "PRADO_VERS_CARENAGE", "FERMETURE_PROGRAMMEE", "atteinte_personnes", "Fête et manifestation",
    "Course Marseille-Cassis 2025", "Run in Marseille 10 km", "Place du Général de Gaulle",
    "Avenue du Prado 13008 Marseille", "Square Monseigneur Bonnet", "Rue Docteur Escat",
    "14/07/2025", "22:00", "2025-07-14T20:00:00Z", "Mardi 14 juillet 2025 à 22 H 30",
]  # fmt: skip


@pytest.mark.parametrize(("rule_id", "text"), FOUND + EXTRA_FOUND)
def test_rule_finds(rule_id: str, text: str) -> None:
    findings = scan_series("t", "c", pd.Series([text]), [RULES[rule_id]])
    assert [f.rule for f in findings] == [rule_id], text


@pytest.mark.parametrize(("rule_id", "text"), NOT_FOUND)
def test_rule_ignores(rule_id: str, text: str) -> None:
    assert scan_series("t", "c", pd.Series([text]), [RULES[rule_id]]) == [], text


@pytest.mark.parametrize("text", TRAPS)
def test_no_rule_flags_marseille_traps(text: str) -> None:
    assert scan_series("t", "c", pd.Series([text])) == [], text


def test_masked_examples_never_match_again() -> None:
    texts = [t for _, t in FOUND + EXTRA_FOUND]
    findings = scan_series("t", "c", pd.Series(texts))
    masked = [e for f in findings for e in f.examples]
    assert masked
    assert scan_series("t", "c", pd.Series(masked)) == []
    for example in masked:
        assert "*" in example


def test_counts_are_rows_not_distinct_values() -> None:
    series = pd.Series(["appelez le 06 12 34 56 78"] * 5 + ["rien"] * 3 + [None])
    (finding,) = scan_series("t", "c", series)
    assert finding.count == 5
    assert finding.examples == ("06 ** ** ** 78",)


def test_checksums() -> None:
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert card_number_ok("4111 1111 1111 1111 12")  # card followed by another number
    assert not card_number_ok("1234567812345670")  # Luhn-valid but no card scheme starts with 1
    assert nir_key_ok("185057800608491") and not nir_key_ok("185057800608492")
    # Corsica: 2A counts as 19, 2B as 18
    key_2a = 97 - (2901219004123 % 97)
    key_2b = 97 - (2901218004123 % 97)
    assert nir_key_ok(f"29012 2A004123{key_2a:02d}".replace(" ", ""))
    assert nir_key_ok(f"290122B004123{key_2b:02d}")
    assert not nir_key_ok(f"290122B004123{(key_2b % 97) + 1:02d}")
    assert iban_ok("FR7630006000011234567890189") and not iban_ok("FR7630006000011234567890188")
    assert iban_ok("GB82WEST12345698765432")


PERSONAL_NAMES = [
    "nom", "NOM", "prenom", "prénom", "Prenom_Usage", "email", "E-Mail", "mail", "courriel",
    "telephone", "téléphone", "tel", "tel_portable", "portable", "adresse", "adresse_postale",
    "date_naissance", "dateNaissance", "age", "nir", "numero_secu", "num_securite_sociale",
    "immatriculation", "plaque", "ip", "adresse_ip", "iban", "carte", "numero_carte", "passport",
    "passeport", "first_name", "lastName", "surname", "full_name", "phone", "phone_number",
    "address", "home_address", "birthdate", "date_of_birth", "dob", "ssn", "license_plate",
    "ip_address", "credit_card", "card_number", "point_de_contact", "contact", "victime", "photo",
    "nom_organisateur", "organisateur", "user_id",
]  # fmt: skip
INNOCENT_NAMES = [
    "nom_poi", "nombre", "nb_faits", "nb_interventions", "numero_arrete", "place_name", "nature",
    "nature_family", "organisateur_type", "agents_engages", "codeinsee", "code_postal", "intitule",
    "THEME", "LIEU_DEPART", "EFFECTIFS_FDO", "ID_CORTEGE", "carreau", "ligne", "arret", "latitude",
    "titrecalendrier", "participants", "emprise_m2", "source_ids", "event_id", "neighbour_event_id",
    "similarity", "offences_atteinte_personnes", "offences_atteinte_personnes_suppressed",
    "tunnel_closures", "is_weekend", "duration_hours", "date_mise_a_jour", "niv1_categorie",
    "PERIMETRE_SECURITE_M", "gate_summary", "TYPE_OPERATION", "vitesse_moy_kmh", "arrondissement",
]  # fmt: skip


@pytest.mark.parametrize("column", PERSONAL_NAMES)
def test_personal_column_names(column: str) -> None:
    assert personal_name_reason(column) is not None


@pytest.mark.parametrize("column", INNOCENT_NAMES)
def test_innocent_column_names(column: str) -> None:
    assert personal_name_reason(column) is None

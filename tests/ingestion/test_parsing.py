"""Reading and validating deliveries against their contracts: messages a partner's data manager understands."""

from __future__ import annotations

import pandas as pd
import pytest

from observatoire.contracts import get_contract
from observatoire.ingestion.reader import StructureError, read_csv, read_json
from observatoire.ingestion.timeparse import parse_local
from observatoire.ingestion.validation import validate

from .partner_fixture import DAYS, _csv, manifestation_rows

MANIF = get_contract("prefecture", "manifestations")
HEADER = ";".join(MANIF.field_names)
GOOD = ("C-1;01/07/2025 14:00;01/07/2025 18:00;REVENDICATIVE;Retraites;CORTEGE;Vieux-Port;1;43,295;5,374;"
        "Castellane;43,286;5,383;1200;;80;DECLAREE")


def prefecture_file(*rows: str, header: str = HEADER, encoding: str = "cp1252") -> bytes:
    return ("\r\n".join([header, *rows]) + "\r\n").encode(encoding)


def reasons(data: bytes) -> list[str]:
    result = validate(MANIF, read_csv(MANIF, data, "manifestations_2025-07-01.csv"))
    return list(result.rejected["reason"])


def test_a_good_prefecture_file_is_typed_and_stored_in_utc() -> None:
    result = validate(MANIF, read_csv(MANIF, prefecture_file(GOOD), "f.csv"))
    assert result.rows_rejected == 0
    row = result.valid.iloc[0]
    assert row["DATE_DEBUT"] == pd.Timestamp("2025-07-01T12:00:00Z")  # 14:00 in Paris (summer) = 12:00 UTC
    assert row["LAT_DEPART"] == pytest.approx(43.295)  # decimal comma
    assert pd.isna(row["PARTICIPANTS_CONSTATES"])  # empty, nullable
    assert row["ARRONDISSEMENT_DEPART"] == 1


def test_end_before_start_is_explained_with_the_wire_values() -> None:
    bad = GOOD.replace("01/07/2025 18:00", "01/07/2025 10:00")
    assert reasons(prefecture_file(GOOD.replace("C-1", "C-0"), bad)) == [
        "line 3: DATE_FIN 01/07/2025 10:00 is before DATE_DEBUT 01/07/2025 14:00"
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("REVENDICATIVE", "FESTIF"), "TYPE 'FESTIF' is not one of REVENDICATIVE, FESTIVE, SPORTIVE, COMMEMORATIVE, RELIGIEUSE"),
        ((";1;43,295", ";17;43,295"), "ARRONDISSEMENT_DEPART 17 is out of range (1 to 16)"),
        (("43,295", "43.295"), "LAT_DEPART '43.295' uses '.' as decimal mark; this file must use ','"),
        (("1200", "douze"), "PARTICIPANTS_DECLARES 'douze' is not a whole number"),
        (("1200", "inf"), "PARTICIPANTS_DECLARES 'inf' is not a whole number"),  # crashed the whole delivery
        (("43,295", "-inf"), "LAT_DEPART '-inf' is not a number"),
        (("1200", "-5"), "PARTICIPANTS_DECLARES -5 is out of range (at least 0)"),
        (("01/07/2025 14:00", "32/07/2025 14:00"), "DATE_DEBUT '32/07/2025 14:00' is not a date in the form dd/mm/yyyy HH:MM"),
        (("Retraites", ""), "THEME is empty but is required"),
        (("Retraites", "x" * 130), "THEME is 130 characters long (at most 120 allowed)"),
    ],
)
def test_each_broken_value_is_quarantined_with_its_reason(change: tuple[str, str], expected: str) -> None:
    assert reasons(prefecture_file(GOOD.replace(*change, 1))) == [f"line 2: {expected}"]


def test_pattern_mismatch_and_iso_timestamps() -> None:
    contract = get_contract("ville", "activite_police_municipale")
    data = (
        b"heure,carreau,categorie,nb_faits,nb_interventions,agents_engages\n"
        b"2025-07-01T14:00:00+02:00,CRS3035RES200mN2242600E3955400,tranquillite,2,1,3\n"
        b"2025-07-01T15:00:00+02:00,N2242600E3955400,tranquillite,2,1,3\n"
        b"hier,CRS3035RES200mN2242600E3955400,vol,2,1,3\n"
    )
    result = validate(contract, read_csv(contract, data, "activite.csv"))
    assert result.valid.iloc[0]["heure"] == pd.Timestamp("2025-07-01T12:00:00Z")
    assert list(result.rejected["reason"]) == [
        "line 3: carreau 'N2242600E3955400' does not have the expected form CRS3035RES200mN[0-9]{7}E[0-9]{7}",
        "line 4: heure 'hier' is not an ISO 8601 date-time (e.g. 2025-07-01T14:00:00+02:00); "
        "categorie 'vol' is not one of atteinte_biens, atteinte_personnes, tranquillite, circulation, "
        "stationnement, environnement",
    ]


def test_counts_add_up_including_rows_with_a_wrong_number_of_fields() -> None:
    data = prefecture_file(GOOD, "C-2;01/07/2025 14:00", GOOD.replace("C-1", "C-3").replace("CORTEGE;", "X;"))
    table = read_csv(MANIF, data, "f.csv")
    result = validate(MANIF, table)
    assert (result.rows_valid, result.rows_rejected, result.rows) == (1, 2, 3)
    assert "line 3 has 2 fields instead of 17 (separator ';')" in list(result.rejected["reason"])


def test_duplicate_keys_in_one_delivery_keep_the_last_row_and_say_so() -> None:
    later = GOOD.replace("DECLAREE", "TERMINEE")
    assert reasons(prefecture_file(GOOD, later)) == ["line 2: ID_CORTEGE C-1 appears again on line 3 of this delivery; line 3 is kept"]


def test_missing_columns_reject_the_whole_file() -> None:
    header = HEADER.replace(";EFFECTIFS_FDO", "")
    with pytest.raises(StructureError, match="the columns EFFECTIFS_FDO required by the contract prefecture/manifestations"):
        read_csv(MANIF, prefecture_file(GOOD, header=header), "f.csv")


def test_wrong_separator_is_diagnosed() -> None:
    with pytest.raises(StructureError, match="separated by ','"):
        read_csv(MANIF, prefecture_file(header=HEADER.replace(";", ",")), "f.csv")


def test_a_utf8_file_sent_instead_of_windows_1252_is_rejected() -> None:
    with pytest.raises(StructureError, match="UTF-8 file read as Windows-1252"):
        read_csv(MANIF, prefecture_file(GOOD.replace("Retraites", "Fête de l'été"), encoding="utf-8"), "f.csv")


def test_a_windows_1252_file_sent_to_a_utf8_contract_is_rejected() -> None:
    contract = get_contract("smtpc", "evenements_tunnel")
    data = "id,debut,fin,sens,type,voies_fermees\nT-1,é,x,y,z,1\n".encode("cp1252")
    with pytest.raises(StructureError, match=r"line 2 cannot be read as UTF-8 .* looks like Windows-1252"):
        read_csv(contract, data, "f.csv")


def test_not_json_is_rejected_whole() -> None:
    with pytest.raises(StructureError, match="not valid JSON"):
        read_json(get_contract("ville", "evenements"), [("page-00001.json", b'{"data": [')], "json_pages", "data")


def test_extra_columns_are_kept_for_the_gate_but_never_typed_into_raw() -> None:
    data = prefecture_file(GOOD + ";Jean Dupont", header=HEADER + ";NOM_ORGANISATEUR")
    table = read_csv(MANIF, data, "f.csv")
    assert table.extra_columns == ["NOM_ORGANISATEUR"]
    assert "NOM_ORGANISATEUR" in table.frame.columns
    assert list(validate(MANIF, table).valid.columns) == list(MANIF.field_names)


def test_fixture_files_have_no_rejections() -> None:
    data = _csv("prefecture__manifestations", manifestation_rows(DAYS[0]))
    assert validate(MANIF, read_csv(MANIF, data, "f.csv")).rows_rejected == 0


def test_daylight_saving_rule() -> None:
    """Ambiguous: first occurrence (summer time); non-existent: offset before the change (winter time)."""
    texts = pd.Series(["27/10/2024 02:30", "31/03/2024 02:30", "31/03/2024 03:30", "27/10/2024 03:30"], dtype=object)
    utc = parse_local(texts, "%d/%m/%Y %H:%M", "Europe/Paris")
    assert list(utc) == [
        pd.Timestamp("2024-10-27T00:30Z"),  # 02:30 CEST (the first 02:30)
        pd.Timestamp("2024-03-31T01:30Z"),  # 02:30 does not exist: read as 02:30 CET
        pd.Timestamp("2024-03-31T01:30Z"),  # 03:30 CEST, the same instant
        pd.Timestamp("2024-10-27T02:30Z"),  # 03:30 CET
    ]

"""A tiny, hand-made partner store (``partners/``) in the formats the simulated server serves.

Small on purpose: the ingestion tests must know every row to check counts, messages and idempotence.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from observatoire.contracts import get_contract

DAYS = [date(2025, 3, 29), date(2025, 3, 30), date(2025, 3, 31)]
"""Three days around the spring daylight-saving change (30 March 2025)."""


def _csv(contract_table: str, rows: list[list[str]]) -> bytes:
    partner, dataset = contract_table.split("__", 1)
    contract = get_contract(partner, dataset)
    wire = contract.wire
    lines = [wire.delimiter.join(contract.field_names)] + [wire.delimiter.join(r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode(wire.encoding)


def city_event(i: int, maj: str, **changes: object) -> dict[str, object]:
    record: dict[str, object] = {
        "id": f"EV-{i:04d}",
        "intitule": f"Concert {i} au Vieux-Port",
        "nature": "concert",
        "lieu": "Vieux-Port",
        "arrondissement": 1 + i % 16,
        "latitude": 43.295,
        "longitude": 5.374,
        "debut": "2025-03-30T20:00:00+02:00",
        "fin": "2025-03-30T23:00:00+02:00",
        "jauge": 1000 + i,
        "emprise_m2": 2500.5,
        "organisateur_type": "association",
        "statut": "autorise",
        "maj": maj,
    }
    record.update(changes)
    return record


def city_order(i: int, maj: str) -> dict[str, object]:
    return {
        "id": f"AR-{i:04d}",
        "numero_arrete": f"2025/{i:05d}",
        "motif": "evenement",
        "evenement_id": f"EV-{i:04d}" if i % 2 else None,
        "voie": "Quai du Port",
        "arrondissement": 2,
        "latitude": 43.296,
        "longitude": 5.37,
        "debut": "2025-03-30T18:00:00Z",
        "fin": "2025-03-31T01:00:00Z",
        "mesure": "fermeture_voie",
        "maj": maj,
    }


def police_rows(day: date) -> list[list[str]]:
    rows = []
    for hour in range(0, 24, 6):
        start = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
        for category in ("tranquillite", "atteinte_biens"):
            rows.append([start.isoformat(), "CRS3035RES200mN2242600E3955400", category, "2", "1", "3"])
    return rows


def manifestation_rows(day: date) -> list[list[str]]:
    d = day.strftime("%d/%m/%Y")
    return [
        [f"C-{day:%Y%m%d}-1", f"{d} 14:00", f"{d} 18:00", "REVENDICATIVE", "Retraites", "CORTEGE",
         "Vieux-Port", "1", "43,295", "5,374", "Castellane", "43,286", "5,383", "1200", "", "80", "DECLAREE"],
        [f"C-{day:%Y%m%d}-2", f"{d} 02:30", f"{d} 04:00", "FESTIVE", "Fête de quartier à l'Estaque", "RASSEMBLEMENT_STATIQUE",
         "Place de l'Estaque", "16", "43,36", "5,31", "", "", "", "300", "250", "12", "TERMINEE"],
    ]


def visit_rows(day: date) -> list[list[str]]:
    d = day.strftime("%d/%m/%Y")
    return [[f"V-{day:%Y%m%d}", f"{d} 10:00", f"{d} 12:30", "MINISTRE", "Préfecture", "6", "43,29", "5,38", "300", "150"]]


def operation_rows(day: date) -> list[list[str]]:
    d = day.strftime("%d/%m/%Y")
    return [[f"O-{day:%Y%m%d}", f"{d} 13:00", f"{d} 19:00", "SECURISATION_EVENEMENT", "1", "43,295", "5,374", "60",
             f"C-{day:%Y%m%d}-1"]]


def count_rows(day: date) -> list[list[str]]:
    rows = []
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    for step in range(0, 240, 24):
        at = (start + timedelta(minutes=6 * step)).isoformat().replace("+00:00", "Z")
        rows.append([at, "PRADO_VERS_CARENAGE", "95", "61.5", "12.5"])
        rows.append([at, "CARENAGE_VERS_PRADO", "88", "", "11.0"])
    return rows


def tunnel_rows(day: date) -> list[list[str]]:
    return [[f"T-{day:%Y%m%d}", f"{day}T07:10:00Z", f"{day}T07:40:00Z", "PRADO_VERS_CARENAGE", "PANNE", "1"]]


def ods_records() -> dict[str, list[dict[str, object]]]:
    closures = [
        {"tunnel": "Tunnel Saint-Charles", "sens": "Nord-Sud", "date_de_debut": f"{day}T21:00:00+00:00",
         "date_de_fin": f"{day + timedelta(days=1)}T04:00:00+00:00", "type": "Programmée", "nom": "Entretien",
         "titrecalendrier": "Fermeture nocturne", "nature": "maintenance"}
        for day in DAYS
    ]
    rtm = [
        {"id": f"RTM-{i}", "ligne": "M1", "mode": "metro", "debut": f"{day}T08:00:00+01:00",
         "fin": f"{day}T09:00:00+01:00", "type": "interruption", "cause": "manifestation", "arret": "Vieux-Port",
         "latitude": 43.295, "longitude": 5.374}
        for i, day in enumerate(DAYS)
    ]
    poi = [
        {"objectid": f"POI-{i}", "nom_poi": f"Fête {i}", "niv1_categorie": "Fête et manifestation",
         "niv2_categorie": "Fête", "code_postal": "13002", "commune": "Marseille", "codeinsee": "13202",
         "date_debut": f"{day}T10:00:00+02:00", "date_fin": f"{day}T18:00:00+02:00", "latitude": 43.3,
         "longitude": 5.37, "date_mise_a_jour": f"{day}T06:00:00Z",
         "point_de_contact": "Jean Dupont", "telephone": "06 12 34 56 78", "email": "jean.dupont@example.org"}
        for i, day in enumerate(DAYS)
    ]
    poi.append({**poi[0], "objectid": "POI-MUSEE", "niv1_categorie": "Lieu", "niv2_categorie": "Musée"})
    return {
        "fr-fermeture-des-tunnels-exploites-par-la-metropole": closures,
        "perturbations-reseau-rtm": rtm,
        "point-dinteret-datatourisme-multi-niveaux": poi,
    }


def build_partner_store(home: Path, city_events: int = 30) -> Path:
    root = home / "partners"
    ville = root / "ville"
    ville.mkdir(parents=True, exist_ok=True)
    events = [city_event(i, f"2025-03-{29 + i % 3}T{i % 24:02d}:00:00Z") for i in range(city_events)]
    (ville / "evenements.jsonl").write_text("\n".join(json.dumps(e) for e in events) + "\n", encoding="utf-8")
    orders = [city_order(i, f"2025-03-30T{i:02d}:30:00+02:00") for i in range(5)]
    (ville / "arretes_circulation.jsonl").write_text("\n".join(json.dumps(o) for o in orders) + "\n", encoding="utf-8")
    daily = {
        "ville__activite_police_municipale": police_rows,
        "prefecture__manifestations": manifestation_rows,
        "prefecture__visites_officielles": visit_rows,
        "prefecture__operations_programmees": operation_rows,
        "smtpc__comptages": count_rows,
        "smtpc__evenements_tunnel": tunnel_rows,
    }
    for table, rows in daily.items():
        partner, dataset = table.split("__", 1)
        folder = root / partner / dataset
        folder.mkdir(parents=True, exist_ok=True)
        for day in DAYS:
            (folder / f"{day.isoformat()}.csv").write_bytes(_csv(table, rows(day)))
    metropole = root / "metropole"
    metropole.mkdir(parents=True, exist_ok=True)
    for dataset_id, records in ods_records().items():
        (metropole / f"{dataset_id}.jsonl").write_text(
            "\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8"
        )
    return root

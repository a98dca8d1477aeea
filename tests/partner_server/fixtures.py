"""A small partner store matching the contracts exactly, as ``observatoire generate`` writes it."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from observatoire.contracts import get_contract

PARIS_WINTER = timezone(timedelta(hours=1))
DAYS = [date(2024, 1, 1) + timedelta(days=i) for i in range(3)]
NATURES = ("concert", "festival", "marche", "match_football", "brocante")
CITY_EVENTS = 37
SUPERSEDED_ID = "EVT-0003"


def _jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")


def _csv(path: Path, dataset: tuple[str, str], rows: list[list[Any]]) -> None:
    contract = get_contract(*dataset)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=contract.wire.delimiter, lineterminator="\r\n")
    writer.writerow(contract.field_names)
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue().encode(contract.wire.encoding))


def city_events() -> list[dict[str, Any]]:
    """37 events; maj every 2 hours from 2024-01-01 with ties (two records per maj) and one update."""
    records = []
    base = datetime(2024, 1, 1, 8, 0, tzinfo=PARIS_WINTER)
    for i in range(CITY_EVENTS):
        start = base + timedelta(days=i % 9, hours=10)
        records.append(
            {
                "id": f"EVT-{i:04d}",
                "intitule": f"Événement {i} — Vieux-Port",
                "nature": NATURES[i % len(NATURES)],
                "lieu": "Vieux-Port",
                "arrondissement": 1 + i % 16,
                "latitude": 43.2951,
                "longitude": 5.3744,
                "debut": start.isoformat(),
                "fin": (start + timedelta(hours=3)).isoformat(),
                "jauge": None if i % 7 == 0 else 500 + 10 * i,
                "emprise_m2": None if i % 5 == 0 else 1200.5,
                "organisateur_type": "association",
                "statut": "autorise",
                "maj": (base + timedelta(hours=2 * (i // 2))).isoformat(),
            }
        )
    # A later version of EVT-0003: the API serves only the latest one.
    update = dict(records[3], statut="annule", maj=(base + timedelta(days=5)).isoformat())
    return records + [update]


def city_orders() -> list[dict[str, Any]]:
    return [
        {
            "id": f"ARR-{i:03d}",
            "numero_arrete": f"2024-{i:05d}",
            "motif": "evenement" if i % 2 else "chantier",
            "evenement_id": f"EVT-{i:04d}" if i % 2 else None,
            "voie": "La Canebière",
            "arrondissement": 1,
            "latitude": 43.2973,
            "longitude": 5.3792,
            "debut": "2024-01-02T08:00:00+01:00",
            "fin": "2024-01-02T20:00:00+01:00",
            "mesure": "fermeture_voie",
            "maj": f"2024-01-01T0{i}:00:00Z",
        }
        for i in range(5)
    ]


def tunnel_closures() -> list[dict[str, Any]]:
    return [
        {
            "tunnel": ("Prado Sud", "Louis Rège", "Vieux-Port")[i % 3],
            "sens": "Nord",
            "date_de_debut": f"2024-01-{1 + i:02d}T21:00:00+00:00",
            "date_de_fin": f"2024-01-{2 + i:02d}T05:00:00+00:00",
            "type": "Programmée" if i % 4 else "Inopinée",
            "nom": f"Fermeture {i}",
            "titrecalendrier": f"Fermeture nocturne {i}",
            "nature": "travaux",
        }
        for i in range(12)
    ]


def rtm_disruptions() -> list[dict[str, Any]]:
    return [
        {
            "id": f"RTM-{i:03d}",
            "ligne": f"M{1 + i % 2}",
            "mode": "metro",
            "debut": f"2024-01-{1 + i % 10:02d}T07:00:00+00:00",
            "fin": f"2024-01-{1 + i % 10:02d}T09:00:00+00:00",
            "type": "interruption",
            "cause": "manifestation" if i % 3 == 0 else "travaux",
            "arret": "Vieux-Port",
            "latitude": 43.2951,
            "longitude": 5.3744,
        }
        for i in range(8)
    ]


def datatourisme() -> list[dict[str, Any]]:
    """150 points of interest (one in three an event), each with the portal's personal columns."""
    records = []
    for i in range(150):
        event = i % 3 == 0
        records.append(
            {
                "objectid": f"POI-{i:04d}",
                "nom_poi": f"Lieu {i}",
                "niv1_categorie": "Fête et manifestation" if event else "Lieu",
                "niv2_categorie": "Concert" if event else None,
                "code_postal": f"130{1 + i % 16:02d}",
                "commune": "Marseille",
                "codeinsee": "13055",
                "date_debut": f"2024-{1 + i % 12:02d}-15" if event else None,
                "date_fin": f"2024-{1 + i % 12:02d}-16" if event else None,
                "latitude": 43.3 + i / 10000,
                "longitude": 5.38,
                "date_mise_a_jour": f"2023-12-{1 + i % 28:02d}T10:00:00+00:00",
                "point_de_contact": f"Jeanne Martin {i}",
                "telephone": f"04 91 00 {i:02d} {i % 100:02d}",
                "email": f"contact{i}@example.org",
            }
        )
    return records


def write_store(home: Path) -> Path:
    """Write the store under ``home/partners``; returns the partners directory."""
    root = home / "partners"
    _jsonl(root / "ville" / "evenements.jsonl", city_events())
    _jsonl(root / "ville" / "arretes_circulation.jsonl", city_orders())
    _jsonl(root / "metropole" / "fermetures_tunnels.jsonl", tunnel_closures())
    # Files may also be named after the portal's dataset id.
    _jsonl(root / "metropole" / "perturbations-reseau-rtm.jsonl", rtm_disruptions())
    _jsonl(root / "metropole" / "datatourisme_poi.jsonl", datatourisme())
    for day in DAYS:
        d = day.strftime("%d/%m/%Y")
        _csv(
            root / "ville" / "activite_police_municipale" / f"{day}.csv",
            ("ville", "activite_police_municipale"),
            [
                [f"{day}T{h:02d}:00:00+01:00", "CRS3035RES200mN2247400E3895400", "tranquillite", h % 3, 1, 2]
                for h in range(24)
            ],
        )
        _csv(
            root / "prefecture" / "manifestations" / f"{day}.csv",
            ("prefecture", "manifestations"),
            [
                [
                    f"CRT-{day:%m%d}",
                    f"{d} 10:30",
                    f"{d} 13:00",
                    "REVENDICATIVE",
                    "Retraites — défilé",
                    "CORTEGE",
                    "Vieux-Port",
                    1,
                    "43,2951",
                    "5,3744",
                    "Porte d'Aix",
                    "43,3008",
                    "5,3724",
                    12000,
                    "",
                    350,
                    "DECLAREE",
                ]
            ],
        )
        _csv(
            root / "smtpc" / "comptages" / f"{day}.csv",
            ("smtpc", "comptages"),
            [
                [f"{day}T{m // 10:02d}:{m % 10 * 6:02d}:00Z", sens, 150, 52.5, 18.0]
                for m in range(240)
                for sens in ("PRADO_VERS_CARENAGE", "CARENAGE_VERS_PRADO")
            ],
        )
    _csv(
        root / "prefecture" / "visites_officielles" / f"{DAYS[1]}.csv",
        ("prefecture", "visites_officielles"),
        [
            [
                "VIS-1",
                "02/01/2024 09:00",
                "02/01/2024 12:00",
                "MINISTRE",
                "Préfecture",
                6,
                "43,29",
                "5,38",
                300,
                120,
            ]
        ],
    )
    _csv(
        root / "smtpc" / "evenements_tunnel" / f"{DAYS[0]}.csv",
        ("smtpc", "evenements_tunnel"),
        [["INC-1", "2024-01-01T17:02:00Z", "2024-01-01T17:40:00Z", "PRADO_VERS_CARENAGE", "PANNE", 1]],
    )
    return root

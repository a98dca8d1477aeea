"""The generated store: layout, manifest, every dataset against its contract, determinism."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from observatoire.cli import main
from observatoire.contracts import CONTRACTS, get_contract
from observatoire.simulation.generator import STORE_PATHS, Summary, generate

from .conftest import SPRING
from .wire import PERSONAL_DATATOURISME_COLUMNS, ContractBreach, read_csv_file, read_daily_csv, read_jsonl

PARIS = ZoneInfo("Europe/Paris")


def _digest(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _load_all(root: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = {}
    for table, contract in CONTRACTS.items():
        path = root / STORE_PATHS[table]
        if contract.wire.format == "json":
            extra = PERSONAL_DATATOURISME_COLUMNS if contract.dataset == "datatourisme_poi" else ()
            loaded[table] = read_jsonl(path, contract, extra)
        else:
            loaded[table] = read_daily_csv(path, contract)
    return loaded


@pytest.fixture(scope="module")
def spring(spring_store: tuple[Path, Summary]) -> tuple[Path, dict[str, Any]]:
    root, _ = spring_store
    return root, _load_all(root)


def test_every_dataset_matches_its_contract(spring: tuple[Path, dict[str, Any]]) -> None:
    root, loaded = spring
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["datasets"]) == set(CONTRACTS)
    for table, data in loaded.items():
        rows = len(data) if isinstance(data, list) else sum(len(v) for v in data.values())
        assert manifest["datasets"][table]["rows"] == rows, table
        if table != "prefecture__visites_officielles":  # about one visit a fortnight: may be none in a week
            assert rows > 0, f"{table} is empty"
    # Daily datasets: one file per day of the period, even when a day has no record.
    days = (SPRING["end"] - SPRING["start"]).days + 1  # type: ignore[operator]
    for table, data in loaded.items():
        if isinstance(data, dict):
            assert len(data) == days, table
            assert min(data) == SPRING["start"].isoformat()  # type: ignore[union-attr]


def test_keys_are_unique(spring: tuple[Path, dict[str, Any]]) -> None:
    _, loaded = spring
    for table, data in loaded.items():
        contract = CONTRACTS[table]
        rows = data if isinstance(data, list) else [r for day in data.values() for r in day]
        keys = [tuple(r[k] for k in contract.key) for r in rows]
        if contract.partner == "prefecture":
            # A Cortège export repeats a record on every day it changes; within one file keys are unique.
            for day_rows in data.values():
                day_keys = [tuple(r[k] for k in contract.key) for r in day_rows]
                assert len(day_keys) == len(set(day_keys)), table
        else:
            assert len(keys) == len(set(keys)), f"duplicate keys in {table}"


def test_wire_details(spring: tuple[Path, dict[str, Any]]) -> None:
    root, loaded = spring
    # Préfecture: Windows-1252 with decimal commas and local times.
    raw = b"".join(p.read_bytes() for p in (root / "prefecture" / "manifestations").glob("*.csv"))
    assert "é".encode("cp1252") in raw and "é".encode() not in raw
    assert b";" in raw and re.search(rb";43,\d+;5,\d+;", raw)
    assert re.search(rb"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", raw)
    assert b"\r\n" in raw
    # SMTPC: UTC with Z; one file per UTC day, 240 six-minute periods × 2 directions.
    for day, rows in loaded["smtpc__comptages"].items():
        assert len(rows) == 480, day
        stamps = sorted({r["horodatage"] for r in rows})
        assert stamps[0].isoformat() == f"{day}T00:00:00+00:00"
        assert all(b - a == timedelta(minutes=6) for a, b in zip(stamps, stamps[1:], strict=False))
    text = (root / "smtpc" / "comptages" / f"{SPRING['start']}.csv").read_text(encoding="utf-8")
    assert re.search(r"\n\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00Z,PRADO_VERS_CARENAGE,", text)
    # City JSON: ISO 8601 with the Europe/Paris offset of that instant.
    for line in (root / "ville" / "evenements.jsonl").read_text(encoding="utf-8").splitlines()[:50]:
        record = json.loads(line)
        moment = datetime.fromisoformat(record["debut"])
        assert moment.utcoffset() == moment.astimezone(PARIS).utcoffset()


def test_police_activity_handles_daylight_saving(
    spring: tuple[Path, dict[str, Any]], autumn_store: tuple[Path, Summary]
) -> None:
    _, loaded = spring
    spring_day = loaded["ville__activite_police_municipale"]["2024-03-31"]
    stamps = {r["heure"] for r in spring_day}
    assert len(stamps) <= 23 and len(stamps) >= 20
    assert all(s.astimezone(PARIS).date() == date(2024, 3, 31) for s in stamps)
    assert not any(s.astimezone(PARIS).hour == 2 for s in stamps)
    assert all(s.utcoffset() == s.astimezone(PARIS).utcoffset() for s in stamps)
    root, _ = autumn_store
    contract = get_contract("ville", "activite_police_municipale")
    autumn_day = read_csv_file(root / "ville" / "activite_police_municipale" / "2024-10-27.csv", contract)
    instants = {r["heure"] for r in autumn_day}
    assert 22 <= len(instants) <= 25
    two_am = {s for s in instants if s.astimezone(PARIS).hour == 2}
    assert len(two_am) == 2, "the repeated 02:00 hour appears once with +02:00 and once with +01:00"
    assert {s.utcoffset() for s in two_am} == {timedelta(hours=2), timedelta(hours=1)}


def test_police_rows_are_aggregated_and_non_zero(spring: tuple[Path, dict[str, Any]]) -> None:
    _, loaded = spring
    rows = [r for day in loaded["ville__activite_police_municipale"].values() for r in day]
    assert len(rows) > 500
    assert all(r["nb_faits"] + r["nb_interventions"] + r["agents_engages"] > 0 for r in rows)
    assert all(r["agents_engages"] >= 2 * min(1, r["nb_interventions"]) for r in rows)
    cells = Counter(r["carreau"] for r in rows)
    assert len(cells) > 200
    # Night activity concentrates in nightlife areas: the busiest cell is in the centre.
    busiest = cells.most_common(1)[0][0]
    northing = int(busiest[15:22])
    easting = int(busiest[23:30])
    assert 2250000 < northing < 2260000 and 3940000 < easting < 3950000
    night = sum(
        1
        for r in rows
        if r["heure"].astimezone(PARIS).hour in (23, 0, 1) and r["categorie"] == "tranquillite"
    )
    morning = sum(
        1 for r in rows if r["heure"].astimezone(PARIS).hour in (5, 6, 7) and r["categorie"] == "tranquillite"
    )
    assert night > 2 * morning


def test_tunnel_daily_totals_are_realistic(spring: tuple[Path, dict[str, Any]]) -> None:
    _, loaded = spring
    totals = {day: sum(r["vehicules"] for r in rows) for day, rows in loaded["smtpc__comptages"].items()}
    weekdays = [t for d, t in totals.items() if date.fromisoformat(d).weekday() < 5 and d != "2024-04-01"]
    sundays = [t for d, t in totals.items() if date.fromisoformat(d).weekday() == 6]
    assert all(40000 <= t <= 55000 for t in weekdays), totals
    assert all(25000 <= t <= 42000 for t in sundays), totals
    assert 38000 <= sum(totals.values()) / len(totals) <= 50000
    rows = [r for day in loaded["smtpc__comptages"].values() for r in day]
    busy = [r for r in rows if r["vehicules"] > 150 and r["vitesse_moy_kmh"] is not None]
    quiet = [r for r in rows if 0 < r["vehicules"] < 30 and r["vitesse_moy_kmh"] is not None]
    assert sum(r["taux_occupation_pct"] for r in busy) / len(busy) > 3 * sum(
        r["taux_occupation_pct"] for r in quiet
    ) / len(quiet)
    assert sum(r["vitesse_moy_kmh"] for r in busy) / len(busy) < sum(
        r["vitesse_moy_kmh"] for r in quiet
    ) / len(quiet)
    # Rush hours: 8:00 local carries far more than 3:00.
    by_hour = Counter()
    for r in rows:
        by_hour[r["horodatage"].astimezone(PARIS).hour] += r["vehicules"]
    assert by_hour[8] > 5 * by_hour[3]


def test_no_personal_data_outside_the_datatourisme_contact_columns(
    spring: tuple[Path, dict[str, Any]],
) -> None:
    root, loaded = spring
    civil_title = re.compile(r"\b(M\.|Mme|Mlle|Monsieur|Madame)\s+[A-ZÉ][a-zé]+")
    email = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
    phone = re.compile(r"\b0[1-9](?:[ .]?\d{2}){4}\b")
    for table, data in loaded.items():
        rows = data if isinstance(data, list) else [r for day in data.values() for r in day]
        for row in rows:
            for name, value in row.items():
                if name in PERSONAL_DATATOURISME_COLUMNS or not isinstance(value, str):
                    continue
                assert not civil_title.search(value), (table, name, value)
                assert not email.search(value), (table, name, value)
                assert not phone.search(value), (table, name, value)
    # The real DataTourisme dataset carries contacts: a slice of records has them (fake values).
    poi = loaded["metropole__datatourisme_poi"]
    with_contact = [r for r in poi if r["email"]]
    assert 0 < len(with_contact) < len(poi) / 2
    assert all(email.fullmatch(r["email"]) and phone.search(r["telephone"]) for r in with_contact)
    # Street names honouring people are there on purpose (they are not personal data).
    voies = {r["voie"] for r in loaded["ville__arretes_circulation"]}
    assert voies & {"Rue Paradis", "Boulevard Baille", "Avenue du Prado", "Cours Lieutaud", "Boulevard Michelet",
                    "Rue Saint-Ferréol", "Quai de Rive-Neuve", "Boulevard Jean-Moulin", "Rue de la République"}  # fmt: skip
    # The truth never leaks into delivered files.
    for path in root.rglob("*"):
        if path.is_file() and "truth" not in path.parts and path.name != "manifest.json":
            assert b"true_event_id" not in path.read_bytes()
            assert not re.search(rb"T20\d\d-\d{6}", path.read_bytes())


def test_datatourisme_mixes_events_and_places(spring: tuple[Path, dict[str, Any]]) -> None:
    _, loaded = spring
    poi = loaded["metropole__datatourisme_poi"]
    events = [r for r in poi if r["niv1_categorie"] == "Fête et manifestation"]
    places = [r for r in poi if r["niv1_categorie"] != "Fête et manifestation"]
    assert events and places
    assert all(r["date_debut"] is not None for r in events)
    assert all(r["date_debut"] is None and r["date_fin"] is None for r in places)
    assert all(r["code_postal"].startswith("130") and r["commune"] == "Marseille" for r in poi)


def test_generation_is_deterministic(spring_store: tuple[Path, Summary], tmp_path: Path) -> None:
    root, _ = spring_store
    again = tmp_path / "again"
    generate(out=again, **SPRING)  # type: ignore[arg-type]
    assert _digest(again) == _digest(root)
    other = tmp_path / "other"
    generate(out=other, **{**SPRING, "seed": SPRING["seed"] + 1})  # type: ignore[arg-type, dict-item]
    assert _digest(other) != _digest(root)


def test_cli_generate_and_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli"
    code = main(
        [
            "generate",
            "--start",
            "2024-05-01",
            "--end",
            "2024-05-02",
            "--seed",
            "3",
            "--scale",
            "0.2",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    assert (out / "manifest.json").exists()
    assert "rows" in capsys.readouterr().err
    assert main(["generate", "--start", "2024-05-02", "--end", "2024-05-01", "--out", str(out)]) == 2
    unrelated = tmp_path / "unrelated"
    unrelated.mkdir()
    (unrelated / "precious.txt").write_text("keep me")
    assert (
        main(["generate", "--start", "2024-05-01", "--end", "2024-05-01", "--out", str(unrelated), "--quiet"])
        == 2
    )
    assert (unrelated / "precious.txt").exists()


def test_the_wire_reader_catches_breaches(tmp_path: Path) -> None:
    contract = get_contract("prefecture", "visites_officielles")
    header = ";".join(contract.field_names)
    good = "VIS-1;02/05/2024 10:00;02/05/2024 12:00;MINISTRE;Hôtel de Ville;2;43,2962;5,3697;150;80"
    path = tmp_path / "2024-05-02.csv"
    path.write_bytes(f"{header}\r\n{good}\r\n".encode("cp1252"))
    assert read_csv_file(path, contract)[0]["LAT"] == pytest.approx(43.2962)
    for bad in (good.replace("43,2962", "43.2962"), good.replace("MINISTRE", "PRESIDENT"),
                good.replace("02/05/2024 10:00", "2024-05-02T10:00")):  # fmt: skip
        path.write_bytes(f"{header}\r\n{bad}\r\n".encode("cp1252"))
        with pytest.raises(ContractBreach):
            read_csv_file(path, contract)
    # A UTF-8 file read as Windows-1252 turns "Hôtel" into mojibake: the encoding matters.
    path.write_bytes(f"{header}\r\n{good}\r\n".encode())
    assert read_csv_file(path, contract)[0]["LIEU"] != "Hôtel de Ville"


def test_a_cortege_changed_on_the_day_it_is_declared_is_exported_once(tmp_path: Path) -> None:
    """Regression: a cortège declared and cancelled (or forbidden) the same day used to appear twice in
    that day's export, so the loader had to quarantine the earlier line."""
    out = tmp_path / "partners"
    generate(out=out, start=date(2023, 1, 1), end=date(2023, 12, 31), seed=7, scale=1.0)
    contract = CONTRACTS["prefecture__manifestations"]
    repeated = []
    for path in sorted((out / "prefecture" / "manifestations").glob("*.csv")):
        with path.open(encoding=contract.wire.encoding, newline="") as handle:
            ids = [row["ID_CORTEGE"] for row in csv.DictReader(handle, delimiter=contract.wire.delimiter)]
        repeated += [f"{path.name}: {i}" for i in set(ids) if ids.count(i) > 1]
    assert repeated == []

from __future__ import annotations

import os
import re
import threading
import time
from datetime import date
from pathlib import Path

import pytest
import requests

from observatoire.partner_server import ClockSettings, running_partners
from observatoire.partner_server import releaser as releaser_module
from observatoire.partner_server.clock import SimClock
from observatoire.partner_server.releaser import DropReleaser, copy_atomically
from observatoire.partner_server.store import PartnerStore

from .fixtures import DAYS, write_store

DROP_FILE = re.compile(r"(?P<dataset>[a-z_]+)_(?P<day>\d{4}-\d{2}-\d{2})\.csv")


def _dropped(home: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (home / "drop").rglob("*.csv"):
        match = DROP_FILE.fullmatch(path.name)
        if match:
            found.setdefault(f"{path.parent.parent.name}/{path.parent.name}", set()).add(match["day"])
    return found


def test_release_all_copies_every_file_unchanged(tmp_path: Path) -> None:
    write_store(tmp_path)
    with running_partners(tmp_path) as server:
        assert server.releaser is not None and server.releaser.wait_released()
    days = {d.isoformat() for d in DAYS}
    assert _dropped(tmp_path) == {
        "ville/activite_police_municipale": days,
        "prefecture/manifestations": days,
        "prefecture/visites_officielles": {"2024-01-02"},
    }
    source = tmp_path / "partners" / "prefecture" / "manifestations" / "2024-01-02.csv"
    target = tmp_path / "drop" / "prefecture" / "manifestations" / "manifestations_2024-01-02.csv"
    assert target.read_bytes() == source.read_bytes()
    assert "défilé".encode("cp1252") in target.read_bytes()  # Windows-1252 kept as delivered
    assert not [p for p in (tmp_path / "drop").rglob("*") if p.name.startswith(".")]


def test_release_until(tmp_path: Path) -> None:
    write_store(tmp_path)
    with running_partners(tmp_path, clock=ClockSettings(mode="until", until=DAYS[0])) as server:
        assert server.releaser is not None and server.releaser.wait_released()
        assert _dropped(tmp_path)["prefecture/manifestations"] == {"2024-01-01"}
        assert "prefecture/visites_officielles" not in _dropped(tmp_path)
        # The clock can be moved at runtime.
        response = requests.post(
            f"{server.base_url}/_control/clock", json={"mode": "until", "until": "2024-01-02"}, timeout=5
        )
        assert response.status_code == 200 and response.json()["until"] == "2024-01-02"
        assert server.releaser.wait_released()
        assert _dropped(tmp_path)["prefecture/manifestations"] == {"2024-01-01", "2024-01-02"}
        bad = requests.post(f"{server.base_url}/_control/clock", json={"mode": "soon"}, timeout=5)
        assert bad.status_code == 400


def test_running_clock_releases_day_by_day(tmp_path: Path) -> None:
    write_store(tmp_path)
    clock = ClockSettings(mode="running", start=DAYS[1], days_per_second=4.0)  # a day every 0.25 s
    with running_partners(tmp_path, clock=clock, releaser_poll_s=0.02) as server:
        assert server.releaser is not None
        seen: list[set[str]] = []
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            seen.append(_dropped(tmp_path).get("prefecture/manifestations", set()))
            if len(seen[-1]) == 3:
                break
            time.sleep(0.01)
        assert seen[-1] == {d.isoformat() for d in DAYS}
    distinct = [s for i, s in enumerate(seen) if i == 0 or s != seen[i - 1]]
    # The day before the start is released at once, alone; then one day at a time.
    assert [sorted(s) for s in distinct if s] == [
        ["2024-01-01"],
        ["2024-01-01", "2024-01-02"],
        ["2024-01-01", "2024-01-02", "2024-01-03"],
    ]


def test_copy_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "big.csv"
    source.write_bytes(b"a,b,c\n" * 400_000)
    target = tmp_path / "drop" / "x" / "x_2024-01-01.csv"
    observed: list[tuple[bool, int]] = []
    real_replace = os.replace

    def spying_replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        observed.append((Path(dst).exists(), Path(src).stat().st_size))
        assert Path(src).name.startswith(".") and not DROP_FILE.fullmatch(Path(src).name)
        real_replace(src, dst)

    monkeypatch.setattr(releaser_module.os, "replace", spying_replace)
    copy_atomically(source, target)
    assert observed == [(False, source.stat().st_size)]
    assert target.read_bytes() == source.read_bytes()
    assert [p.name for p in target.parent.iterdir()] == [target.name]


def test_watcher_never_sees_a_partial_file(tmp_path: Path) -> None:
    write_store(tmp_path)
    big = tmp_path / "partners" / "ville" / "activite_police_municipale" / "2024-01-04.csv"
    big.write_bytes(b"heure,carreau,categorie,nb_faits,nb_interventions,agents_engages\n" + b"x" * 8_000_000)
    store = PartnerStore.load(tmp_path / "partners")
    expected = {
        (f.contract.dataset, day.isoformat()): path.stat().st_size
        for f in store.drop.values()
        for day, path in f.days.items()
    }
    partial: list[str] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            for path in (tmp_path / "drop").rglob("*_*.csv"):
                match = DROP_FILE.fullmatch(path.name)
                if match:
                    try:
                        size = path.stat().st_size
                    except FileNotFoundError:
                        continue
                    if size != expected[(match["dataset"], match["day"])]:
                        partial.append(path.name)

    watcher = threading.Thread(target=watch)
    watcher.start()
    releaser = DropReleaser(list(store.drop.values()), tmp_path / "drop", SimClock(ClockSettings()), 0.01)
    releaser.start()
    try:
        assert releaser.wait_released(count=8)
    finally:
        releaser.stop()
        stop.set()
        watcher.join()
    assert partial == []


def test_restart_does_not_rewrite_released_files(tmp_path: Path) -> None:
    write_store(tmp_path)
    with running_partners(tmp_path) as server:
        assert server.releaser is not None and server.releaser.wait_released()
    target = tmp_path / "drop" / "prefecture" / "manifestations" / "manifestations_2024-01-01.csv"
    os.utime(target, (1_000_000, 1_000_000))
    with running_partners(tmp_path) as server:
        assert server.releaser is not None and server.releaser.wait_released()
    assert target.stat().st_mtime == 1_000_000


def test_day_release_rule() -> None:
    clock = SimClock(ClockSettings(mode="until", until=date(2024, 1, 1)))
    assert clock.is_released(date(2024, 1, 1)) and not clock.is_released(date(2024, 1, 2))

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import socket
import threading
import time
from pathlib import Path

import pytest
import requests

from observatoire.errors import BadInput
from observatoire.partner_server import PartnerServer, running_partners
from observatoire.partner_server.commands import register

from .fixtures import write_store

SECRET_TOKEN = "s3cret-city-token-xyz"
SECRET_KEY = "s3cret-smtpc-key-xyz"


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_clean_shutdown_with_open_keep_alive_connections(tmp_path: Path) -> None:
    write_store(tmp_path)
    threads_before = threading.active_count()
    session = requests.Session()
    with running_partners(tmp_path, city_token=SECRET_TOKEN) as server:
        port = server.port
        assert server.base_url == f"http://127.0.0.1:{port}"
        for _ in range(3):  # keeps an idle keep-alive connection open
            assert session.get(f"{server.base_url}/_control/health", timeout=5).status_code == 200
        started = time.perf_counter()
    assert time.perf_counter() - started < 3
    assert not _port_open(port)
    deadline = time.monotonic() + 3
    while threading.active_count() > threads_before and time.monotonic() < deadline:
        time.sleep(0.02)
    assert threading.active_count() <= threads_before
    session.close()


def test_binds_loopback_only(shared_server: PartnerServer) -> None:
    assert shared_server._httpd is not None
    assert shared_server._httpd.server_address[0] == "127.0.0.1"


def test_host_flag_sets_the_bind_address_for_containers() -> None:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    assert parser.parse_args(["serve-partners"]).host == "127.0.0.1"
    assert parser.parse_args(["serve-partners", "--host", "0.0.0.0"]).host == "0.0.0.0"


def test_missing_store_and_busy_port_are_bad_input(tmp_path: Path, shared_server: PartnerServer) -> None:
    with pytest.raises(BadInput, match="observatoire generate"), running_partners(tmp_path / "nothing"):
        pass
    write_store(tmp_path)
    with pytest.raises(BadInput, match="cannot listen"), running_partners(tmp_path, port=shared_server.port):
        pass


def test_logs_one_line_per_request_without_secrets(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    write_store(tmp_path)
    caplog.set_level(logging.INFO, logger="observatoire.partner_server")
    with running_partners(
        tmp_path, city_token=SECRET_TOKEN, smtpc_key=SECRET_KEY, release_drop=False
    ) as server:
        requests.get(
            f"{server.base_url}/ville/api/v1/evenements?page=2", headers=server.city_headers, timeout=5
        )
        requests.get(
            f"{server.base_url}/smtpc/comptages/2024-01-01.csv", headers=server.smtpc_headers, timeout=5
        )
        requests.get(f"{server.base_url}/ville/api/v1/evenements?token=abc", timeout=5)
    access = [r for r in caplog.records if r.name.endswith(".access")]
    assert len(access) == 3 and all(r.levelno == logging.INFO for r in access)
    assert "GET /ville/api/v1/evenements?page=2 200" in access[0].getMessage()
    assert "token=***" in access[2].getMessage()
    text = caplog.text
    assert SECRET_TOKEN not in text and SECRET_KEY not in text


def test_performance_on_a_decade_of_city_records(tmp_path: Path) -> None:
    root = tmp_path / "partners" / "ville"
    root.mkdir(parents=True)
    template = {
        "intitule": "Concert",
        "nature": "concert",
        "lieu": "Le Dôme",
        "arrondissement": 4,
        "latitude": 43.31,
        "longitude": 5.4,
        "debut": "2020-01-01T20:00:00+01:00",
        "fin": "2020-01-01T23:00:00+01:00",
        "jauge": 8000,
        "emprise_m2": None,
        "organisateur_type": "entreprise",
        "statut": "autorise",
    }
    count = 40_000
    line = json.dumps({"id": "ID", **template, "maj": "MAJ"})
    lines = []
    for i in range(count):
        maj = f"{2015 + i // 4000}-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:00:00+00:00"
        lines.append(line.replace("ID", f"E{i:06d}", 1).replace("MAJ", maj))
    (root / "evenements.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    started = time.perf_counter()
    with running_partners(tmp_path, release_drop=False) as server, requests.Session() as http:
        load_s = time.perf_counter() - started
        url = f"{server.base_url}/ville/api/v1/evenements"
        params = {"updated_since": "2019-06-01T00:00:00Z", "page": 40, "page_size": 500}
        http.get(url, params=params, headers=server.city_headers, timeout=5)
        started = time.perf_counter()
        for _ in range(10):
            body = http.get(url, params=params, headers=server.city_headers, timeout=5).json()
        page_s = (time.perf_counter() - started) / 10
    assert len(body["data"]) == 500
    assert load_s < 5, load_s
    assert page_s < 0.1, page_s


def test_cli_starts_summarises_and_stops_on_sigterm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    write_store(tmp_path)
    monkeypatch.setenv("OBSERVATOIRE_HOME", str(tmp_path))
    monkeypatch.setenv("OBSERVATOIRE_CITY_TOKEN", SECRET_TOKEN)
    caplog.set_level(logging.INFO, logger="observatoire.partner_server")
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(
        ["serve-partners", "--port", "0", "--smtpc-key", SECRET_KEY, "--latency-ms", "1"]
    )
    seen: dict[str, object] = {}

    def client() -> None:
        deadline = time.monotonic() + 20
        base_url = None
        while base_url is None and time.monotonic() < deadline:
            for record in list(caplog.records):
                if "listening on " in record.getMessage():
                    base_url = record.getMessage().split("listening on ")[1].split()[0]
            time.sleep(0.02)
        try:
            headers = {"Authorization": f"Bearer {SECRET_TOKEN}"}
            seen["status"] = requests.get(
                f"{base_url}/ville/api/v1/evenements", headers=headers, timeout=5
            ).status_code
            seen["faults"] = requests.get(f"{base_url}/_control/faults", timeout=5).json()
        finally:
            os.kill(os.getpid(), signal.SIGTERM)

    handler_before = signal.getsignal(signal.SIGTERM)
    thread = threading.Thread(target=client)
    thread.start()
    assert args.handler(args) == 0
    thread.join()
    assert seen["status"] == 200 and seen["faults"]["latency_ms"] == 1  # type: ignore[index]
    output = caplog.text
    assert "point-dinteret-datatourisme-multi-niveaux: 150 records" in output
    assert (
        "bearer token from $OBSERVATOIRE_CITY_TOKEN" in output and "X-API-Key from the command line" in output
    )
    assert "faults    latency_ms=1" in output
    assert SECRET_TOKEN not in output and SECRET_KEY not in output
    assert "GET /ville/api/v1/evenements 200" in output
    assert signal.getsignal(signal.SIGTERM) == handler_before


def test_credentials_from_the_airflow_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    from observatoire.partner_server.settings import (
        DEFAULT_CITY_TOKEN,
        city_token_from_env,
        smtpc_key_from_env,
    )

    monkeypatch.delenv("OBSERVATOIRE_CITY_TOKEN", raising=False)
    monkeypatch.delenv("OBSERVATOIRE_SMTPC_KEY", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_OBSERVATOIRE_VILLE", raising=False)
    assert city_token_from_env() == DEFAULT_CITY_TOKEN
    monkeypatch.setenv("AIRFLOW_CONN_OBSERVATOIRE_VILLE", "http://:t%2Fok@127.0.0.1:8765/ville")
    assert city_token_from_env() == "t/ok"
    monkeypatch.setenv("AIRFLOW_CONN_OBSERVATOIRE_SMTPC", '{"conn_type": "http", "password": "k1"}')
    assert smtpc_key_from_env() == "k1"
    monkeypatch.setenv("OBSERVATOIRE_CITY_TOKEN", "env-token")
    assert city_token_from_env() == "env-token"


def test_index_lists_the_endpoints(shared_server: PartnerServer) -> None:
    index = requests.get(shared_server.base_url + "/", timeout=5).json()
    assert f"{shared_server.base_url}/ville/api/v1/evenements" in index["ville"]
    assert len(index["metropole"]) == 3


def test_concurrent_clients(shared_server: PartnerServer) -> None:
    urls = [
        (f"{shared_server.base_url}/ville/api/v1/evenements?page_size=5", shared_server.city_headers),
        (f"{shared_server.base_url}/smtpc/comptages/2024-01-03.csv", shared_server.smtpc_headers),
        (
            f"{shared_server.base_url}/metropole/api/explore/v2.1/catalog/datasets/perturbations-reseau-rtm/records",
            {},
        ),
    ]
    statuses: list[int] = []
    lock = threading.Lock()

    def client(index: int) -> None:
        with requests.Session() as http:
            for step in range(15):
                url, headers = urls[(index + step) % len(urls)]
                status = http.get(url, headers=headers, timeout=10).status_code
                with lock:
                    statuses.append(status)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 120

from __future__ import annotations

import csv
import io
from datetime import date

import requests

from observatoire.contracts import get_contract
from observatoire.partner_server import ClockSettings, PartnerServer


def test_daily_csv(shared_server: PartnerServer, shared_home, http: requests.Session) -> None:
    response = http.get(
        f"{shared_server.base_url}/smtpc/comptages/2024-01-02.csv",
        headers=shared_server.smtpc_headers,
        timeout=5,
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    stored = (shared_home / "partners" / "smtpc" / "comptages" / "2024-01-02.csv").read_bytes()
    assert response.content == stored
    assert int(response.headers["Content-Length"]) == len(stored)
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
    assert tuple(rows[0]) == get_contract("smtpc", "comptages").field_names
    assert len(rows) == 1 + 480


def test_incidents_file(shared_server: PartnerServer, http: requests.Session) -> None:
    response = http.get(
        f"{shared_server.base_url}/smtpc/evenements_tunnel/2024-01-01.csv",
        headers=shared_server.smtpc_headers,
        timeout=5,
    )
    assert response.status_code == 200 and "INC-1" in response.text


def test_missing_day_and_unknown_dataset_are_404(
    shared_server: PartnerServer, http: requests.Session
) -> None:
    for path in ("comptages/2023-12-31.csv", "evenements_tunnel/2024-01-02.csv", "nope/2024-01-01.csv", "x"):
        response = http.get(
            f"{shared_server.base_url}/smtpc/{path}", headers=shared_server.smtpc_headers, timeout=5
        )
        assert response.status_code == 404, path
        assert response.json()["error"] == "not_found"


def test_bad_or_missing_key_is_403(shared_server: PartnerServer, http: requests.Session) -> None:
    url = f"{shared_server.base_url}/smtpc/comptages/2024-01-01.csv"
    assert http.get(url, timeout=5).status_code == 403
    response = http.get(url, headers={"X-API-Key": "wrong"}, timeout=5)
    assert response.status_code == 403 and response.json()["error"] == "forbidden"


def test_days_not_over_are_not_available(server: PartnerServer, http: requests.Session) -> None:
    server.set_clock(ClockSettings(mode="until", until=date(2024, 1, 1)))
    url = f"{server.base_url}/smtpc/comptages/{{}}.csv"
    assert http.get(url.format("2024-01-01"), headers=server.smtpc_headers, timeout=5).status_code == 200
    assert http.get(url.format("2024-01-02"), headers=server.smtpc_headers, timeout=5).status_code == 404

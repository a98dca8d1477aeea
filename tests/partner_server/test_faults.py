from __future__ import annotations

import json
import time

import pytest
import requests

from observatoire.partner_server import PartnerServer

CITY = "/ville/api/v1/evenements"
SMTPC = "/smtpc/comptages/2024-01-01.csv"
ODS = "/metropole/api/explore/v2.1/catalog/datasets/perturbations-reseau-rtm/records"


def _faults(server: PartnerServer, http: requests.Session, **changes: object) -> dict:
    response = http.post(f"{server.base_url}/_control/faults", json=changes, timeout=5)
    assert response.status_code == 200, response.text
    return response.json()


def _city(server: PartnerServer, http: requests.Session) -> requests.Response:
    return http.get(server.base_url + CITY, headers=server.city_headers, timeout=5)


def test_control_endpoints(server: PartnerServer, http: requests.Session) -> None:
    assert http.get(f"{server.base_url}/_control/health", timeout=5).json()["status"] == "ok"
    current = _faults(server, http, error_rate=0.5, retry_after_s=3)
    assert current["error_rate"] == 0.5 and current["retry_after_s"] == 3
    assert http.get(f"{server.base_url}/_control/faults", timeout=5).json() == current
    for bad in ({"error_rate": 2}, {"nope": 1}, {"bad_tokens": "yes"}, {"partners": ["x"]}):
        response = http.post(f"{server.base_url}/_control/faults", json=bad, timeout=5)
        assert response.status_code == 400 and response.json()["message"]
    not_json = http.post(f"{server.base_url}/_control/faults", data="{", timeout=5)
    assert not_json.status_code == 400
    assert _faults(server, http, reset=True)["error_rate"] == 0.0


def test_error_rate_gives_5xx_deterministically(server: PartnerServer, http: requests.Session) -> None:
    def statuses() -> list[int]:
        _faults(server, http, reset=True, error_rate=0.3, rate_limit_rate=0.2, seed=7)
        return [_city(server, http).status_code for _ in range(30)]

    first = statuses()
    assert first == statuses()
    assert {200, 503, 429} == set(first)
    _faults(server, http, reset=True, error_rate=1.0, error_status=500)
    response = _city(server, http)
    assert response.status_code == 500 and response.json()["error"] == "server_error"


def test_rate_limit_sends_retry_after(server: PartnerServer, http: requests.Session) -> None:
    _faults(server, http, rate_limit_rate=1.0, retry_after_s=2)
    for url in (CITY, SMTPC, ODS):
        response = http.get(
            server.base_url + url, headers={**server.city_headers, **server.smtpc_headers}, timeout=5
        )
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "2"


def test_next_counters_then_recovery(server: PartnerServer, http: requests.Session) -> None:
    _faults(server, http, error_next=2, rate_limit_next=1)
    assert [_city(server, http).status_code for _ in range(4)] == [503, 503, 429, 200]
    assert http.get(f"{server.base_url}/_control/faults", timeout=5).json()["error_next"] == 0


def test_faults_limited_to_some_partners(server: PartnerServer, http: requests.Session) -> None:
    _faults(server, http, error_rate=1.0, partners=["smtpc"])
    assert _city(server, http).status_code == 200
    assert http.get(server.base_url + SMTPC, headers=server.smtpc_headers, timeout=5).status_code == 503
    assert http.get(f"{server.base_url}/_control/health", timeout=5).status_code == 200


@pytest.mark.parametrize("url", [CITY, SMTPC, ODS])
def test_truncated_body_is_detectably_incomplete(server: PartnerServer, url: str) -> None:
    server.set_faults(truncate_next=1)
    headers = {**server.city_headers, **server.smtpc_headers}
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(server.base_url + url, headers=headers, timeout=5)
    # The next request is whole again.
    assert requests.get(server.base_url + url, headers=headers, timeout=5).status_code == 200


def test_cut_mode_stops_mid_record(server: PartnerServer, http: requests.Session) -> None:
    server.set_faults(truncate_next=2, truncate_mode="cut")
    city = _city(server, http)
    assert city.status_code == 200 and len(city.content) == int(city.headers["Content-Length"])
    with pytest.raises(json.JSONDecodeError):
        json.loads(city.content)
    csv = http.get(server.base_url + SMTPC, headers=server.smtpc_headers, timeout=5)
    whole = (server.settings.partners_dir / "smtpc" / "comptages" / "2024-01-01.csv").read_bytes()
    assert csv.content == whole[: len(whole) // 2] and not csv.content.endswith(b"\n")


def test_latency(server: PartnerServer, http: requests.Session) -> None:
    _city(server, http)
    _faults(server, http, latency_ms=300)
    started = time.perf_counter()
    assert _city(server, http).status_code == 200
    assert time.perf_counter() - started >= 0.3
    started = time.perf_counter()
    http.get(f"{server.base_url}/_control/health", timeout=5)
    assert time.perf_counter() - started < 0.3  # controls are never slowed down


def test_bad_tokens_mode_rejects_valid_credentials(server: PartnerServer, http: requests.Session) -> None:
    _faults(server, http, bad_tokens=True)
    assert _city(server, http).status_code == 401
    assert http.get(server.base_url + SMTPC, headers=server.smtpc_headers, timeout=5).status_code == 403
    _faults(server, http, bad_tokens=False)
    assert _city(server, http).status_code == 200

from __future__ import annotations

from datetime import date

import requests

from observatoire.partner_server import ClockSettings, PartnerServer
from observatoire.partner_server.settings import CITY_PAGE_SIZE_MAX

from .fixtures import CITY_EVENTS, SUPERSEDED_ID

URL = "/ville/api/v1/evenements"


def _all_pages(server: PartnerServer, http: requests.Session, **params: str | int) -> list[dict]:
    records: list[dict] = []
    url: str | None = server.base_url + URL
    query: dict[str, str | int] | None = dict(params)
    while url:
        response = http.get(url, params=query, headers=server.city_headers, timeout=5)
        assert response.status_code == 200, response.text
        body = response.json()
        records.extend(body["data"])
        url, query = body["next"], None
    return records


def test_page_shape(shared_server: PartnerServer, http: requests.Session) -> None:
    response = http.get(
        shared_server.base_url + URL, params={"page_size": 10}, headers=shared_server.city_headers, timeout=5
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"data", "page", "page_size", "total", "next"}
    assert (body["page"], body["page_size"], body["total"]) == (1, 10, CITY_EVENTS)
    assert body["next"].startswith(shared_server.base_url + URL) and "page=2" in body["next"]
    assert set(body["data"][0]) == {
        "id",
        "intitule",
        "nature",
        "lieu",
        "arrondissement",
        "latitude",
        "longitude",
        "debut",
        "fin",
        "jauge",
        "emprise_m2",
        "organisateur_type",
        "statut",
        "maj",
    }


def test_pagination_covers_every_record_once_in_maj_id_order(
    shared_server: PartnerServer, http: requests.Session
) -> None:
    records = _all_pages(shared_server, http, page_size=4)
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids)) == CITY_EVENTS
    keys = [(r["maj"], r["id"]) for r in records]
    assert keys == sorted(keys)  # every maj has the same offset here, so text order is time order
    # The updated record is served once, in its latest version.
    latest = [r for r in records if r["id"] == SUPERSEDED_ID]
    assert latest[0]["statut"] == "annule"


def test_updated_since_is_exclusive_and_incremental(
    shared_server: PartnerServer, http: requests.Session
) -> None:
    everything = _all_pages(shared_server, http, page_size=500)
    watermark = everything[9]["maj"]  # "+01:00" offset: must survive the query string
    newer = _all_pages(shared_server, http, updated_since=watermark, page_size=7)
    assert all(r["maj"] > watermark for r in newer)
    expected = [r["id"] for r in everything if r["maj"] > watermark]
    assert [r["id"] for r in newer] == expected
    # A later watermark in UTC designates the same instants.
    utc = http.get(
        shared_server.base_url + URL,
        params={"updated_since": "2024-01-01T07:00:00Z"},
        headers=shared_server.city_headers,
        timeout=5,
    ).json()
    assert utc["total"] == CITY_EVENTS - 2  # the two records at 08:00+01:00 are not after 07:00Z


def test_unencoded_plus_in_updated_since_is_understood(shared_server: PartnerServer) -> None:
    url = f"{shared_server.base_url}{URL}?updated_since=2024-01-01T08:00:00+01:00"
    body = requests.get(url, headers=shared_server.city_headers, timeout=5).json()
    assert body["total"] == CITY_EVENTS - 2


def test_page_size_is_capped_and_bad_parameters_are_400(
    shared_server: PartnerServer, http: requests.Session
) -> None:
    body = http.get(
        shared_server.base_url + URL,
        params={"page_size": 10_000},
        headers=shared_server.city_headers,
        timeout=5,
    ).json()
    assert body["page_size"] == CITY_PAGE_SIZE_MAX
    for params in ({"page": 0}, {"page_size": "x"}, {"updated_since": "yesterday"}):
        response = http.get(
            shared_server.base_url + URL, params=params, headers=shared_server.city_headers, timeout=5
        )
        assert response.status_code == 400
        assert response.json()["error"] == "bad_request"
    beyond = http.get(
        shared_server.base_url + URL, params={"page": 99}, headers=shared_server.city_headers, timeout=5
    ).json()
    assert beyond["data"] == [] and beyond["next"] is None and beyond["total"] == CITY_EVENTS


def test_orders_dataset(shared_server: PartnerServer, http: requests.Session) -> None:
    body = http.get(
        shared_server.base_url + "/ville/api/v1/arretes_circulation",
        headers=shared_server.city_headers,
        timeout=5,
    ).json()
    assert body["total"] == 5 and body["next"] is None
    assert body["data"][0]["evenement_id"] is None


def test_auth_failures(shared_server: PartnerServer, http: requests.Session) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic abc"}):
        response = http.get(shared_server.base_url + URL, headers=headers, timeout=5)
        assert response.status_code == 401
        assert response.json()["error"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    unknown = http.get(
        shared_server.base_url + "/ville/api/v1/nope", headers=shared_server.city_headers, timeout=5
    )
    assert unknown.status_code == 404


def test_clock_hides_records_not_yet_written(server: PartnerServer, http: requests.Session) -> None:
    server.set_clock(ClockSettings(mode="until", until=date(2024, 1, 1)))
    records = _all_pages(server, http, page_size=100)
    # maj every 2 h from 08:00+01:00 → 2024-01-01 ends at 2024-01-02T00:00Z = 01:00+01:00 next day
    assert records and all(r["maj"] < "2024-01-02T01:00:00+01:00" for r in records)
    assert {r["id"] for r in records if r["id"] == SUPERSEDED_ID} == {SUPERSEDED_ID}
    assert next(r for r in records if r["id"] == SUPERSEDED_ID)["statut"] == "autorise"

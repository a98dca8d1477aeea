from __future__ import annotations

import requests

from observatoire.contracts import get_contract
from observatoire.partner_server import PartnerServer

from .fixtures import datatourisme

BASE = "/metropole/api/explore/v2.1/catalog/datasets"
POI = "point-dinteret-datatourisme-multi-niveaux"
PERSONAL = {"point_de_contact", "telephone", "email"}


def _get(server: PartnerServer, http: requests.Session, path: str, **params: object) -> requests.Response:
    return http.get(f"{server.base_url}{BASE}{path}", params=params, timeout=5)  # type: ignore[arg-type]


def test_records_shape_and_default_limit(shared_server: PartnerServer, http: requests.Session) -> None:
    body = _get(shared_server, http, f"/{POI}/records").json()
    assert set(body) == {"total_count", "results"}
    assert body["total_count"] == 150 and len(body["results"]) == 10
    # Without select the portal serves the personal columns, as the real one does.
    assert PERSONAL <= set(body["results"][0])


def test_select_excludes_personal_columns(shared_server: PartnerServer, http: requests.Session) -> None:
    fields = get_contract("metropole", "datatourisme_poi").field_names
    body = _get(shared_server, http, f"/{POI}/records", select=",".join(fields), limit=100).json()
    assert all(list(r) == list(fields) for r in body["results"])
    exported = _get(shared_server, http, f"/{POI}/exports/json", select=", ".join(fields)).json()
    assert len(exported) == 150 and not PERSONAL & set().union(*map(set, exported))


def test_unknown_select_field_is_400(shared_server: PartnerServer, http: requests.Session) -> None:
    response = _get(shared_server, http, f"/{POI}/records", select="objectid,nom_complet")
    assert response.status_code == 400
    assert response.json()["error_code"] == "ODSQLError" and "nom_complet" in response.json()["message"]


def test_limit_and_offset_bounds(shared_server: PartnerServer, http: requests.Session) -> None:
    too_many = _get(shared_server, http, f"/{POI}/records", limit=101)
    assert too_many.status_code == 400 and too_many.json()["error_code"] == "InvalidRESTParameterError"
    too_far = _get(shared_server, http, f"/{POI}/records", limit=100, offset=9901)
    assert too_far.status_code == 400 and "10000" in too_far.json()["message"]
    at_edge = _get(shared_server, http, f"/{POI}/records", limit=100, offset=9900)
    assert at_edge.status_code == 200 and at_edge.json() == {"total_count": 150, "results": []}
    assert _get(shared_server, http, f"/{POI}/records", limit="ten").status_code == 400


def test_offset_pagination_covers_every_record_once(
    shared_server: PartnerServer, http: requests.Session
) -> None:
    seen: list[str] = []
    for offset in range(0, 150, 100):
        body = _get(
            shared_server, http, f"/{POI}/records", limit=100, offset=offset, select="objectid"
        ).json()
        seen.extend(r["objectid"] for r in body["results"])
    assert sorted(seen) == sorted(r["objectid"] for r in datatourisme())


def test_where_refine_order_by(shared_server: PartnerServer, http: requests.Session) -> None:
    body = _get(
        shared_server,
        http,
        f"/{POI}/records",
        where="date_debut >= \"2024-04-01\" and date_debut < date'2024-10-01'",
        refine="niv1_categorie:Fête et manifestation",
        order_by="date_debut desc, objectid",
        select="objectid,date_debut",
        limit=100,
    ).json()
    starts = [r["date_debut"] for r in body["results"]]
    expected = sorted(
        (r for r in datatourisme() if r["date_debut"] and "2024-04-01" <= r["date_debut"] < "2024-10-01"),
        key=lambda r: r["objectid"],
    )
    assert body["total_count"] == len(expected) > 0
    assert starts == sorted(starts, reverse=True)
    same_day = [r["objectid"] for r in body["results"] if r["date_debut"] == starts[0]]
    assert same_day == sorted(same_day)
    numeric = _get(shared_server, http, f"/{POI}/records", where="latitude > 43.314", limit=100).json()
    assert numeric["total_count"] == sum(1 for r in datatourisme() if r["latitude"] > 43.314)
    text = _get(
        shared_server, http, "/perturbations-reseau-rtm/records", where="cause = 'manifestation'"
    ).json()
    assert text["total_count"] == 3


def test_unsupported_where_is_400_with_a_clear_message(
    shared_server: PartnerServer, http: requests.Session
) -> None:
    for where in (
        'date_debut >= "2024-01-01" or latitude > 43',
        "search('concert')",
        "date_debut >=",
        "unknown_field = 1",
        'date_debut >= "not a date"',
        "(latitude > 43)",
    ):
        response = _get(shared_server, http, f"/{POI}/records", where=where)
        assert response.status_code == 400, where
        assert response.json()["error_code"] == "ODSQLError" and response.json()["message"]


def test_exports_json(shared_server: PartnerServer, http: requests.Session) -> None:
    response = _get(
        shared_server,
        http,
        "/fr-fermeture-des-tunnels-exploites-par-la-metropole/exports/json",
        where="date_de_debut >= '2024-01-06'",
        refine="type:Programmée",
    )
    assert response.status_code == 200
    rows = response.json()
    assert isinstance(rows, list) and rows
    assert all(r["type"] == "Programmée" and r["date_de_debut"] >= "2024-01-06" for r in rows)


def test_dataset_metadata_and_catalog(shared_server: PartnerServer, http: requests.Session) -> None:
    meta = _get(shared_server, http, f"/{POI}").json()
    assert meta["dataset_id"] == POI
    assert meta["metas"]["default"]["records_count"] == 150
    names = [f["name"] for f in meta["fields"]]
    assert set(get_contract("metropole", "datatourisme_poi").field_names) | PERSONAL == set(names)
    assert {f["name"]: f["type"] for f in meta["fields"]}["date_mise_a_jour"] == "datetime"
    catalog = _get(shared_server, http, "").json()
    assert catalog["total_count"] == 3
    missing = _get(shared_server, http, "/no-such-dataset/records")
    assert missing.status_code == 404 and missing.json()["error_code"] == "DatasetNotFound"


def test_refine_on_a_date_prefix_and_numbers(shared_server: PartnerServer, http: requests.Session) -> None:
    body = _get(
        shared_server, http, f"/{POI}/records", refine=["date_debut:2024-04", "codeinsee:13055"]
    ).json()
    expected = [r for r in datatourisme() if (r["date_debut"] or "").startswith("2024-04")]
    assert body["total_count"] == len(expected) > 0
    bad = _get(shared_server, http, f"/{POI}/records", refine="latitude:north")
    assert bad.status_code == 400

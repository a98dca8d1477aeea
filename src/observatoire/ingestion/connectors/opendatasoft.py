"""Opendatasoft Explore API v2.1 (the Métropole's portal).

Only the contract's fields are asked for (``select=``), so the portal's personal columns (DataTourisme's
``point_de_contact``, ``telephone``, ``email``) never cross. The interval is a ``where`` on the dataset's
update field (or its start field when it has none), plus the contract's ``event_filter``. A first
``records?limit=0`` gives ``total_count``: small selections are paged through ``records`` (limit 100,
offset + limit ≤ 10,000 as on the real portal), larger ones fetched in one ``exports/json`` call. Either
way the records received must add up to ``total_count``.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from ...contracts import Contract
from ..connections import PartnerConnection
from ..delivery import DeliveryFile, FetchedDelivery, PayloadKind, records_hash
from ..http import HttpResponse, IncompleteResponse, PartnerHttpClient, PartnerUnavailable, RetryPolicy
from ..intervals import Interval, iso

log = logging.getLogger(__name__)
RECORDS_LIMIT = 100
OFFSET_LIMIT = 10_000
PAGING_THRESHOLD = 1_000
"""Up to this many records, page through ``records`` (≤ 10 calls); beyond, use ``exports/json``."""


def _literal(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def query_parameters(contract: Contract, interval: Interval) -> dict[str, str]:
    conditions = []
    time_field = contract.updated_field or contract.start_field
    if time_field is not None:
        if interval.start is not None:
            conditions.append(f"{time_field} >= date'{iso(interval.start)}'")
        if interval.end is not None:
            conditions.append(f"{time_field} < date'{iso(interval.end)}'")
    for name, value in contract.event_filter.items():
        conditions.append(f"{name} = {_literal(value)}")
    params = {"select": ",".join(contract.field_names)}
    if conditions:
        params["where"] = " and ".join(conditions)
    return params


def _json(response: HttpResponse) -> Any:
    try:
        return json.loads(response.content)
    except ValueError as error:
        raise IncompleteResponse(f"not complete JSON ({error})") from error


def _validate_records(response: HttpResponse) -> None:
    document = _json(response)
    if not isinstance(document, dict) or not isinstance(document.get("results"), list):
        raise IncompleteResponse("the answer lacks 'results'")
    if not isinstance(document.get("total_count"), int):
        raise IncompleteResponse("the answer lacks 'total_count'")


def _validate_export(response: HttpResponse) -> None:
    if not isinstance(_json(response), list):
        raise IncompleteResponse("the export is not a JSON array")


def fetch_ods_records(
    contract: Contract,
    connection: PartnerConnection,
    interval: Interval,
    policy: RetryPolicy | None = None,
    paging_threshold: int = PAGING_THRESHOLD,
) -> FetchedDelivery | None:
    """The contract's records in ``interval`` as one delivery (``None`` if there are none)."""
    if contract.source_id is None:
        raise ValueError(f"{contract.table} has no Opendatasoft dataset id")
    headers = {"Accept": "application/json"}
    if connection.secret:
        headers["Authorization"] = f"Apikey {connection.secret}"
    base = f"api/explore/v2.1/catalog/datasets/{contract.source_id}"
    params = query_parameters(contract, interval)
    with PartnerHttpClient("metropole", connection.base_url, headers, policy, connection.conn_id) as client:
        counted = client.get(f"{base}/records", {**params, "limit": 0}, validate=_validate_records)
        assert counted is not None
        total = int(_json(counted)["total_count"])
        if total == 0:
            return None
        files: list[DeliveryFile] = []
        records: list[Any] = []
        payload: PayloadKind
        if total <= min(paging_threshold, OFFSET_LIMIT):
            payload, endpoint = "json_pages", f"{base}/records"
            for offset in range(0, total, RECORDS_LIMIT):
                limit = min(RECORDS_LIMIT, OFFSET_LIMIT - offset)
                response = client.get(
                    endpoint, {**params, "limit": limit, "offset": offset}, validate=_validate_records
                )
                assert response is not None
                document = _json(response)
                files.append(DeliveryFile(f"page-{offset // RECORDS_LIMIT + 1:05d}.json", response.content))
                records.extend(document["results"])
        else:
            payload, endpoint = "json_array", f"{base}/exports/json"
            response = client.get(endpoint, params, validate=_validate_export)
            assert response is not None
            files.append(DeliveryFile("export.json", response.content))
            records = _json(response)
        url = client.url(endpoint)
    if len(records) != total:
        raise PartnerUnavailable(
            f"metropole {contract.source_id}: the portal announced {total} records but sent {len(records)}; "
            "nothing was landed — retry the pull"
        )
    return FetchedDelivery(
        contract=contract,
        interval=interval,
        files=files,
        payload=payload,
        records_key="results" if payload == "json_pages" else None,
        source=url,
        connector="opendatasoft_explore_v2.1",
        content_hash=records_hash(records),
        expected_rows=total,
        details={"query": params, "total_count": total, "endpoint": endpoint.rsplit("/", 2)[-2:]},
    )

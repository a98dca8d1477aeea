"""Aix-Marseille-Provence Métropole portal: Opendatasoft Explore API v2.1 under ``/metropole``.

- ``GET /metropole/api/explore/v2.1/catalog/datasets`` and ``…/datasets/{id}``: metadata with fields;
- ``…/datasets/{id}/records``: ``limit`` (default 10, max 100), ``offset`` (offset + limit ≤ 10,000),
  ``select``, ``where``, ``refine`` (repeatable ``field:value``), ``order_by``;
- ``…/datasets/{id}/exports/json``: a JSON array of every matching record.
"""

from __future__ import annotations

import json

from .messages import Request, Response, json_response, raw_json_response
from .ods_store import OdsDataset, Query
from .odsql import OdsqlError, parse_order_by, parse_select, parse_where
from .store import PartnerStore

PREFIX = "/metropole/api/explore/v2.1/catalog/datasets"
RECORDS_LIMIT_DEFAULT = 10
RECORDS_LIMIT_MAX = 100
OFFSET_LIMIT_MAX = 10_000


def _ods_error(status: int, code: str, message: str) -> Response:
    return json_response(status, {"error_code": code, "message": message})


def _int_param(request: Request, name: str, default: int) -> int:
    text = request.param(name)
    if text is None or text == "":
        return default
    try:
        return int(text)
    except ValueError as error:
        raise OdsqlError(f"Invalid value for {name} API parameter: {text!r} is not an integer.") from error


def _query(request: Request, dataset: OdsDataset) -> tuple[Query, list[str] | None]:
    comparisons = []
    for where in request.query.get("where", []):
        comparisons.extend(parse_where(where))
    refines = []
    for refine in request.query.get("refine", []):
        name, colon, value = refine.partition(":")
        if not colon or not name.strip():
            raise OdsqlError(f"Invalid refine {refine!r}: expected field:value")
        refines.append((name.strip(), value.strip().strip('"')))
    order_text = request.param("order_by")
    order_by = parse_order_by(order_text) if order_text else []
    select_text = request.param("select")
    select = parse_select(select_text) if select_text else None
    if select:
        dataset.check_fields(select)
    return (tuple(comparisons), tuple(refines), tuple(order_by)), select


def _records(request: Request, dataset: OdsDataset) -> Response:
    try:
        limit = _int_param(request, "limit", RECORDS_LIMIT_DEFAULT)
        offset = _int_param(request, "offset", 0)
    except OdsqlError as error:
        return _ods_error(400, "InvalidRESTParameterError", str(error))
    if limit == -1:
        limit = RECORDS_LIMIT_MAX
    if not 0 <= limit <= RECORDS_LIMIT_MAX:
        return _ods_error(
            400,
            "InvalidRESTParameterError",
            f"Invalid value for limit API parameter: {limit} was found but -1 <= limit <= "
            f"{RECORDS_LIMIT_MAX} is expected.",
        )
    if offset < 0 or offset + limit > OFFSET_LIMIT_MAX:
        return _ods_error(
            400,
            "InvalidRESTParameterError",
            f"Invalid value for offset API parameter: offset ({offset}) must be >= 0 and offset + limit "
            f"({offset + limit}) must be lower than or equal to {OFFSET_LIMIT_MAX}. Use the exports "
            "endpoint or narrow the query with where to reach further records.",
        )
    try:
        query, select = _query(request, dataset)
        indices = dataset.select_indices(query)
    except OdsqlError as error:
        return _ods_error(400, "ODSQLError", str(error))
    results = [dataset.project(i, select) for i in indices[offset : offset + limit]]
    return json_response(200, {"total_count": len(indices), "results": results})


def _export(request: Request, dataset: OdsDataset) -> Response:
    try:
        limit = _int_param(request, "limit", -1)
        query, select = _query(request, dataset)
        indices = dataset.select_indices(query)
    except OdsqlError as error:
        return _ods_error(400, "ODSQLError", str(error))
    if limit >= 0:
        indices = indices[:limit]
    dumps = json.dumps
    text = "[" + ",".join(dumps(dataset.project(i, select), ensure_ascii=False) for i in indices) + "]"
    return raw_json_response(200, text)


def handle(request: Request, store: PartnerStore) -> Response:
    rest = request.path[len(PREFIX) :].strip("/")
    if not rest:
        datasets = [d.metadata() for d in store.metropole.values()]
        return json_response(200, {"total_count": len(datasets), "results": datasets})
    parts = rest.split("/")
    dataset = store.metropole.get(parts[0])
    if dataset is None:
        return _ods_error(404, "DatasetNotFound", f"Unknown dataset: {parts[0]}")
    if len(parts) == 1:
        return json_response(200, dataset.metadata())
    if parts[1:] == ["records"]:
        return _records(request, dataset)
    if parts[1:] == ["exports", "json"]:
        return _export(request, dataset)
    return _ods_error(404, "NotFound", f"Unknown endpoint: {request.path}")

"""City of Marseille REST API: ``GET /ville/api/v1/{dataset}`` (bearer token, pages, ``updated_since``)."""

from __future__ import annotations

import hmac
import json
import math
from urllib.parse import urlencode

from .messages import Request, Response, error_response
from .settings import CITY_PAGE_SIZE_DEFAULT, CITY_PAGE_SIZE_MAX
from .store import PartnerStore
from .timeparse import parse_instant

PREFIX = "/ville/api/v1/"


def _unauthorized(message: str) -> Response:
    return error_response(401, "unauthorized", message, {"WWW-Authenticate": 'Bearer realm="ville"'})


def _positive_int(request: Request, name: str, default: int) -> int:
    text = request.param(name)
    if text is None or text == "":
        return default
    value = int(text)  # ValueError handled by the caller
    if value < 1:
        raise ValueError(f"{name} must be at least 1")
    return value


def handle(request: Request, store: PartnerStore, token: str, reject_all: bool, now: float) -> Response:
    dataset = store.city.get(request.path[len(PREFIX) :].strip("/"))
    header = request.headers.get("Authorization") or ""
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        return _unauthorized("missing bearer token: send 'Authorization: Bearer <token>'")
    if reject_all or not hmac.compare_digest(presented.strip().encode(), token.encode()):
        return _unauthorized("invalid or expired bearer token")
    if dataset is None:
        known = ", ".join(sorted(store.city)) or "none"
        return error_response(404, "not_found", f"unknown dataset; available: {known}")
    try:
        page = _positive_int(request, "page", 1)
        page_size = min(_positive_int(request, "page_size", CITY_PAGE_SIZE_DEFAULT), CITY_PAGE_SIZE_MAX)
    except ValueError as error:
        return error_response(400, "bad_request", f"page and page_size must be positive integers ({error})")
    since_text = request.param("updated_since")
    since = -math.inf
    if since_text:
        try:
            since = parse_instant(since_text)
        except ValueError:
            return error_response(
                400, "bad_request", f"updated_since must be an ISO 8601 date-time, got {since_text!r}"
            )
    result = dataset.page(since, now, page, page_size)
    next_url = b"null"
    if page * page_size < result.total:
        params = {"page": str(page + 1), "page_size": str(page_size)}
        if since_text:
            params = {"updated_since": since_text.replace(" ", "+"), **params}
        next_url = json.dumps(f"{request.base_url}{request.path}?{urlencode(params)}").encode()
    body = b"".join(
        (
            b'{"data":[',
            b",".join(result.records),
            f'],"page":{page},"page_size":{page_size},"total":{result.total},"next":'.encode(),
            next_url,
            b"}",
        )
    )
    return Response(200, body)

"""SMTPC daily CSV files over HTTP(S): ``GET {base_url}/{dataset}/YYYY-MM-DD.csv`` with ``X-API-Key``.

One delivery per day file (the day's UTC interval). A 404 means the day is not available (yet); a body
that stops mid-row is retried, never landed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date

import requests

from ...contracts import Contract
from ..connections import PartnerConnection
from ..delivery import DeliveryFile, FetchedDelivery, files_hash
from ..http import PartnerHttpClient, RetryPolicy
from ..intervals import Interval
from ..reader import check_csv_complete

log = logging.getLogger(__name__)
FILE_DAY_ZONE = "UTC"


def _first_available(client: PartnerHttpClient, contract: Contract, days: list[date]) -> int:
    """Index of the first published day, by bisection (a history is published without holes at its start)."""
    low, high = 0, len(days)
    while low < high:
        middle = (low + high) // 2
        path = f"{contract.dataset}/{days[middle].isoformat()}.csv"
        if client.get(path, allow_not_found=True) is None:
            low = middle + 1
        else:
            high = middle
    return low


def fetch_smtpc_days(
    contract: Contract,
    connection: PartnerConnection,
    days: list[date],
    missing: list[date],
    policy: RetryPolicy | None = None,
    find_start: bool = False,
) -> Iterator[FetchedDelivery]:
    """One delivery per available day; unavailable days are appended to ``missing``.

    ``find_start`` (whole-history pulls): skip the days before the partner's first published day.
    """
    headers = {"X-API-Key": connection.secret, "Accept": "text/csv"}

    def complete(response: requests.Response) -> None:
        check_csv_complete(response.content, contract)

    with PartnerHttpClient("smtpc", connection.base_url, headers, policy, connection.conn_id) as client:
        if find_start and days:
            first = _first_available(client, contract, days)
            if first:
                log.info("smtpc %s: first published day %s", contract.dataset,
                         days[first].isoformat() if first < len(days) else "none")
            days = days[first:]
        for day in days:
            path = f"{contract.dataset}/{day.isoformat()}.csv"
            response = client.get(path, validate=complete, allow_not_found=True)
            if response is None:
                missing.append(day)
                continue
            item = DeliveryFile(f"{contract.dataset}_{day.isoformat()}.csv", response.content)
            yield FetchedDelivery(
                contract=contract,
                interval=Interval.of_day(day, FILE_DAY_ZONE),
                files=[item],
                payload="csv",
                source=client.url(path),
                connector="smtpc_https_files",
                content_hash=files_hash([item]),
                details={"day": day.isoformat()},
            )

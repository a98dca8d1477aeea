"""SMTPC daily CSV files over HTTP(S): ``GET {base_url}/{dataset}/YYYY-MM-DD.csv`` with ``X-API-Key``.

One delivery per day file (the day's UTC interval). A 404 means the day is not available (yet); a body
that stops mid-row is retried, never landed.

Whole-history pulls do not know where the published history starts or ends: the first published day is
found by bisection; the end by stopping after :data:`END_AFTER_MISSES` consecutive missing days once a
day was found, unless one of a few probes further on (doubling distances, and the range's last day)
finds a file — then the gap was a hole, and the walk goes on. The unpublished tail is one summary line (not
reported as missing days), not one warning per day.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date

from ...contracts import Contract
from ..connections import PartnerConnection
from ..delivery import DeliveryFile, FetchedDelivery, files_hash
from ..http import HttpResponse, PartnerHttpClient, RetryPolicy
from ..intervals import Interval
from ..reader import check_csv_complete

log = logging.getLogger(__name__)
FILE_DAY_ZONE = "UTC"
END_AFTER_MISSES = 7
"""Consecutive missing days (after a published one) that end a whole-history walk, unless probes find more."""


def _first_available(client: PartnerHttpClient, contract: Contract, days: list[date]) -> int:
    """Index of the first published day, by bisection (a history is published without holes at its start).

    The bisection runs up to a published day found first by probing back from the range's end at doubling
    distances: a history that ended long before the range does would otherwise send it past its end.
    """
    low, high = 0, len(days)
    offset = 0
    while offset < len(days):
        if _published(client, contract, days[-1 - offset]):
            high = len(days) - 1 - offset
            break
        offset = 2 * offset + 1
    while low < high:
        middle = (low + high) // 2
        path = f"{contract.dataset}/{days[middle].isoformat()}.csv"
        if client.get(path, allow_not_found=True) is None:
            low = middle + 1
        else:
            high = middle
    return low


def _published(client: PartnerHttpClient, contract: Contract, day: date) -> bool:
    return client.get(f"{contract.dataset}/{day.isoformat()}.csv", allow_not_found=True) is not None


def _more_after(client: PartnerHttpClient, contract: Contract, days: list[date], index: int) -> bool:
    """Whether any day after ``days[index]`` is published, probing at doubling distances and the last day."""
    last = len(days) - 1
    step = END_AFTER_MISSES
    probes: list[int] = []
    while index + step < last:
        probes.append(index + step)
        step *= 2
    if index < last:
        probes.append(last)
    return any(_published(client, contract, days[i]) for i in probes)


def fetch_smtpc_days(
    contract: Contract,
    connection: PartnerConnection,
    days: list[date],
    missing: list[date],
    policy: RetryPolicy | None = None,
    find_start: bool = False,
    find_end: bool = False,
) -> Iterator[FetchedDelivery]:
    """One delivery per available day; unavailable days are appended to ``missing``.

    ``find_start`` (whole-history pulls): skip the days before the partner's first published day;
    ``find_end``: stop at the last published day (see the module docstring).
    """
    headers = {"X-API-Key": connection.secret, "Accept": "text/csv"}

    def complete(response: HttpResponse) -> None:
        check_csv_complete(response.content, contract)

    with PartnerHttpClient("smtpc", connection.base_url, headers, policy, connection.conn_id) as client:
        if find_start and days:
            first = _first_available(client, contract, days)
            if first:
                log.info("smtpc %s: first published day %s", contract.dataset,
                         days[first].isoformat() if first < len(days) else "none")
            days = days[first:]
        misses = 0
        found = False
        for index, day in enumerate(days):
            path = f"{contract.dataset}/{day.isoformat()}.csv"
            response = client.get(path, validate=complete, allow_not_found=True)
            if response is None:
                missing.append(day)
                misses += 1
                if find_end and found and misses >= END_AFTER_MISSES and index + 1 < len(days):
                    if not _more_after(client, contract, days, index):
                        # The tail is not published yet: not a hole, so not reported as missing.
                        del missing[-misses:]
                        log.info("smtpc %s: last published day %s; the %d day(s) after it up to %s are not "
                                 "published yet (%d asked)", contract.dataset, days[index - misses].isoformat(),
                                 len(days) - index + misses - 1, days[-1].isoformat(), misses)
                        return
                    misses = 0
                continue
            found = True
            misses = 0
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

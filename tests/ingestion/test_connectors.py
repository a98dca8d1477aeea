"""Each connector against the simulated partners, faults included."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from observatoire.contracts import get_contract
from observatoire.ingestion.connections import get_connection
from observatoire.ingestion.connectors.file_drop import DropIndex, fetch_drop_files
from observatoire.ingestion.connectors.opendatasoft import fetch_ods_records
from observatoire.ingestion.connectors.smtpc_files import fetch_smtpc_days
from observatoire.ingestion.connectors.ville_api import fetch_city_records
from observatoire.ingestion.http import PartnerRefusedCredentials, PartnerUnavailable
from observatoire.ingestion.intervals import Interval, parse_instant

from .conftest import FAST_RETRIES
from .partner_fixture import DAYS

EVENTS = get_contract("ville", "evenements")
COUNTS = get_contract("smtpc", "comptages")
POI = get_contract("metropole", "datatourisme_poi")


def records(delivered: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for item in delivered.files:
        document = json.loads(item.data)
        out.extend(document if isinstance(document, list) else document[delivered.records_key])
    return out


def test_city_api_pages_through_everything_and_is_incremental(partners: Any) -> None:
    connection = get_connection("observatoire_ville")
    delivered = fetch_city_records(EVENTS, connection, None, FAST_RETRIES, page_size=7)
    assert delivered is not None
    assert len(delivered.files) == 5 and delivered.expected_rows == 30
    assert len({r["id"] for r in records(delivered)}) == 30
    since = parse_instant("2025-03-30T12:00:00Z")
    newer = fetch_city_records(EVENTS, connection, since, FAST_RETRIES, page_size=7)
    assert newer is not None
    assert all(parse_instant(r["maj"]) > since for r in records(newer))
    assert newer.details["watermark_candidate"] == "2025-03-31T23:00:00Z"


def test_city_api_retries_5xx_and_truncated_pages(partners: Any) -> None:
    connection = get_connection("observatoire_ville")
    partners.set_faults(error_next=2, truncate_next=1, truncate_mode="cut")
    delivered = fetch_city_records(EVENTS, connection, None, FAST_RETRIES, page_size=100)
    assert delivered is not None and len(records(delivered)) == 30
    partners.set_faults(truncate_next=1, truncate_mode="content_length")
    again = fetch_city_records(EVENTS, connection, None, FAST_RETRIES, page_size=100)
    assert again is not None and again.content_hash == delivered.content_hash


def test_rate_limit_honours_retry_after(partners: Any) -> None:
    partners.set_faults(rate_limit_next=1, retry_after_s=1)
    started = time.monotonic()
    delivered = fetch_city_records(EVENTS, get_connection("observatoire_ville"), None, FAST_RETRIES)
    assert delivered is not None
    assert time.monotonic() - started >= 0.9  # waited what the partner asked, not the 10 ms backoff


def test_persistent_failure_gives_a_clear_error_and_nothing(partners: Any) -> None:
    partners.set_faults(error_rate=1.0)
    with pytest.raises(PartnerUnavailable, match=r"after 4 attempts \(last problem: HTTP 503"):
        fetch_city_records(EVENTS, get_connection("observatoire_ville"), None, FAST_RETRIES)


def test_bad_token_is_a_clear_error(partners: Any) -> None:
    partners.set_faults(bad_tokens=True)
    with pytest.raises(PartnerRefusedCredentials, match="check the password of the Airflow connection 'observatoire_ville'"):
        fetch_city_records(EVENTS, get_connection("observatoire_ville"), None, FAST_RETRIES)
    with pytest.raises(PartnerRefusedCredentials, match="HTTP 403"):
        list(fetch_smtpc_days(COUNTS, get_connection("observatoire_smtpc"), DAYS, [], FAST_RETRIES))


def test_smtpc_days_missing_days_and_truncated_csv(partners: Any) -> None:
    partners.set_faults(truncate_next=1, truncate_mode="cut")
    missing: list[Any] = []
    days = [DAYS[0], DAYS[1], DAYS[2].replace(day=DAYS[2].day), DAYS[2].replace(month=4, day=1)]
    delivered = list(fetch_smtpc_days(COUNTS, get_connection("observatoire_smtpc"), days, missing, FAST_RETRIES))
    assert [d.interval for d in delivered] == [Interval.of_day(day) for day in DAYS]
    assert [str(d) for d in missing] == ["2025-04-01"]
    assert all(d.files[0].data.endswith(b"\n") for d in delivered)
    assert delivered[0].files[0].data.count(b"\n") == 21  # header + 20 rows, complete


def test_smtpc_whole_history_finds_the_first_published_day(partners: Any) -> None:
    days = list(Interval.parse("2024-01-01", "2025-04-01").days("UTC"))
    delivered = list(fetch_smtpc_days(COUNTS, get_connection("observatoire_smtpc"), days, [], FAST_RETRIES, find_start=True))
    assert [d.details["day"] for d in delivered] == [str(day) for day in DAYS]


def test_opendatasoft_asks_only_for_contract_fields_and_the_interval(partners: Any) -> None:
    interval = Interval.parse("2025-03-30", "2025-04-01")
    delivered = fetch_ods_records(POI, get_connection("observatoire_metropole"), interval, FAST_RETRIES)
    assert delivered is not None
    rows = records(delivered)
    assert {r["objectid"] for r in rows} == {"POI-1", "POI-2"}  # updated in the interval, events only
    for item in delivered.files:
        assert b"telephone" not in item.data and b"email" not in item.data and b"Dupont" not in item.data
    assert "select" in delivered.details["query"]


def test_opendatasoft_large_selections_use_the_export(partners: Any) -> None:
    interval = Interval(None, None)
    paged = fetch_ods_records(POI, get_connection("observatoire_metropole"), interval, FAST_RETRIES)
    exported = fetch_ods_records(POI, get_connection("observatoire_metropole"), interval, FAST_RETRIES, paging_threshold=1)
    assert paged is not None and exported is not None
    assert paged.payload == "json_pages" and exported.payload == "json_array"
    assert paged.content_hash == exported.content_hash  # same records, whatever the endpoint


def test_file_drop_picks_files_not_landed_up_to_the_interval_end(partners: Any, home: Path) -> None:
    contract = get_contract("prefecture", "manifestations")
    index = DropIndex(contract)
    interval = Interval.parse("2025-03-29", "2025-03-31")
    delivered = list(fetch_drop_files(contract, home / "drop", interval, index))
    assert [d.details["day"] for d in delivered] == ["2025-03-29", "2025-03-30"]
    source = home / "drop/prefecture/manifestations/manifestations_2025-03-29.csv"
    assert delivered[0].files[0].data == source.read_bytes()  # unchanged


def test_smtpc_whole_history_stops_at_the_last_published_day(
    home: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from observatoire.ingestion.http import PartnerHttpClient
    from observatoire.partner_server import running_partners

    from .conftest import connection_env
    from .partner_fixture import build_partner_store

    # Published: 29-31 March, a hole of 19 days, 20 April - 10 May, then nothing until the end of the year.
    folder = build_partner_store(home) / "smtpc/comptages"
    later = [date(2025, 4, 20) + timedelta(days=n) for n in range(21)]
    for day in later:
        (folder / f"{day}.csv").write_bytes((folder / f"{DAYS[0]}.csv").read_bytes())
    asked: list[str] = []
    real_get = PartnerHttpClient.get

    def counting_get(self: Any, path: str, *args: Any, **kwargs: Any) -> Any:
        asked.append(path)
        return real_get(self, path, *args, **kwargs)

    monkeypatch.setattr(PartnerHttpClient, "get", counting_get)
    days = list(Interval.parse("2025-03-29", "2026-01-01").days("UTC"))
    missing: list[Any] = []
    with running_partners(home) as server:
        for name, value in connection_env(server.base_url, server.settings.city_token, server.settings.smtpc_key,
                                          home / "drop").items():
            monkeypatch.setenv(name, value)
        with caplog.at_level("INFO", logger="observatoire.ingestion"):
            delivered = list(fetch_smtpc_days(COUNTS, get_connection("observatoire_smtpc"), days, missing,
                                              FAST_RETRIES, find_end=True))
    assert [d.details["day"] for d in delivered] == [*(str(day) for day in DAYS), *(str(day) for day in later)]
    assert [str(d) for d in missing] == [f"2025-04-{n:02d}" for n in range(1, 20)]  # the hole, not the tail
    assert len(asked) < 80, f"{len(asked)} requests for {len(days)} days"  # one per day (278) before
    assert not [r for r in caplog.records if r.levelname == "WARNING"]
    assert any("last published day 2025-05-10" in r.getMessage() for r in caplog.records)

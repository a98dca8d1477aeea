from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from observatoire.ingestion.http import RetryPolicy

from .partner_fixture import build_partner_store

FAST_RETRIES = RetryPolicy(attempts=4, backoff_s=0.01, backoff_max_s=0.05, retry_after_max_s=1.5,
                           connect_timeout_s=2, read_timeout_s=10)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OBSERVATOIRE_HOME", str(tmp_path))
    # The gate's rules all run; only the Great Expectations evidence (seconds per call) is skipped.
    monkeypatch.setenv("OBSERVATOIRE_GATE_EVIDENCE", "0")
    return tmp_path


def connection_env(base_url: str, token: str, key: str, drop: Path) -> dict[str, str]:
    def http(password: str, prefix: str) -> str:
        return json.dumps({"conn_type": "http", "host": "127.0.0.1", "schema": "http", "password": password,
                           "extra": {"base_url": f"{base_url}{prefix}", "history_start": "2025-03-29"}})

    return {
        "AIRFLOW_CONN_OBSERVATOIRE_VILLE": http(token, "/ville"),
        "AIRFLOW_CONN_OBSERVATOIRE_SMTPC": http(key, "/smtpc"),
        "AIRFLOW_CONN_OBSERVATOIRE_METROPOLE": http("", "/metropole"),
        "AIRFLOW_CONN_OBSERVATOIRE_DROP": json.dumps({"conn_type": "fs", "extra": {"path": str(drop)}}),
    }


@pytest.fixture
def partners(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """The real simulated partner server, serving the tiny store, with the connections set."""
    from observatoire.partner_server import running_partners

    build_partner_store(home)
    with running_partners(home) as server:
        if server.releaser is not None:
            assert server.releaser.wait_released(timeout=10)
        env = connection_env(server.base_url, server.settings.city_token, server.settings.smtpc_key, home / "drop")
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield server

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from observatoire.partner_server import PartnerServer, running_partners

from .fixtures import write_store


@pytest.fixture(scope="session")
def shared_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("home")
    write_store(home)
    return home


@pytest.fixture(scope="session")
def shared_server(shared_home: Path) -> Iterator[PartnerServer]:
    """One read-only server for the API-shape tests (no drop, no faults)."""
    with running_partners(shared_home, release_drop=False) as server:
        yield server


@pytest.fixture
def server(tmp_path: Path) -> Iterator[PartnerServer]:
    """A private server for tests that change faults, the clock or the drop."""
    write_store(tmp_path)
    with running_partners(tmp_path) as running:
        yield running


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session

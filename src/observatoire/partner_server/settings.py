"""Settings of the simulated partners' server: credentials, port, clock and fault switches."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .clock import ClockSettings
from .faults import FaultSettings

DEFAULT_PORT = 8765
HOST = "127.0.0.1"
"""The server binds to loopback only: it simulates partners for local work and tests."""

DEFAULT_CITY_TOKEN = "demo-city-token"
DEFAULT_SMTPC_KEY = "demo-smtpc-key"
CITY_TOKEN_ENV = "OBSERVATOIRE_CITY_TOKEN"
SMTPC_KEY_ENV = "OBSERVATOIRE_SMTPC_KEY"

CITY_PAGE_SIZE_DEFAULT = 100
CITY_PAGE_SIZE_MAX = 500


CITY_CONNECTION_ENV = "AIRFLOW_CONN_OBSERVATOIRE_VILLE"
SMTPC_CONNECTION_ENV = "AIRFLOW_CONN_OBSERVATOIRE_SMTPC"


def connection_password(variable: str) -> str | None:
    """The password of an Airflow connection given as an environment variable (URI or JSON form)."""
    value = os.environ.get(variable, "").strip()
    if not value:
        return None
    if value.startswith("{"):
        try:
            password = json.loads(value).get("password")
        except (ValueError, AttributeError):
            return None
        return str(password) if password else None
    password = urlsplit(value).password
    return unquote(password) if password else None


def credential_source(variable: str, connection_variable: str) -> tuple[str, str]:
    """``(secret, where it came from)``: ``$OBSERVATOIRE_…``, else the Airflow connection, else the demo default."""
    if os.environ.get(variable):
        return os.environ[variable], f"from ${variable}"
    password = connection_password(connection_variable)
    if password:
        return password, f"from ${connection_variable}"
    default = DEFAULT_CITY_TOKEN if variable == CITY_TOKEN_ENV else DEFAULT_SMTPC_KEY
    return default, "demo default"


def city_token_from_env() -> str:
    return credential_source(CITY_TOKEN_ENV, CITY_CONNECTION_ENV)[0]


def smtpc_key_from_env() -> str:
    return credential_source(SMTPC_KEY_ENV, SMTPC_CONNECTION_ENV)[0]


@dataclass(frozen=True)
class ServerSettings:
    home: Path
    """``OBSERVATOIRE_HOME``: the server reads ``partners/`` and writes ``drop/`` under it."""
    port: int = DEFAULT_PORT
    """0 picks a free ephemeral port (tests)."""
    host: str = HOST
    """Bind address: loopback by default; a container serving a compose network binds 0.0.0.0."""
    city_token: str = field(default_factory=city_token_from_env, repr=False)
    smtpc_key: str = field(default_factory=smtpc_key_from_env, repr=False)
    clock: ClockSettings = field(default_factory=ClockSettings)
    faults: FaultSettings = field(default_factory=FaultSettings)
    release_drop: bool = True
    """Run the background releaser that fills ``drop/`` day by day."""
    releaser_poll_s: float = 0.2

    @property
    def partners_dir(self) -> Path:
        return self.home / "partners"

    @property
    def drop_dir(self) -> Path:
        return self.home / "drop"

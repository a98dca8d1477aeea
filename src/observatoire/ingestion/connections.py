"""Partner endpoints and credentials, read from Airflow Connections.

The embedded default gives them as ``AIRFLOW_CONN_<ID>`` environment variables (Airflow's JSON form or
URI form). Outside Airflow this module parses those variables itself; inside a task,
:func:`observatoire.ingestion.airflow_tasks.partner_connection` asks Airflow (so a connection stored in
the metadata database or a secrets backend works too) and converts it to the same dataclass.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from ..errors import BadInput

VILLE = "observatoire_ville"
SMTPC = "observatoire_smtpc"
METROPOLE = "observatoire_metropole"
DROP = "observatoire_drop"

CONNECTION_OF_PARTNER_HTTP = {"ville": VILLE, "smtpc": SMTPC, "metropole": METROPOLE}


class ConnectionMissing(BadInput):
    """A connection the ingestion needs is not configured."""


@dataclass(frozen=True)
class PartnerConnection:
    conn_id: str
    conn_type: str = "http"
    host: str | None = None
    port: int | None = None
    schema: str | None = None
    login: str | None = None
    password: str | None = field(default=None, repr=False)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        """``extra.base_url`` if given, else ``<scheme>://<host>[:<port>]``."""
        explicit = self.extra.get("base_url")
        if explicit:
            return str(explicit).rstrip("/")
        if not self.host:
            raise ConnectionMissing(
                f"connection {self.conn_id!r} has neither a host nor an extra 'base_url': "
                "set one of them (e.g. extra {\"base_url\": \"https://partner.example/api\"})"
            )
        host = self.host.rstrip("/")
        if "://" in host:
            return host if self.port is None else f"{host}:{self.port}"
        scheme = self.schema if self.schema in ("http", "https") else str(self.extra.get("scheme", "https"))
        port = f":{self.port}" if self.port else ""
        return f"{scheme}://{host}{port}"

    @property
    def secret(self) -> str:
        """The token or API key (the connection's password)."""
        return self.password or ""


def env_var_name(conn_id: str) -> str:
    return f"AIRFLOW_CONN_{conn_id.upper()}"


def _from_json(conn_id: str, text: str) -> PartnerConnection:
    payload = json.loads(text)
    if not isinstance(payload, dict):
        raise ValueError("the JSON form must be an object")
    extra = payload.get("extra") or {}
    if isinstance(extra, str):
        extra = json.loads(extra) if extra.strip() else {}
    port = payload.get("port")
    return PartnerConnection(
        conn_id=conn_id,
        conn_type=str(payload.get("conn_type") or "http"),
        host=payload.get("host"),
        port=int(str(port)) if port not in (None, "") else None,
        schema=payload.get("schema"),
        login=payload.get("login"),
        password=payload.get("password"),
        extra=dict(extra),
    )


def _from_uri(conn_id: str, text: str) -> PartnerConnection:
    parts = urlsplit(text)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    extra: dict[str, Any]
    if "__extra__" in query:
        extra = json.loads(query.pop("__extra__"))
    else:
        extra = dict(query)
    conn_type = parts.scheme.replace("-", "_")
    path = unquote(parts.path.lstrip("/")) or None
    return PartnerConnection(
        conn_id=conn_id,
        conn_type=conn_type,
        host=unquote(parts.hostname) if parts.hostname else None,
        port=parts.port,
        schema=path,
        login=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        extra=extra,
    )


def parse_connection(conn_id: str, text: str) -> PartnerConnection:
    """An ``AIRFLOW_CONN_*`` value (JSON or URI form) as a :class:`PartnerConnection`."""
    try:
        if text.lstrip().startswith("{"):
            return _from_json(conn_id, text)
        return _from_uri(conn_id, text)
    except (ValueError, TypeError) as error:
        raise BadInput(f"{env_var_name(conn_id)} is not a valid Airflow connection (JSON or URI): {error}") from error


def connection_from_env(conn_id: str) -> PartnerConnection | None:
    text = os.environ.get(env_var_name(conn_id))
    return parse_connection(conn_id, text) if text else None


def get_connection(conn_id: str) -> PartnerConnection:
    """The connection ``conn_id`` from the environment, or a message saying how to provide it."""
    connection = connection_from_env(conn_id)
    if connection is None:
        raise ConnectionMissing(
            f"the Airflow connection {conn_id!r} is not configured: set {env_var_name(conn_id)} "
            "(Airflow's JSON or URI form) or create it in Airflow"
        )
    return connection

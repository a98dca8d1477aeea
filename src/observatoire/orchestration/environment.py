"""The embedded Airflow home (DESIGN.md §8, embedded default profile).

``OBSERVATOIRE_HOME/airflow`` holds Airflow's SQLite metadata database, logs and the demo login. The
DAGs and plugins are read from the repository (``dags/``, ``plugins/``) so that a change in the code
is seen without copying anything. Partner credentials are given as ``AIRFLOW_CONN_*`` variables: the
ingestion reads the same variables inside and outside Airflow.

Everything is configured through environment variables rather than an ``airflow.cfg`` so that a
production deployment (PostgreSQL + Celery) can set its own without fighting a generated file; the
variables are also written to ``airflow/env.sh`` for operators who want to run ``airflow`` by hand.
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..config import REPO_ROOT, WAREHOUSE_POOL, Paths

ADMIN_USER = "admin"
PARTNER_HOST = "127.0.0.1"
AIRFLOW_HOME_ENV = "OBSERVATOIRE_AIRFLOW_HOME"
SIMPLE_AUTH_MANAGER = "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"


@dataclass(frozen=True)
class AirflowHome:
    path: Path

    @property
    def database(self) -> Path:
        return self.path / "airflow.db"

    @property
    def passwords_file(self) -> Path:
        return self.path / "simple_auth_manager_passwords.json"

    @property
    def secrets_file(self) -> Path:
        return self.path / "secrets.json"

    @property
    def env_file(self) -> Path:
        return self.path / "env.sh"


def airflow_home(paths: Paths) -> AirflowHome:
    """``$OBSERVATOIRE_AIRFLOW_HOME`` or ``OBSERVATOIRE_HOME/airflow``."""
    override = os.environ.get(AIRFLOW_HOME_ENV)
    return AirflowHome(Path(override).resolve() if override else paths.home / "airflow")


def _persistent_secrets(home: AirflowHome) -> dict[str, str]:
    """Secrets generated once per home and kept: sessions and logins survive a restart."""
    if home.secrets_file.exists():
        stored = json.loads(home.secrets_file.read_text())
        if isinstance(stored, dict) and {"jwt_secret", "secret_key", "fernet_key"} <= stored.keys():
            return {str(k): str(v) for k, v in stored.items()}
    import base64

    values = {
        "jwt_secret": secrets.token_urlsafe(32),
        "secret_key": secrets.token_urlsafe(32),
        # A Fernet key is 32 url-safe base64-encoded bytes.
        "fernet_key": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    }
    home.path.mkdir(parents=True, exist_ok=True)
    home.secrets_file.write_text(json.dumps(values))
    home.secrets_file.chmod(0o600)
    return values


def admin_password(home: AirflowHome) -> str:
    """The UI login's password, generated once per home and written where SimpleAuthManager reads it."""
    if home.passwords_file.exists():
        stored = json.loads(home.passwords_file.read_text())
        if isinstance(stored, dict) and stored.get(ADMIN_USER):
            return str(stored[ADMIN_USER])
    password = secrets.token_urlsafe(12)
    home.path.mkdir(parents=True, exist_ok=True)
    home.passwords_file.write_text(json.dumps({ADMIN_USER: password}))
    home.passwords_file.chmod(0o600)
    return password


def partner_history_start(paths: Paths) -> str | None:
    """First day the simulated partners hold (their store's manifest), so pulls do not probe earlier days."""
    manifest = paths.partners / "manifest.json"
    if not manifest.is_file():
        return None
    start = json.loads(manifest.read_text(encoding="utf-8")).get("start")
    return str(start) if start else None


def partner_connections(
    port: int, city_token: str, smtpc_key: str, drop: Path, history_start: str | None = None
) -> dict[str, str]:
    """The four partner connections as ``AIRFLOW_CONN_*`` values (Airflow's JSON connection format)."""

    def http(password: str, prefix: str) -> str:
        extra: dict[str, str] = {"base_url": f"http://{PARTNER_HOST}:{port}{prefix}"}
        if history_start:
            extra["history_start"] = history_start
        return json.dumps(
            {"conn_type": "http", "host": PARTNER_HOST, "port": port, "schema": "http", "password": password, "extra": extra}
        )

    return {
        "AIRFLOW_CONN_OBSERVATOIRE_VILLE": http(city_token, "/ville"),
        "AIRFLOW_CONN_OBSERVATOIRE_SMTPC": http(smtpc_key, "/smtpc"),
        "AIRFLOW_CONN_OBSERVATOIRE_METROPOLE": http("", "/metropole"),
        "AIRFLOW_CONN_OBSERVATOIRE_DROP": json.dumps({"conn_type": "fs", "extra": {"path": str(drop)}}),
    }


def airflow_environment(
    paths: Paths,
    *,
    partner_port: int | None = None,
    api_port: int = 8080,
    city_token: str | None = None,
    smtpc_key: str | None = None,
) -> dict[str, str]:
    """Every variable the embedded profile needs, for this process and the Airflow processes it starts."""
    home = airflow_home(paths)
    home.path.mkdir(parents=True, exist_ok=True)
    keys = _persistent_secrets(home)
    admin_password(home)
    env = {
        "OBSERVATOIRE_HOME": str(paths.home),
        "AIRFLOW_HOME": str(home.path),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO_ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        # Two cores shared with others: a few task processes at once is plenty.
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__FERNET_KEY": keys["fernet_key"],
        "AIRFLOW__CORE__AUTH_MANAGER": SIMPLE_AUTH_MANAGER,
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USER}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home.passwords_file),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home.database}",
        "AIRFLOW__API__SECRET_KEY": keys["secret_key"],
        "AIRFLOW__API__PORT": str(api_port),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{api_port}",
        "AIRFLOW__API_AUTH__JWT_SECRET": keys["jwt_secret"],
        # Cosmos renders the dbt project with `dbt ls` when its cache is cold: on a busy two-core machine
        # that alone can exceed Airflow's 30 s default.
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "240",
        "AIRFLOW__DAG_PROCESSOR__DAG_FILE_PROCESSOR_TIMEOUT": "300",
        # Plugins load at api-server start: a broken plugin shows at once rather than on first use.
        "AIRFLOW__CORE__LAZY_LOAD_PLUGINS": "False",
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "SCARF_ANALYTICS": "false",
        "AIRFLOW__USAGE_DATA_COLLECTION__ENABLED": "False",
    }
    already_configured = "AIRFLOW_CONN_OBSERVATOIRE_VILLE" in os.environ
    if partner_port is None and not already_configured:
        # No partner configured: the simulated partners of `observatoire serve-partners` (default port).
        from ..partner_server.settings import DEFAULT_PORT

        partner_port = DEFAULT_PORT
    if partner_port is not None:
        from ..partner_server.settings import city_token_from_env, smtpc_key_from_env

        env.update(
            partner_connections(
                partner_port,
                city_token or city_token_from_env(),
                smtpc_key or smtpc_key_from_env(),
                paths.drop,
                partner_history_start(paths),
            )
        )
    return env


def write_env_file(home: AirflowHome, env: Mapping[str, str]) -> Path:
    """``source``-able copy of the environment, for operators running ``airflow`` by hand."""
    lines = ["# Generated by observatoire: the embedded Airflow profile. source this file."]
    lines += [f"export {key}={shlex.quote(value)}" for key, value in sorted(env.items())]
    home.env_file.write_text("\n".join(lines) + "\n")
    home.env_file.chmod(0o600)
    return home.env_file


def activate(env: Mapping[str, str]) -> None:
    """Put ``env`` in this process before Airflow is imported (Airflow reads its config at import)."""
    os.environ.update(env)


def prepare_metadata_database(pool_slots: int = 1) -> None:
    """Create or migrate Airflow's metadata database and the warehouse writer pool. Idempotent."""
    from airflow.models.pool import Pool
    from airflow.utils import db

    try:
        # Already at the code's migration head: skip initdb, which re-checks every migration (slow).
        db.check_migrations(timeout=1)
    except Exception:  # noqa: BLE001 - missing or older database: create or migrate it
        db.initdb()
    # One slot: DuckDB accepts a single writing process per file (DESIGN.md §2).
    Pool.create_or_update_pool(
        name=WAREHOUSE_POOL,
        slots=pool_slots,
        description="Tasks that open warehouse.duckdb for writing (DuckDB allows one writer).",
        include_deferred=False,
    )

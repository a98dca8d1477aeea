"""docker-compose.yml, Dockerfile and .env.example: they parse, follow the rules of the production
profile, pass the Compose specification's schema, and agree with what the native proof runs."""

from __future__ import annotations

import importlib.util
import json
import os
import re
from pathlib import Path

import pytest
import yaml

from observatoire.config import REPO_ROOT, WAREHOUSE_POOL
from observatoire.production import compose
from observatoire.production.stack import (
    IMAGE_LOCATION_KEYS,
    NATIVE_ONLY_KEYS,
    ProductionStack,
    StackSettings,
)

pytestmark = pytest.mark.production

REQUIRED_SECRETS = {
    "POSTGRES_PASSWORD",
    "AIRFLOW_FERNET_KEY",
    "AIRFLOW_JWT_SECRET",
    "AIRFLOW_API_SECRET_KEY",
    "OBSERVATOIRE_ADMIN_PASSWORD",
}
LONG_RUNNING = {"airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer", "airflow-worker"}


@pytest.fixture(scope="module")
def document() -> dict:
    return compose.load()


@pytest.fixture(scope="module")
def variables() -> dict[str, str]:
    """.env.example with its required secrets filled, as an operator would."""
    values = compose.env_example()
    for name in REQUIRED_SECRETS:
        values[name] = f"test-{name.lower()}"
    return values


def test_interpolation_follows_the_compose_rules():
    env = {"SET": "x", "EMPTY": ""}
    assert compose.interpolate("a${SET}b$SET", env) == "axbx"
    assert compose.interpolate("${UNSET:-d} ${EMPTY:-d} ${EMPTY-d} ${UNSET-d}", env) == "d d  d"
    assert compose.interpolate("$${SET} $$HOME", env) == "${SET} $HOME"
    with pytest.raises(compose.MissingVariable, match="EMPTY: set it"):
        compose.interpolate("${EMPTY:?set it}", env)
    assert compose.interpolate("${EMPTY?set it}", env) == ""


def test_compose_file_has_every_component(document):
    services = document["services"]
    assert {"postgres", "redis", "airflow-init", "flower", "partners"} | LONG_RUNNING <= set(services)
    assert services["flower"]["profiles"] == ["flower"]
    assert services["partners"]["profiles"] == ["demo"]
    assert {"observatoire-home", "airflow-logs", "postgres-db"} <= set(document["volumes"])
    for name in ("postgres", "redis", *LONG_RUNNING, "flower", "partners"):
        assert "healthcheck" in services[name], f"{name} has no health check"
    # Scalable workers: no fixed container name or host port on the worker service.
    worker = services["airflow-worker"]
    assert "container_name" not in worker and "ports" not in worker


def test_airflow_services_share_the_common_block(document):
    common = document[compose.COMMON_BLOCK]
    for name in compose.AIRFLOW_SERVICES:
        service = document["services"][name]
        assert service["image"] == common["image"], name
        assert service["volumes"] == common["volumes"], name
        assert common["environment"].items() <= service["environment"].items(), name
        assert service.get("user") == "50000:0", f"{name} must run as the image's non-root user"


def test_common_block_is_the_celery_production_configuration(document, variables):
    env = compose.common_environment(document, variables)
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://airflow:")
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql://")
    assert env["AIRFLOW__CELERY__BROKER_URL"] == "redis://redis:6379/0"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"
    assert env["AIRFLOW__API_AUTH__JWT_SECRET"] == "test-airflow_jwt_secret"
    assert env["AIRFLOW__CORE__AUTH_MANAGER"].endswith("FabAuthManager")
    assert env["AIRFLOW__COSMOS__ENABLE_TELEMETRY"] == "False"
    for conn in ("VILLE", "SMTPC", "METROPOLE", "DROP"):
        json.loads(env[f"AIRFLOW_CONN_OBSERVATOIRE_{conn}"])  # the .env.example values are valid JSON
    assert "_PIP_ADDITIONAL_REQUIREMENTS" not in compose.COMPOSE_FILE.read_text()


def test_env_example_connections_parse_like_the_embedded_profile(tmp_path):
    """The demo connections use the same fields as the embedded profile's, and the package reads them."""
    from observatoire.ingestion.connections import parse_connection
    from observatoire.orchestration.environment import partner_connections

    example = compose.env_example()
    embedded = partner_connections(8765, "t", "k", tmp_path, history_start="2026-01-01")
    for variable, value in embedded.items():
        ours = json.loads(example[variable])
        assert ours["conn_type"] == json.loads(value)["conn_type"]
        assert set(ours.get("extra", {})) <= set(json.loads(value).get("extra", {}))
        connection = parse_connection(variable.removeprefix("AIRFLOW_CONN_").lower(), example[variable])
        if connection.conn_type == "http":
            prefix = variable.rsplit("_", 1)[1].lower()
            assert connection.base_url == f"http://partners:8765/{prefix}"
        else:
            assert connection.extra["path"] == "/var/lib/observatoire/drop"


def test_required_secrets_are_enforced_and_none_is_committed(document):
    used = compose.variables_in(document)
    for name in REQUIRED_SECRETS:
        assert used.get(name) == ":?", f"{name} must be required with ${{{name}:?...}}"
    example = compose.env_example()
    for name in REQUIRED_SECRETS:
        assert example.get(name) == "", f".env.example must leave {name} empty"
    with pytest.raises(compose.MissingVariable):
        compose.common_environment(document, example)


def test_every_variable_is_documented_in_env_example(document):
    # $${HOSTNAME} in health checks is the container's own variable, escaped from Compose: not listed.
    assert set(compose.variables_in(document)) - set(compose.env_example()) == set()


def test_init_and_pool_name_agree_with_the_package(document):
    init = compose.service(document, "airflow-init", compose.env_example() | {n: "x" for n in REQUIRED_SECRETS})
    script = Path(compose.native_argv(init.command)[-1])
    assert script.is_file()
    text = script.read_text()
    assert f'pool_name="{WAREHOUSE_POOL}"' in text
    assert "airflow db migrate" in text and "airflow users create" in text and "airflow pools set" in text


def test_native_plan_runs_what_the_compose_file_says(document, tmp_path, monkeypatch):
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", "LocalExecutor")  # a developer's shell must not leak in
    monkeypatch.setenv("OBSERVATOIRE_HOME", "/somewhere/else")
    """The native proof's processes: the compose commands and environments, with only the per-host
    differences (ports, loopback binds, Celery node names) and the image's locations changed."""
    stack = ProductionStack(StackSettings(work_dir=tmp_path, workers=2))
    stack.redis_db = 9
    plan = stack.build_plan()
    common = plan.common_env
    assert common == compose.common_environment(document, plan.variables)

    by_service: dict[str, list] = {}
    for process in [plan.init, *plan.processes]:
        service_name = re.sub(r"-\d+$", "", process.name)
        by_service.setdefault(service_name, []).append(process)
    assert set(by_service) == {"airflow-init", "partners"} | LONG_RUNNING
    assert len(by_service["airflow-worker"]) == 2

    for service_name, processes in by_service.items():
        svc = compose.service(document, service_name, plan.variables)
        for process in processes:
            expected_argv = compose.native_argv(svc.command)
            assert process.argv[: len(expected_argv)] == expected_argv
            extra = process.argv[len(expected_argv) :]
            assert extra == [] or (service_name == "airflow-worker" and extra[0] == "--celery-hostname")
            for key, value in svc.environment.items():
                if key in NATIVE_ONLY_KEYS:
                    continue
                assert process.env.get(key) == value, f"{process.name}: {key}"
            # Any Airflow or Observatoire setting beyond the compose file's is a per-host one or an image
            # location; nothing inherited from the developer's shell slips in.
            extra_settings = {
                key
                for key in process.env
                if key.startswith(("AIRFLOW", "OBSERVATOIRE_")) and key not in svc.environment
            }
            assert extra_settings <= NATIVE_ONLY_KEYS | set(IMAGE_LOCATION_KEYS), process.name
    # The native run binds the partners to loopback; the container binds the compose network.
    partners = by_service["partners"][0]
    assert partners.env["OBSERVATOIRE_PARTNERS_BIND"] == ""
    assert document["services"]["partners"]["environment"]["OBSERVATOIRE_PARTNERS_BIND"] == "0.0.0.0"
    # Executors and the Task Execution API URL point at this host's api-server.
    assert common["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == f"{stack.api_url}/execution/"
    assert common["AIRFLOW__CELERY__BROKER_URL"].endswith("/9")


def test_dockerfile_builds_from_the_lock_as_a_non_root_user():
    text = compose.DOCKERFILE.read_text()
    instructions = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    assert re.search(r"^FROM python:3\.11-slim|ARG PYTHON_IMAGE=python:3\.11-slim", text, re.MULTILINE)
    assert "--require-hashes" in text and "requirements/runtime.lock" in text
    assert "_PIP_ADDITIONAL_REQUIREMENTS" not in instructions
    users = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert users and users[-1] not in {"root", "0"}
    assert "dbt parse" in text and "duckdb_extension_spatial" in text
    env = compose.dockerfile_env()
    assert set(IMAGE_LOCATION_KEYS) <= set(env)
    volumes = {v.split(":", 1)[1] for v in yaml.safe_load(compose.COMPOSE_FILE.read_text())[compose.COMMON_BLOCK]["volumes"]}
    assert env["OBSERVATOIRE_HOME"] in volumes, "the data root must be the shared named volume"
    assert f"{env['AIRFLOW_HOME']}/logs" in volumes
    for path in ("dags", "plugins", "dbt_project", "expectations", "deploy", "src", "requirements/runtime.lock"):
        assert (REPO_ROOT / path).exists(), path


def test_dockerignore_keeps_secrets_and_local_state_out():
    ignored = (REPO_ROOT / ".dockerignore").read_text().splitlines()
    for entry in (".env", ".venv", "var", ".git"):
        assert entry in ignored


def _compose_schema_path() -> Path | None:
    explicit = os.environ.get("OBSERVATOIRE_COMPOSE_SCHEMA")
    if explicit:
        return Path(explicit)
    spec = importlib.util.find_spec("check_jsonschema")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "builtin_schemas" / "vendor" / "compose-spec.json"
    return path if path.exists() else None


def test_compose_file_passes_the_compose_specification_schema():
    """The Compose specification's JSON schema, as vendored by the check-jsonschema package."""
    import jsonschema

    schema_path = _compose_schema_path()
    assert schema_path is not None, "check-jsonschema (which ships compose-spec.json) is missing from the environment"
    schema = json.loads(schema_path.read_text())
    validator_class = jsonschema.validators.validator_for(schema)
    errors = sorted(validator_class(schema).iter_errors(compose.load()), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors)

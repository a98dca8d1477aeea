"""Read ``docker-compose.yml`` and the ``Dockerfile`` as the single source of the production settings.

The native proof (:mod:`observatoire.production.stack`) does not restate any Airflow setting: it takes
the environment of the compose file's ``x-airflow-common`` block and each service's command from here,
and only supplies the ``${VARIABLES}`` (as an operator's ``.env`` would) with the local PostgreSQL and
Redis. The interpolation below follows the Compose specification's rules for the forms the file uses.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..config import REPO_ROOT

COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
DOCKERFILE = REPO_ROOT / "Dockerfile"
ENV_EXAMPLE = REPO_ROOT / ".env.example"
COMMON_BLOCK = "x-airflow-common"
IMAGE_APP_DIR = "/opt/observatoire"
"""Where the image lays out the repository; native runs map it back to the checkout."""

AIRFLOW_SERVICES = (
    "airflow-init",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
    "flower",
    "partners",
)
"""Services built on the common block (they share its image, environment and volumes)."""

_VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


class MissingVariable(ValueError):
    """A ``${VAR:?message}`` whose variable is not set, as ``docker compose`` would refuse it."""


def interpolate(text: str, variables: Mapping[str, str]) -> str:
    """Substitute ``$VAR``, ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``, ``${VAR:?err}``,
    ``${VAR?err}`` and ``$$`` in ``text`` the way Compose does."""

    def replace(match: re.Match[str]) -> str:
        if match.group("escaped"):
            return "$"
        name = match.group("braced") or match.group("bare")
        op, arg = match.group("op"), match.group("arg") or ""
        value = variables.get(name)
        unset_or_empty = value is None or value == ""
        if op == ":-":
            return arg if unset_or_empty else str(value)
        if op == "-":
            return arg if value is None else str(value)
        if op == ":?" and unset_or_empty:
            raise MissingVariable(f"{name}: {arg or 'required'}")
        if op == "?" and value is None:
            raise MissingVariable(f"{name}: {arg or 'required'}")
        return "" if value is None else str(value)

    return _VARIABLE.sub(replace, text)


def variables_used(text: str) -> dict[str, str | None]:
    """Every variable named in ``text`` with its operator (``:-``, ``:?`` ...) or None when bare."""
    found: dict[str, str | None] = {}
    for match in _VARIABLE.finditer(text):
        name = match.group("braced") or match.group("bare")
        if name:
            op = match.group("op")
            # A variable required anywhere is required.
            if found.get(name) not in (":?", "?"):
                found[name] = op
    return found


def variables_in(document: Any) -> dict[str, str | None]:
    """:func:`variables_used` over every string value of a loaded compose file (comments excluded,
    as Compose interpolates values only)."""
    found: dict[str, str | None] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str):
            for name, op in variables_used(node).items():
                if found.get(name) not in (":?", "?"):
                    found[name] = op

    walk(document)
    return found


def load(path: Path = COMPOSE_FILE) -> dict[str, Any]:
    """The compose file as data, anchors and ``<<`` merge keys resolved (PyYAML's safe loader)."""
    document = yaml.safe_load(path.read_text())
    if not isinstance(document, dict) or "services" not in document:
        raise ValueError(f"{path} is not a compose file (no 'services')")
    return document


def _environment(raw: Any, variables: Mapping[str, str]) -> dict[str, str]:
    if raw is None:
        return {}
    if isinstance(raw, list):  # the "KEY=value" list form
        pairs = (item.split("=", 1) for item in raw)
        raw = {key: value for key, value in pairs}
    return {str(key): interpolate("" if value is None else str(value), variables) for key, value in raw.items()}


@dataclass(frozen=True)
class Service:
    name: str
    command: tuple[str, ...]
    environment: dict[str, str] = field(default_factory=dict)
    """The service's full environment (common block merged in), interpolated."""
    profiles: tuple[str, ...] = ()


def common_environment(document: Mapping[str, Any], variables: Mapping[str, str]) -> dict[str, str]:
    """The ``x-airflow-common`` environment with ``variables`` substituted."""
    return _environment(document[COMMON_BLOCK].get("environment"), variables)


def service(document: Mapping[str, Any], name: str, variables: Mapping[str, str]) -> Service:
    spec = document["services"][name]
    command = spec.get("command")
    if isinstance(command, str):
        raise ValueError(f"service {name}: give the command in list form, not a shell string")
    return Service(
        name=name,
        command=tuple(interpolate(str(part), variables) for part in (command or ())),
        environment=_environment(spec.get("environment"), variables),
        profiles=tuple(spec.get("profiles") or ()),
    )


def native_argv(command: tuple[str, ...], repo_root: Path = REPO_ROOT) -> list[str]:
    """A service's command for a native run: paths inside the image map back to the checkout."""
    return [
        str(repo_root) + part[len(IMAGE_APP_DIR) :] if part.startswith(IMAGE_APP_DIR + "/") else part
        for part in command
    ]


def dockerfile_env(path: Path = DOCKERFILE) -> dict[str, str]:
    """The ``ENV key=value`` settings of the final stage of the Dockerfile (continuation lines joined)."""
    text = re.sub(r"\\\n", " ", path.read_text())
    stages = re.split(r"(?m)^FROM\s", text)
    env: dict[str, str] = {}
    for line in stages[-1].splitlines():
        if line.startswith("ENV "):
            for key, value in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=(\S+)", line[4:]):
                env[key] = value
    return env


def env_example(path: Path = ENV_EXAMPLE) -> dict[str, str]:
    """``.env.example`` as a mapping (comments skipped, one level of quotes removed)."""
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values

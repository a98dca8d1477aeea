"""dbt test fixtures: one dbt build per session on a small raw warehouse (tests/dbt/dbt_raw_fixture.py).

dbt runs in-process through its programmatic entry point (``dbt.cli.main.dbtRunner``), on a temporary
DuckDB file named by ``OBSERVATOIRE_WAREHOUSE`` (profiles.yml reads it), with its target and logs in a
temporary directory so that the repository stays clean.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from observatoire.config import dbt_project_dir

try:  # tests/ is a package (tests.dbt), or tests/dbt is on sys.path
    from .dbt_raw_fixture import build_raw_warehouse
except ImportError:  # pragma: no cover
    from dbt_raw_fixture import build_raw_warehouse  # type: ignore[no-redef]


@dataclass
class DbtBuild:
    warehouse: Path
    target: Path
    result: object
    partners: Path | None = None

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        import duckdb

        con = duckdb.connect(str(self.warehouse), read_only=True)
        try:
            con.execute("set timezone = 'UTC'")
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()


@contextmanager
def warehouse_env(warehouse: Path) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in ("OBSERVATOIRE_WAREHOUSE", "OBSERVATOIRE_DBT_THREADS")}
    os.environ["OBSERVATOIRE_WAREHOUSE"] = str(warehouse)
    os.environ.setdefault("OBSERVATOIRE_DBT_THREADS", "2")
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_dbt(args: list[str], warehouse: Path, target: Path):
    """Invoke dbt in-process on ``warehouse``; returns the dbtRunnerResult."""
    from dbt.cli.main import dbtRunner

    project = dbt_project_dir()
    with warehouse_env(warehouse):
        try:
            return dbtRunner().invoke(
                [
                    *args,
                    "--project-dir", str(project),
                    "--profiles-dir", str(project),
                    "--target-path", str(target),
                    "--log-path", str(target / "logs"),
                    "--quiet",
                ]
            )  # fmt: skip
        finally:
            release_warehouse()


def release_warehouse() -> None:
    """dbt-duckdb keeps its DuckDB connection open in the process after a run; close it so that the
    tests (and the next run) can open the file with their own configuration."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    environment = getattr(DuckDBConnectionManager, "_ENV", None)
    if environment is not None:
        environment.close()
    DuckDBConnectionManager.close_all_connections()


@pytest.fixture(scope="session")
def dbt_build(tmp_path_factory: pytest.TempPathFactory) -> DbtBuild:
    root = tmp_path_factory.mktemp("dbt_fixture")
    warehouse = root / "warehouse" / "warehouse.duckdb"
    build_raw_warehouse(warehouse)
    target = root / "target"
    result = run_dbt(["build"], warehouse, target)
    return DbtBuild(warehouse=warehouse, target=target, result=result)


@pytest.fixture(scope="session")
def generated_build(tmp_path_factory: pytest.TempPathFactory) -> DbtBuild:
    """Three years of generated partner data (or ``$OBSERVATOIRE_TEST_PARTNERS``), loaded and built."""
    from datetime import date

    from .dbt_partners_store import load_store

    root = tmp_path_factory.mktemp("dbt_generated")
    partners_env = os.environ.get("OBSERVATOIRE_TEST_PARTNERS")
    if partners_env:
        partners = Path(partners_env)
    else:
        from observatoire.simulation.generator import generate

        partners = root / "partners"
        generate(date(2022, 1, 1), date(2024, 12, 31), 42, 1.0, partners)
    warehouse = root / "warehouse" / "warehouse.duckdb"
    load_store(partners, warehouse)
    target = root / "target"
    result = run_dbt(["build"], warehouse, target)
    return DbtBuild(warehouse=warehouse, target=target, result=result, partners=partners)

"""Where Observatoire keeps its data, and the few settings every component shares.

Everything the platform writes lives under ``OBSERVATOIRE_HOME`` (default ``./var``):

- ``partners/``   the simulated partners' own stores (what they *would* serve; never read by the pipeline)
- ``drop/``       the file-drop directory partners write into (Préfecture, police activity)
- ``landing/``    immutable deliveries, one folder per delivery with its manifest
- ``quarantine/`` rejected deliveries and rows, each with a machine-readable reason
- ``warehouse/``  ``warehouse.duckdb``, the single-writer working database
- ``published/``  ``observatoire.duckdb``, the read-only file consumers open
- ``docs/``       dbt docs, Great Expectations Data Docs, the transparency notice
- ``state/``      connector watermarks and other small bookkeeping files
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
TIMEZONE = "Europe/Paris"
WAREHOUSE_POOL = "duckdb_warehouse_writer"


@dataclass(frozen=True)
class Paths:
    home: Path

    @property
    def partners(self) -> Path:
        return self.home / "partners"

    @property
    def drop(self) -> Path:
        return self.home / "drop"

    @property
    def landing(self) -> Path:
        return self.home / "landing"

    @property
    def quarantine(self) -> Path:
        return self.home / "quarantine"

    @property
    def warehouse_dir(self) -> Path:
        return self.home / "warehouse"

    @property
    def warehouse(self) -> Path:
        return self.warehouse_dir / "warehouse.duckdb"

    @property
    def published_dir(self) -> Path:
        return self.home / "published"

    @property
    def published(self) -> Path:
        return self.published_dir / "observatoire.duckdb"

    @property
    def docs(self) -> Path:
        return self.home / "docs"

    @property
    def state(self) -> Path:
        return self.home / "state"

    def ensure(self) -> Paths:
        for directory in (
            self.landing,
            self.quarantine,
            self.warehouse_dir,
            self.published_dir,
            self.docs,
            self.state,
        ):
            directory.mkdir(parents=True, exist_ok=True)
        return self


def home() -> Path:
    """The data root: ``$OBSERVATOIRE_HOME`` or ``./var`` relative to the current directory."""
    return Path(os.environ.get("OBSERVATOIRE_HOME", "var")).resolve()


def paths() -> Paths:
    return Paths(home())


def dbt_project_dir() -> Path:
    return Path(os.environ.get("OBSERVATOIRE_DBT_PROJECT", REPO_ROOT / "dbt_project")).resolve()

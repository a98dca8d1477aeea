"""Atomic materialisation of the index's tables and of the fitted encoder artefact."""

from __future__ import annotations

import os
import platform
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import joblib
import numpy as np
import pandas as pd
import sklearn

from .. import __version__

SCHEMA = "marts"


def replace_tables(
    con: duckdb.DuckDBPyConnection, tables: dict[str, pd.DataFrame], schema: str = SCHEMA
) -> None:
    """Write every table to a staging name, then swap them all in one transaction.

    A reader sees either all the previous tables or all the new ones; a failure leaves the previous
    ones untouched (the staging tables are dropped)."""
    con.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    staged: list[str] = []
    try:
        for name, frame in tables.items():
            stage = f"__staging_{name}"
            view = f"__frame_{name}"
            con.register(view, frame)
            con.execute(f'CREATE OR REPLACE TABLE "{schema}"."{stage}" AS SELECT * FROM "{view}"')
            con.unregister(view)
            staged.append(stage)
        con.execute("BEGIN TRANSACTION")
        try:
            for name in tables:
                con.execute(f'DROP TABLE IF EXISTS "{schema}"."{name}"')
                con.execute(f'ALTER TABLE "{schema}"."__staging_{name}" RENAME TO "{name}"')
            con.execute("COMMIT")
        except duckdb.Error:
            con.execute("ROLLBACK")
            raise
    finally:
        for stage in staged:
            con.execute(f'DROP TABLE IF EXISTS "{schema}"."{stage}"')


def library_versions() -> dict[str, str]:
    return {
        "observatoire": __version__,
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "duckdb": duckdb.__version__,
    }


def save_artefact(path: Path, payload: dict[str, Any]) -> Path:
    """joblib dump written beside its destination and moved in place (never a half-written file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {**payload, "versions": library_versions(), "saved_at": datetime.now(UTC).isoformat()}
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        joblib.dump(payload, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def load_artefact(path: Path) -> dict[str, Any]:
    payload: dict[str, Any] = joblib.load(path)
    return payload

"""Atomic materialisation of the index's tables and of the fitted encoder artefact."""

from __future__ import annotations

import os
import platform
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class Edit:
    """A statement run inside the swap's transaction, e.g. to delete and insert rows of a large table
    instead of rewriting it. ``frames`` are registered as views while it runs."""

    sql: str
    params: tuple[Any, ...] = ()
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)


TableName = str | tuple[str, str]
"""``name`` (in the default schema) or ``(schema, name)``."""


def replace_tables(
    con: duckdb.DuckDBPyConnection,
    tables: Mapping[TableName, pd.DataFrame],
    schema: str = SCHEMA,
    edits: Sequence[Edit] = (),
) -> None:
    """Write every table to a staging name, then swap them all, and run the edits, in one transaction.

    A reader sees either all the previous tables or all the new ones; a failure leaves the previous
    ones untouched (the staging tables are dropped)."""
    targets = [(name if isinstance(name, tuple) else (schema, name), frame) for name, frame in tables.items()]
    staged: list[tuple[str, str]] = []
    try:
        for (target_schema, name), frame in targets:
            con.execute(f'CREATE SCHEMA IF NOT EXISTS "{target_schema}"')
            stage = f"__staging_{name}"
            staged.append((target_schema, stage))
            view = f"__frame_{name}"
            con.register(view, frame)
            try:
                con.execute(f'CREATE OR REPLACE TABLE "{target_schema}"."{stage}" AS SELECT * FROM "{view}"')
            finally:
                con.unregister(view)
        con.execute("BEGIN TRANSACTION")
        try:
            for edit in edits:
                for view, frame in edit.frames.items():
                    con.register(view, frame)
                try:
                    con.execute(edit.sql, list(edit.params))
                finally:
                    for view in edit.frames:
                        con.unregister(view)
            for (target_schema, name), _ in targets:
                con.execute(f'DROP TABLE IF EXISTS "{target_schema}"."{name}"')
                con.execute(f'ALTER TABLE "{target_schema}"."__staging_{name}" RENAME TO "{name}"')
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        for target_schema, stage in staged:
            con.execute(f'DROP TABLE IF EXISTS "{target_schema}"."{stage}"')


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

"""A small clean published file built from expectations/published_tables.yml, and ways to poison it."""

from __future__ import annotations

from pathlib import Path

import duckdb

from observatoire.privacy.rules import published_rules

from .conftest import TRAP_TEXTS

TEXT_HINTS = ("id", "nature", "name", "label", "kind", "type", "status", "partners", "ids", "parameter",
              "axis", "unit", "description", "outcome", "method", "metric", "version", "hash", "summary",
              "fingerprint", "snapshot", "arrondissements", "code", "rows_per_table", "cells_suppressed",
              "detail", "fr", "en", "source", "method", "label", "kind")  # fmt: skip


def column_type(name: str) -> str:
    if name.endswith("_at") or name.startswith(("period_", "overlap_starts", "overlap_ends")):
        return "TIMESTAMPTZ"
    if name.startswith(("is_", "took_")) or name.endswith(("_imputed", "_suppressed", "_passed", "_flag")):
        return "BOOLEAN"
    if (
        name in ("latitude", "longitude")
        or name.endswith(("_pct", "_hours", "_m2", "_km2", "_m"))
        or name in ("similarity", "d2", "value")
    ):
        return "DOUBLE"
    if any(name == h or name.endswith("_" + h) or name.startswith(h + "_") for h in TEXT_HINTS):
        return "VARCHAR"
    return "BIGINT"


def _value(name: str, duck_type: str, i: int) -> str:
    if duck_type == "TIMESTAMPTZ":
        return f"TIMESTAMPTZ '2025-07-{1 + i % 28:02d} 20:00:00+00'"
    if duck_type == "BOOLEAN":
        return "FALSE"
    if duck_type == "DOUBLE":
        return f"{43.2 + i / 1000:.6f}" if name == "latitude" else f"{5.3 + i / 977:.12f}"
    if duck_type == "VARCHAR":
        text = (
            TRAP_TEXTS[i % len(TRAP_TEXTS)]
            if name in ("place_name", "description", "label_fr", "conflicting_label")
            else f"{name[:3].upper()}-{i:06d}"
        )
        return "'" + text.replace("'", "''") + "'"
    return str(0 if i % 2 else 5 + i)  # counts: 0 or at least k


def build_clean_published(path: Path, rows: int = 20) -> Path:
    con = duckdb.connect(str(path))
    try:
        for table, spec in published_rules().tables.items():
            columns = list(spec.columns)
            types = [column_type(c) for c in columns]
            con.execute(
                f"CREATE TABLE {table} ("
                + ", ".join(f'"{c}" {t}' for c, t in zip(columns, types, strict=True))
                + ")"
            )
            values = ", ".join(
                "(" + ", ".join(_value(c, t, i) for c, t in zip(columns, types, strict=True)) + ")"
                for i in range(rows)
            )
            con.execute(f"INSERT INTO {table} VALUES {values}")
    finally:
        con.close()
    return path

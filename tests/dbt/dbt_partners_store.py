"""Load a partners' store written by ``observatoire generate`` straight into ``raw.*`` (test helper).

The real path is the ingestion DAGs (pull, land, gate, load); the dbt tests only need the same raw tables
(contract fields, ``Field.duckdb_type``, UTC timestamps, ``_delivery_id``, ``_loaded_at``, latest version
of each key), so this reads the store's wire formats directly with DuckDB, fast enough for 10 years.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from observatoire.contracts import CONTRACTS, Contract

try:  # tests/ is a package (tests.dbt), or tests/dbt is on sys.path
    from .dbt_raw_fixture import create_raw_tables
except ImportError:  # pragma: no cover
    from dbt_raw_fixture import create_raw_tables  # type: ignore[no-redef]

LOADED_AT = "2025-01-01 00:00:00+00"


def _select_list(contract: Contract, source_alias: str = "s") -> str:
    parts = []
    for field in contract.fields:
        column = f'{source_alias}."{field.name}"'
        if field.type == "timestamp" and contract.wire.timestamp_format:
            # Préfecture: naive dd/mm/yyyy HH:MM Europe/Paris -> instant
            expr = (
                f"timezone('{contract.wire.timestamp_timezone}', "
                f"strptime(nullif(cast({column} as varchar), ''), '%d/%m/%Y %H:%M'))"
            )
        elif field.type == "float" and contract.wire.decimal == ",":
            expr = f"cast(replace(nullif(cast({column} as varchar), ''), ',', '.') as DOUBLE)"
        elif contract.wire.format == "csv":
            expr = f"cast(nullif(cast({column} as varchar), '') as {field.duckdb_type})"
        else:
            expr = f"cast({column} as {field.duckdb_type})"
        parts.append(f'{expr} as "{field.name}"')
    return ", ".join(parts)


def _utf8_copy(path: Path, encoding: str, scratch: Path) -> Path:
    """DuckDB reads UTF-8 (and strict latin-1): transcode cp1252 daily files into ``scratch``."""
    target = scratch / path.name
    target.mkdir(parents=True, exist_ok=True)
    for file in sorted(path.glob("*.csv")):
        (target / file.name).write_text(file.read_bytes().decode(encoding), encoding="utf-8")
    return target


def _source(contract: Contract, path: Path, scratch: Path) -> str:
    names = ", ".join(f"'{f.name}': 'VARCHAR'" for f in contract.fields)
    if contract.wire.format == "json":
        return f"read_json('{path}', format='newline_delimited', columns={{{names}}})"
    if contract.wire.encoding.lower().replace("-", "") != "utf8":
        path = _utf8_copy(path, contract.wire.encoding, scratch)
    return (
        f"read_csv('{path}/*.csv', delim='{contract.wire.delimiter}', header=true, columns={{{names}}}, "
        f"filename=true, quote='\"', escape='\"')"
    )


def load_store(partners: Path, warehouse: Path) -> dict[str, int]:
    """Fill ``raw.*`` of ``warehouse`` from the store at ``partners``; returns the row count per table."""
    from observatoire.simulation.generator import STORE_PATHS

    warehouse.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse))
    counts: dict[str, int] = {}
    try:
        con.execute("set timezone = 'UTC'")
        create_raw_tables(con)
        for table, contract in CONTRACTS.items():
            path = partners / STORE_PATHS[table]
            if not path.exists():
                counts[table] = 0
                continue
            source = _source(contract, path, warehouse.parent / "store_utf8")
            keys = ", ".join(f'"{k}"' for k in contract.key)
            # latest version of each key wins: later file (csv), later updated_field, later line
            order = []
            if contract.wire.format == "csv":
                order.append("s.filename desc")
            if contract.updated_field:
                order.append(f'"{contract.updated_field}" desc')
            order_by = ", ".join(order) or "1"
            con.execute(
                f"""
                insert into {contract.qualified_table}
                select * exclude (_rank) from (
                    select {_select_list(contract)}, 'store' as _delivery_id,
                           timestamptz '{LOADED_AT}' as _loaded_at,
                           row_number() over (partition by {', '.join(f's."{k}"' for k in contract.key)}
                                              order by {order_by}) as _rank
                    from {source} as s
                ) where _rank = 1
                """
            )
            counts[table] = con.execute(f"select count(*) from {contract.qualified_table}").fetchone()[0]
            _ = keys
    finally:
        con.close()
    return counts


if __name__ == "__main__":  # pragma: no cover
    import sys
    import time

    clock = time.perf_counter()
    print(load_store(Path(sys.argv[1]), Path(sys.argv[2])))
    print(f"{time.perf_counter() - clock:.1f}s")

"""The end of ``observatoire demo`` / ``run``: what was built, and similar past events of a planned event."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from ..config import TIMEZONE, Paths
from ..publish import read_publish_log
from .environment import ADMIN_USER, admin_password, airflow_home

SAMPLE_VENUE = "Orange Vélodrome"


def next_saturday_evening(today: date | None = None) -> datetime:
    today = today or date.today()
    days = (5 - today.weekday()) % 7 or 7
    return datetime.combine(today + timedelta(days=days), time(21, 0), tzinfo=ZoneInfo(TIMEZONE))


def sample_planned_event(k: int = 5) -> Any:
    """An OM home match at the Vélodrome next Saturday evening."""
    from ..similarity import PlannedEvent

    return PlannedEvent(
        nature="match_football",
        starts_at=next_saturday_evening(),
        duration_hours=3.0,
        participants=60000,
        place=SAMPLE_VENUE,
        k=k,
    )


def _rows(published: Any) -> dict[str, int]:
    with duckdb.connect(str(published), read_only=True) as con:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' ORDER BY table_name"
            ).fetchall()
        ]
        counts: dict[str, int] = {}
        for table in tables:
            row = con.execute(f'SELECT count(*) FROM main."{table}"').fetchone()
            counts[table] = int(row[0]) if row else 0
        return counts


def print_summary(paths: Paths, report: Any, progress: Any, *, sample_k: int) -> None:
    out = progress.stream
    published = paths.published
    print("", file=out)
    print("=" * 78, file=out)
    print(f"Done in {progress.elapsed:.0f}s. DAG runs:", file=out)
    for outcome in report.dag_outcomes:
        print(f"  {outcome.dag_id:<28} {outcome.state:<8} {outcome.seconds:6.1f}s", file=out)
    if not published.exists():
        print("Nothing published.", file=out)
        return
    print(f"\nPublished file (open it with `duckdb -readonly {published}`):", file=out)
    for table, count in _rows(published).items():
        print(f"  {table:<28} {count:>10,} rows", file=out)
    entries = read_publish_log(published)
    if entries:
        last = entries[-1]
        gate = json.loads(last["gate_summary"]) if isinstance(last["gate_summary"], str) else last["gate_summary"]
        print(f"\nPublication {last['run_id']} at {last['published_at']}:", file=out)
        print(f"  publish gate: {'PASSED' if last['gate_passed'] else 'FAILED'} — {gate.get('message', '')}", file=out)
        print(f"  small cells suppressed: {last['cells_suppressed']}", file=out)
        print(f"  similarity index fingerprint: {last['index_fingerprint']}", file=out)
        print(f"  data snapshot: {last['data_snapshot']}; publications so far: {len(entries)}", file=out)
    docs = paths.docs
    print("\nDocumentation:", file=out)
    for label, sub in (("dbt docs", "dbt"), ("Data Docs (GX)", "data_docs"), ("transparency notice", "transparency")):
        where = docs / sub
        print(f"  {label:<20} {where}{'' if where.exists() else '  (missing)'}", file=out)
    home = airflow_home(paths)
    print(
        f"\nAirflow UI: `observatoire airflow-ui` → http://127.0.0.1:8080 "
        f"(login {ADMIN_USER} / {admin_password(home)}; DAGs, assets, Observatoire pages)",
        file=out,
    )
    if sample_k > 0:
        _print_sample(published, out, sample_k)


def _print_sample(published: Any, out: Any, k: int) -> None:
    from ..similarity import query_planned_event
    from ..similarity.report import format_result

    planned = sample_planned_event(k)
    print(f"\nSimilar past events of a planned OM match at the {SAMPLE_VENUE}, next Saturday evening:", file=out)
    print(f"(same query: observatoire similar --place \"{SAMPLE_VENUE}\" --nature match_football "
          f"--participants 60000 --start \"{next_saturday_evening():%Y-%m-%d %H:%M}\" --duration 3 --k {k})", file=out)
    print(format_result(query_planned_event(published, planned)), file=out)

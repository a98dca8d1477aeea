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


def sample_planned_event() -> dict[str, Any]:
    """An OM home match at the Vélodrome next Saturday evening."""
    from ..geography import venue

    place = venue(SAMPLE_VENUE)
    return {
        "nature": "match_football",
        "place_name": place.name,
        "latitude": place.latitude,
        "longitude": place.longitude,
        "arrondissement": place.arrondissement,
        "starts_at": next_saturday_evening(),
        "duration_hours": 3.0,
        "participants": 60000,
        "emprise_m2": None,
    }


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
    from .ui.similar import query

    event = sample_planned_event()
    event["k"] = k
    starts = event["starts_at"]
    print(
        f"\nSimilar past events of a planned OM match at the {SAMPLE_VENUE}, "
        f"{starts:%A %d %B %Y %H:%M} ({event['participants']:,} expected):",
        file=out,
    )
    result = query(published, event)
    for line in format_result(result):
        print(f"  {line}", file=out)


def format_result(result: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for i, neighbour in enumerate(result.get("neighbours") or [], start=1):
        shown = ", ".join(f"{k}={v}" for k, v in neighbour.items() if k != "explanation")
        lines.append(f"{i:>2}. {shown}")
    if "risk_score" in result:
        lines.append(f"risk score: {result['risk_score']} / 10")
    forecast = result.get("forecast")
    if isinstance(forecast, dict) and forecast:
        lines.append("forecast: " + ", ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in forecast.items()))
    return lines

"""``observatoire rebuild``: the warehouse rebuilt from the immutable landing, then republished.

Landed deliveries are never modified, so they are the source of truth and the warehouse can always be
rebuilt from them: after a contract, a privacy rule or a dbt model changed in a way that incremental
models cannot absorb, or to recover a lost or damaged ``warehouse.duckdb``. The steps are the ones the
Airflow DAGs run, called directly (no scheduler), so they also measure the platform's own cost:

1. every ``raw.*`` table and the delivery ledger reloaded from ``landing/`` and ``quarantine/`` (the
   delivery gate's rules re-applied to what is reloaded);
2. ``dbt build`` with a full refresh (its own process: DuckDB accepts one writer, and dbt-duckdb keeps
   the file open until its process ends);
3. the publish gate on the marts, 4. the whole similarity index, 5. the atomic publication (small
   cells suppressed, gate on the new file, publish log);
6. unless ``--no-docs``: the transparency notice, dbt docs and the Data Docs site.

Nothing is published if a step fails: the previous published file stays, byte for byte.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..config import dbt_project_dir, paths
from ..errors import ObservatoireError
from . import dbt as dbt_setup


class RebuildFailed(ObservatoireError):
    """A step of the rebuild failed; nothing was published."""


@dataclass
class RebuildReport:
    steps: list[tuple[str, float, str]] = field(default_factory=list)
    """(step, seconds, what it did) in order."""
    published: dict[str, Any] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return sum(s for _, s, _ in self.steps)


def dbt_build_command(*, full_refresh: bool) -> list[str]:
    """The production ``dbt build`` (what the warehouse DAG runs), in the repository's project."""
    project = dbt_project_dir()
    return [
        str(dbt_setup.dbt_executable()),
        "build",
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
        *dbt_setup.production_build_options(full_refresh=full_refresh),
    ]


def run_dbt_build(*, full_refresh: bool) -> str:
    """``dbt build`` in a child process; raises with the end of dbt's output when it fails."""
    project = dbt_project_dir()
    dbt_setup.target_dir().mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        dbt_build_command(full_refresh=full_refresh),
        cwd=project,
        env={**os.environ, **dbt_setup.dbt_env()},
        capture_output=True,
        text=True,
        check=False,
    )
    output = (done.stdout + done.stderr).strip().splitlines()
    if done.returncode != 0:
        tail = "\n".join(output[-30:])
        raise RebuildFailed(f"dbt build failed (exit {done.returncode}); nothing was published:\n{tail}")
    done_line = next((line for line in reversed(output) if "Done. PASS=" in line), "")
    return done_line.split("Done.", 1)[-1].strip() if done_line else "done"


def rebuild(*, docs: bool = True, say: Callable[[str], None] = print) -> RebuildReport:
    from ..ingestion.service import reload_from_landing
    from . import warehouse

    report = RebuildReport()
    run_id = "rebuild__" + datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")

    def step(name: str, action: Callable[[], str]) -> None:
        say(f"{name} …")
        started = time.monotonic()
        try:
            outcome = action()
        except ObservatoireError:
            # The error keeps its own exit code (3 when the publish gate refuses); the message says why.
            say(f"  {name}: FAILED after {time.monotonic() - started:.1f} s; nothing was published")
            raise
        seconds = time.monotonic() - started
        report.steps.append((name, seconds, outcome))
        say(f"  {name}: {outcome} ({seconds:.1f} s)")

    def reload() -> str:
        reports = reload_from_landing()
        loaded = sum(r.rows_loaded for r in reports)
        quarantined = sum(r.rows_quarantined for r in reports)
        deliveries = sum(len(r.loaded) for r in reports)
        return f"{loaded:,} rows from {deliveries:,} deliveries into {len(reports)} raw tables ({quarantined:,} quarantined)"

    def gate() -> str:
        summary = warehouse.check_marts()
        return f"passed, {summary.get('tables_checked', 0)} tables, {summary.get('rows_checked', 0):,} rows checked"

    index: dict[str, Any] = {}

    def similarity() -> str:
        index.update(warehouse.build_similarity_index(full=True))
        return f"{index.get('events', 0):,} events, {index.get('pairs', 0):,} neighbour rows"

    def publish() -> str:
        extra = warehouse.publish_marts(run_id=run_id, index=index, warehouse_gate={})
        report.published = extra
        rows = extra.get("rows_per_table") or {}
        return f"{paths().published} ({len(rows)} tables, {sum(int(v) for v in rows.values()):,} rows)"

    step("reload raw.* from the landed deliveries", reload)
    step("dbt build (full refresh)", lambda: run_dbt_build(full_refresh=True))
    step("publish gate on the marts", gate)
    step("similarity index", similarity)
    step("publication", publish)
    if docs:
        step("transparency notice", lambda: f"{len(warehouse.write_transparency_notice())} files")
        step("dbt docs and Data Docs", lambda: ", ".join(f"{k}: {v}" for k, v in warehouse.build_documentation().items()))
    return report

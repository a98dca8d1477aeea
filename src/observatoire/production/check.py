"""The native production check: the whole pipeline through the REST API of a PostgreSQL + Redis +
Celery Airflow, with two workers, and the proofs that the DuckDB writer pool held.

Steps (each printed as it goes):
1. start :class:`~observatoire.production.stack.ProductionStack` (init, partners, Airflow processes);
2. log in (JWT from ``/auth/token``), check that the API refuses an anonymous call;
3. the pool probe DAG: four DuckDB writers ready at once across two workers;
4. the real pipeline when its DAGs exist: each ``ingest_*`` DAG once (short history), then
   ``build_warehouse`` (asset-triggered, or triggered if the schedule did not fire);
5. checks: runs succeeded, the published file opens read-only and has events, no two pool tasks ran
   at the same time, no DuckDB lock error in any task log, every write is there (probe rows, raw
   tables against the deliveries), both workers ran tasks, and a task run by a Celery worker found
   Great Expectations already imported when it started (the worker preload, ``celery_config``);
6. stop everything; no process left; database dropped.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..config import WAREHOUSE_POOL
from . import probe_dag
from .api import AirflowClient
from .stack import ADMIN_USER, ProductionStack, Progress, StackSettings, _print

BUILD_DAG = "build_warehouse"
INGEST_PREFIX = "ingest_"
LOCK_ERROR = re.compile(r"Could not set lock on file|Conflicting lock is held|database is locked", re.IGNORECASE)
CELERY_RECEIVED = re.compile(r"Task \S*execute_workload\S* received|Received task", re.IGNORECASE)
WORKER_PRELOAD = re.compile(
    r"observatoire worker preload \((?P<where>[^,]+), pid (?P<pid>\d+)\): (?P<seconds>[\d.]+) s"
)


@dataclass
class CheckSettings:
    stack: StackSettings = field(default_factory=StackSettings)
    full_history: bool = True
    """Ask each ingestion DAG to pull everything the partners hold (the short generated period)."""
    pipeline: bool = True
    """Run the real pipeline DAGs when they are in dags/ (the probe always runs)."""
    run_timeout_s: float = 2400.0
    asset_trigger_wait_s: float = 60.0
    expect_preload: bool = True
    """A task must find Great Expectations preloaded by its worker (False only to measure without it)."""


@dataclass
class CheckReport:
    ok: bool = False
    durations: dict[str, float] = field(default_factory=dict)
    runs: dict[str, str] = field(default_factory=dict)
    pool_tasks: int = 0
    pool_overlaps: list[str] = field(default_factory=list)
    lock_errors: list[str] = field(default_factory=list)
    tasks_per_worker: dict[str, int] = field(default_factory=dict)
    probe_rows: int = 0
    probe_workers: int = 0
    raw_counts: dict[str, int] = field(default_factory=dict)
    lost_writes: list[str] = field(default_factory=list)
    quarantined: list[str] = field(default_factory=list)
    published: dict[str, Any] = field(default_factory=dict)
    survivors: list[str] = field(default_factory=list)
    preload: dict[str, Any] = field(default_factory=dict)
    """What the probe's ``preload`` task saw at its start (modules, process age, GX import seconds)."""
    worker_preload_s: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per worker, from its log: seconds of the preload in its main process and in each pool process."""
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"production check: {'PASSED' if self.ok else 'FAILED'}"]
        lines.append("  durations: " + ", ".join(f"{k}={v:.0f}s" for k, v in self.durations.items()))
        lines.append("  runs: " + ", ".join(f"{k}={v}" for k, v in sorted(self.runs.items())))
        lines.append(
            f"  pool {WAREHOUSE_POOL}: {self.pool_tasks} tasks, {len(self.pool_overlaps)} overlaps, "
            f"{len(self.lock_errors)} lock errors"
        )
        lines.append(f"  tasks received per worker: {self.tasks_per_worker}")
        lines.append(f"  probe: {self.probe_rows} rows written by {self.probe_workers} workers")
        if self.preload:
            lines.append(
                "  worker preload: great_expectations in the task process at its start: "
                f"{self.preload.get('modules_at_task_start', {}).get('great_expectations')}; "
                f"process start to GX usable {self.preload.get('start_to_gate_s')} s "
                f"(GX import in the task {self.preload.get('gx_import_s')} s); workers' preload s: {self.worker_preload_s}"
            )
        if self.raw_counts:
            lines.append("  raw rows: " + ", ".join(f"{k}={v}" for k, v in sorted(self.raw_counts.items())))
        if self.published:
            lines.append(f"  published: {self.published}")
        lines.append(f"  quarantined deliveries: {len(self.quarantined)} {self.quarantined[:5]}")
        lines.append(f"  processes left after shutdown: {len(self.survivors)}")
        lines += [f"  PROBLEM: {problem}" for problem in self.problems]
        return "\n".join(lines)


def _parse_time(value: Any) -> float | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def pool_overlaps(task_instances: list[dict[str, Any]]) -> list[str]:
    """Pairs of pool task instances whose [start, end] intervals intersect."""
    spans = []
    for ti in task_instances:
        start, end = _parse_time(ti.get("start_date")), _parse_time(ti.get("end_date"))
        if start is not None and end is not None:
            spans.append((start, end, f"{ti.get('dag_id')}.{ti.get('task_id')}[{ti.get('map_index', -1)}]"))
    spans.sort()
    overlaps = []
    for (_, end_a, name_a), (start_b, _, name_b) in zip(spans, spans[1:], strict=False):
        if start_b < end_a:
            overlaps.append(f"{name_a} and {name_b} ({end_a - start_b:.2f} s)")
    return overlaps


def lock_errors_in_logs(logs_dir: Path) -> list[str]:
    found = []
    for log_file in sorted(logs_dir.rglob("*.log")):
        text = log_file.read_text(errors="replace")
        for line in text.splitlines():
            if LOCK_ERROR.search(line):
                found.append(f"{log_file.relative_to(logs_dir)}: {line.strip()[:200]}")
    return found


class ProductionCheck:
    def __init__(self, settings: CheckSettings | None = None, progress: Progress = _print) -> None:
        self.settings = settings or CheckSettings()
        self.progress = progress
        self.report = CheckReport()
        self.pool_task_instances: list[dict[str, Any]] = []

    def run(self) -> CheckReport:
        t0 = time.monotonic()
        stack = ProductionStack(self.settings.stack, self.progress)
        try:
            with stack:
                self.report.durations["startup"] = stack.timings.get("startup_s", 0.0)
                self._exercise(stack)
                self._check_logs(stack)
        except Exception as error:  # the report says what failed; the caller decides the exit code
            self.report.problems.append(f"{type(error).__name__}: {error}")
        self.report.survivors = stack.shutdown_survivors
        if self.report.survivors:
            self.report.problems.append(f"processes left after shutdown: {self.report.survivors}")
        self.report.durations["total"] = round(time.monotonic() - t0, 1)
        self.report.ok = not self.report.problems
        return self.report

    # ---- steps --------------------------------------------------------------------------------------

    def _exercise(self, stack: ProductionStack) -> None:
        client = AirflowClient(stack.api_url, ADMIN_USER, stack.admin_password)
        try:
            self._exercise_with(stack, client)
        finally:
            client.session.close()  # no keep-alive connection holding the api-server's shutdown

    def _exercise_with(self, stack: ProductionStack, client: AirflowClient) -> None:
        anonymous = client.unauthenticated_status("/api/v2/dags")
        if anonymous not in (401, 403):
            self.report.problems.append(f"anonymous GET /api/v2/dags answered {anonymous}, expected 401/403")
        client.login()
        self.progress(f"[prod] logged in as {ADMIN_USER} (JWT from /auth/token); anonymous call: HTTP {anonymous}")

        pipeline_dags = self._pipeline_dags(stack) if self.settings.pipeline else []
        ingest = [dag for dag in pipeline_dags if dag.startswith(INGEST_PREFIX)]
        expected = {probe_dag.DAG_ID, *pipeline_dags}
        t = time.monotonic()
        client.wait_for_dags(expected, self.settings.stack.startup_timeout_s + 120, self.progress)
        self.report.durations["dag_parsing"] = round(time.monotonic() - t, 1)
        self.progress(f"[prod] DAGs parsed: {sorted(expected)}")
        if self.settings.pipeline and not ingest:
            self.progress("[prod] no ingest_* DAG in dags/ yet: only the pool probe runs")

        # 1. The pool probe and every ingestion DAG at once: the most contention for the writer pool
        #    (four probe writers ready together, plus each partner's raw load). build_warehouse stays
        #    paused meanwhile, so that its asset schedule starts one build on complete data.
        from ..orchestration.pipeline import HISTORY_PARAM

        conf = {HISTORY_PARAM: self.settings.full_history}
        for dag_id in (probe_dag.DAG_ID, *ingest):
            client.set_paused(dag_id, False)
        t = time.monotonic()
        runs = [(probe_dag.DAG_ID, client.trigger(probe_dag.DAG_ID))]
        runs += [(dag_id, client.trigger(dag_id, conf)) for dag_id in ingest]
        self.progress(
            f"[prod] triggered the pool probe ({probe_dag.PROBE_TASKS} DuckDB writers)"
            + (f" and {', '.join(ingest)} with {conf}" if ingest else "")
        )
        states = client.wait_runs(runs, self.settings.run_timeout_s, self.progress, stack.check_alive)
        for (dag_id, _), state in states.items():
            self.report.runs[dag_id] = state
        self._check_probe(stack, runs[0][1])
        self._check_preload(stack, runs[0][1])
        # Unpausing also let the scheduler start each DAG's latest scheduled interval: pause again and
        # let those finish, so that nothing writes while the warehouse is inspected.
        for dag_id in ingest:
            client.set_paused(dag_id, True)
        client.wait_quiet(ingest, self.settings.run_timeout_s, self.progress, stack.check_alive)
        self.report.durations["probe_and_ingestion"] = round(time.monotonic() - t, 1)

        # 2. The warehouse build, started by its asset schedule (or triggered if it does not fire).
        if ingest and BUILD_DAG in pipeline_dags and all(s == "success" for s in states.values()):
            self._build(stack, client)
        self._collect_pool_tasks(client, [probe_dag.DAG_ID, *pipeline_dags])
        for dag_id, state in self.report.runs.items():
            if state != "success":
                self.report.problems.append(f"{dag_id} ended {state}")

    def _pipeline_dags(self, stack: ProductionStack) -> list[str]:
        """DAG ids of the repository's ingest_* and build_warehouse files (file stem = DAG id)."""
        names = sorted(p.stem for p in stack.dags_dir.glob("*.py") if p.stem.startswith(INGEST_PREFIX))
        if (stack.dags_dir / f"{BUILD_DAG}.py").exists() and names:
            names.append(BUILD_DAG)
        return names

    def _build(self, stack: ProductionStack, client: AirflowClient) -> None:
        t = time.monotonic()
        client.set_paused(BUILD_DAG, False)
        build_runs: list[dict[str, Any]] = []
        # With the scheduler's job schedule on, the asset schedule starts the build; else trigger it.
        wait_s = self.settings.asset_trigger_wait_s if stack.settings.job_schedule else 0.0
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline and not build_runs:
            build_runs = client.runs(BUILD_DAG)
            if not build_runs:
                time.sleep(3)
        if build_runs:
            run_id = str(build_runs[0]["dag_run_id"])
            self.progress(f"[prod] {BUILD_DAG} started by its asset schedule: {run_id}")
        else:
            run_id = client.trigger(BUILD_DAG)
            self.progress(
                f"[prod] triggered {BUILD_DAG}: {run_id}"
                + (f" (its asset schedule did not start it within {wait_s:.0f} s)" if wait_s else "")
            )
        states = client.wait_runs([(BUILD_DAG, run_id)], self.settings.run_timeout_s, self.progress, stack.check_alive)
        self.report.runs[BUILD_DAG] = states[(BUILD_DAG, run_id)]
        client.set_paused(BUILD_DAG, True)
        client.wait_quiet([BUILD_DAG], self.settings.run_timeout_s, self.progress, stack.check_alive)
        self.report.durations["build_warehouse"] = round(time.monotonic() - t, 1)
        if self.report.runs[BUILD_DAG] == "success":
            self._check_published(stack)
        self._check_raw(stack)

    # ---- checks -------------------------------------------------------------------------------------

    def _collect_pool_tasks(self, client: AirflowClient, dag_ids: list[str]) -> None:
        """Every task instance of the writer pool, in every run of these DAGs (scheduled ones too)."""
        for dag_id in dag_ids:
            for run in client.runs(dag_id):
                instances = client.task_instances(dag_id, str(run["dag_run_id"]))
                self.pool_task_instances.extend(ti for ti in instances if ti.get("pool") == WAREHOUSE_POOL)
        self.report.pool_tasks = len(self.pool_task_instances)
        self.report.pool_overlaps = pool_overlaps(self.pool_task_instances)
        if self.report.pool_overlaps:
            self.report.problems.append(f"pool tasks overlapped: {self.report.pool_overlaps}")

    def _check_probe(self, stack: ProductionStack, run_id: str) -> None:
        import duckdb

        target = stack.paths.warehouse_dir / probe_dag.probe_file().name
        if not target.exists():
            self.report.problems.append(f"the probe wrote nothing ({target} missing)")
            return
        with duckdb.connect(str(target), read_only=True) as connection:
            rows = connection.execute(
                "SELECT slot, worker_pid, started, finished FROM probe WHERE run_id = ? ORDER BY started", [run_id]
            ).fetchall()
        self.report.probe_rows = len(rows)
        self.report.probe_workers = len({row[1] for row in rows if row[1]})
        slots = sorted(row[0] for row in rows)
        if slots != list(range(probe_dag.PROBE_TASKS)):
            self.report.lost_writes.append(f"probe rows {slots}, expected {list(range(probe_dag.PROBE_TASKS))}")
            self.report.problems.append(f"probe writes lost: {slots}")
        for (_, _, _, end_a), (_, _, start_b, _) in zip(rows, rows[1:], strict=False):
            if start_b < end_a:
                self.report.problems.append("two probe writers held the DuckDB file at the same time")
        self.progress(
            f"[prod] probe: {len(rows)}/{probe_dag.PROBE_TASKS} rows, one writer at a time, "
            f"{self.report.probe_workers} distinct worker(s)"
        )

    def _check_preload(self, stack: ProductionStack, run_id: str) -> None:
        """The probe's ``preload`` task ran in a process forked (via its supervisor) from a Celery pool
        process: Great Expectations can only have been in its ``sys.modules`` at its start if the
        worker preloaded it."""
        import json

        target = stack.paths.warehouse_dir / probe_dag.preload_probe_file(run_id).name
        if not target.exists():
            self.report.problems.append(f"the preload probe task wrote nothing ({target} missing)")
            return
        seen = json.loads(target.read_text())
        self.report.preload = seen
        at_start = seen.get("modules_at_task_start", {})
        self.progress(
            f"[prod] preload probe (task pid {seen.get('pid')}, worker {seen.get('worker_pid')}): modules at task "
            f"start {at_start}; process start to GX usable {seen.get('start_to_gate_s')} s, GX import in the "
            f"task {seen.get('gx_import_s')} s"
        )
        if self.settings.expect_preload:
            missing = [name for name in probe_dag.PRELOADED_MODULES if not at_start.get(name)]
            if missing:
                self.report.problems.append(
                    f"the worker preload did not reach the task process: {missing} not in sys.modules at the "
                    f"start of a Celery task ({seen})"
                )
            if not seen.get("worker_pid"):
                self.report.problems.append(f"the preload probe did not run under a Celery worker ({seen})")

    def _check_published(self, stack: ProductionStack) -> None:
        import duckdb

        published = stack.paths.published
        if not published.exists():
            self.report.problems.append(f"no published file at {published}")
            return
        with duckdb.connect(str(published), read_only=True) as connection:
            tables = {row[0] for row in connection.execute("SELECT table_name FROM information_schema.tables").fetchall()}
            info: dict[str, Any] = {"tables": len(tables), "bytes": published.stat().st_size}
            for table in ("fct_event", "event_similarity", "publish_log"):
                if table in tables:
                    info[table] = connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # type: ignore[index]
        self.report.published = info
        if not info.get("fct_event"):
            self.report.problems.append(f"the published file has no events: {info}")
        if not info.get("publish_log"):
            self.report.problems.append("the published file has no publish_log row")
        self.progress(f"[prod] published file: {info}")

    def _check_raw(self, stack: ProductionStack) -> None:
        """No lost write: every delivery landed by any worker is in the ``raw._deliveries`` ledger (the
        load and its ledger row commit in one DuckDB transaction), and each raw table that a delivery
        loaded rows into holds rows."""
        import duckdb

        warehouse = stack.paths.warehouse
        if not warehouse.exists():
            self.report.problems.append(f"no warehouse at {warehouse}")
            return
        landed = {p.parent.name for p in stack.paths.landing.glob("*/*/*/manifest.json")}
        with duckdb.connect(str(warehouse), read_only=True) as connection:
            tables = [
                row[0]
                for row in connection.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw' "
                    "AND NOT starts_with(table_name, '_')"
                ).fetchall()
            ]
            for table in tables:
                self.report.raw_counts[table] = int(
                    connection.execute(f'SELECT count(*) FROM raw."{table}"').fetchone()[0]  # type: ignore[index]
                )
            ledger = connection.execute(
                "SELECT delivery_id, table_name, status, coalesce(rows_loaded, 0) FROM raw._deliveries"
            ).fetchall()
        in_ledger = {row[0] for row in ledger}
        missing = sorted(landed - in_ledger)
        if missing:
            self.report.lost_writes.append(f"{len(missing)} landed deliveries not in raw._deliveries: {missing[:5]}")
        loaded: dict[str, int] = {}
        for _, table, _, rows_loaded in ledger:
            name = str(table).removeprefix("raw.")
            loaded[name] = loaded.get(name, 0) + int(rows_loaded)
        for table, rows in loaded.items():
            if rows > 0 and self.report.raw_counts.get(table, 0) == 0:
                self.report.lost_writes.append(f"raw.{table}: deliveries loaded {rows} rows, the table is empty")
        if not landed:
            self.report.lost_writes.append("nothing was landed")
        # The generated partner data is clean: a quarantined delivery means the platform, not the
        # partner, failed (e.g. the privacy evidence could not be written while another worker wrote it).
        for reason in sorted(stack.paths.quarantine.glob("*/*/*/reason.json")):
            delivery = reason.parent
            self.report.quarantined.append(f"{delivery.parent.parent.name}/{delivery.parent.name}/{delivery.name}")
            text = reason.read_text(errors="replace")
            if "evidence_unavailable" in text:
                self.report.problems.append(
                    f"delivery {delivery.name} refused because the privacy evidence could not be recorded "
                    f"(concurrent gate tasks?): {reason}"
                )
        self.progress(
            f"[prod] warehouse: {len(landed)} landed deliveries, {len(in_ledger)} in the ledger, "
            f"{sum(self.report.raw_counts.values())} raw rows in {len(tables)} tables"
        )
        if self.report.lost_writes:
            self.report.problems.append(f"lost writes: {self.report.lost_writes}")

    def _check_logs(self, stack: ProductionStack) -> None:
        self.report.lock_errors = lock_errors_in_logs(stack.airflow_home / "logs")
        if self.report.lock_errors:
            self.report.problems.append(f"DuckDB lock errors in task logs: {self.report.lock_errors[:5]}")
        self.report.tasks_per_worker = {
            name: len(CELERY_RECEIVED.findall(text)) for name, text in stack.worker_logs().items()
        }
        for name, text in stack.worker_logs().items():
            found: dict[str, Any] = {"main": None, "pool": []}
            for match in WORKER_PRELOAD.finditer(text):
                if match.group("where") == "worker main process":
                    found["main"] = float(match.group("seconds"))
                else:
                    found["pool"].append(float(match.group("seconds")))
            self.report.worker_preload_s[name] = found
            if self.settings.expect_preload and found["main"] is None:
                self.report.problems.append(
                    f"{name}: no 'observatoire worker preload' line of its main process in its log"
                )
        busy = [name for name, count in self.report.tasks_per_worker.items() if count > 0]
        if len(busy) < min(2, self.settings.stack.workers):
            self.report.problems.append(f"tasks did not spread over the workers: {self.report.tasks_per_worker}")

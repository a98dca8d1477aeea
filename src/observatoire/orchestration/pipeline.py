"""The whole job through Airflow: ``observatoire demo`` and ``observatoire run``.

``demo`` is what a newcomer runs on a fresh machine (``make demo``):

1. generate three years of the simulated city, ending yesterday (``observatoire generate``);
2. start the simulated partners on a loopback port, in this process;
3. set up the embedded Airflow home (SQLite, LocalExecutor, the warehouse pool, ``AIRFLOW_CONN_*``);
4. run every ingestion DAG once over the whole history, then ``build_warehouse``, each with
   ``dag.test()`` — real DAG runs recorded in Airflow's database, visible afterwards in the UI
   (``observatoire airflow-ui``);
5. print what was built and the similar past events of a sample planned event.

``run`` does steps 3–4 on what the partners delivered since the previous run (the ingestion DAGs'
watermarks), against the partners configured in ``AIRFLOW_CONN_*`` — or the simulated ones, started
in-process with ``--serve-partners``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from ..config import Paths
from ..errors import ObservatoireError
from . import environment

log = logging.getLogger(__name__)

INGESTION_PREFIX = "ingest_"
WAREHOUSE_DAG = "build_warehouse"
HISTORY_PARAM = "full_history"
"""Conf key the ingestion DAGs read: pull everything the partners hold instead of since the watermark."""


class Progress:
    """Progress lines with the elapsed time, on the console even while Airflow's output is redirected."""

    def __init__(self, stream: TextIO | None = None) -> None:
        if stream is None:
            sys.stdout.flush()
            # A private copy of the console: `console_to_log` re-points file descriptor 1, not this one.
            stream = open(os.dup(sys.stdout.fileno()), "w", buffering=1, encoding="utf-8")  # noqa: SIM115
        self.stream = stream
        self.started = time.monotonic()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def __call__(self, message: str) -> None:
        print(f"[{self.elapsed:6.1f}s] {message}", file=self.stream, flush=True)


@dataclass
class PipelineReport:
    dag_outcomes: list[Any] = field(default_factory=list)
    published: Path | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.dag_outcomes)


def ingestion_dag_ids(dags: dict[str, Any]) -> list[str]:
    return sorted(d for d in dags if d.startswith(INGESTION_PREFIX))


@contextlib.contextmanager
def console_to_log(log_file: Path, enabled: bool) -> Iterator[None]:
    """Send everything written to stdout/stderr (Airflow's and dbt's task logs) to ``log_file``.

    Airflow configures its loggers to write to the process's standard streams, and ``dag.test()`` runs
    every task in this process: redirecting the file descriptors is the one way to keep the console
    for progress lines whatever the logging set-up. The log file keeps everything for diagnosis.
    """
    if not enabled:
        yield
        return
    log_file.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(log_file, "a", encoding="utf-8") as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def quiet_airflow(verbose: bool) -> None:
    """Keep the console for progress lines: Airflow and dbt log at WARNING unless ``-v``."""
    if verbose:
        return
    for name in ("airflow", "cosmos", "dbt", "alembic", "sqlalchemy", "httpx", "great_expectations", "py4j"):
        logging.getLogger(name).setLevel(logging.WARNING)


def run_pipeline(
    paths: Paths,
    progress: Progress,
    *,
    full_history: bool,
    partner_port: int | None,
    only: list[str] | None = None,
    verbose: bool = False,
) -> PipelineReport:
    """Every ingestion DAG, then ``build_warehouse``, through ``dag.test()``; stops at the first failure."""
    env = environment.airflow_environment(paths, partner_port=partner_port)
    environment.activate(env)
    home = environment.airflow_home(paths)
    environment.write_env_file(home, env)
    log_file = home.path / "logs" / f"pipeline-{datetime.now():%Y%m%dT%H%M%S}.log"
    if not verbose:
        progress(f"Airflow and dbt output goes to {log_file}")
    with console_to_log(log_file, enabled=not verbose):
        return _run_dags(paths, progress, env, full_history=full_history, only=only)


def _run_dags(
    paths: Paths, progress: Progress, env: dict[str, str], *, full_history: bool, only: list[str] | None
) -> PipelineReport:
    progress(f"Airflow home {env['AIRFLOW_HOME']} (SQLite, LocalExecutor): preparing the metadata database")
    environment.prepare_metadata_database()

    from . import dbt as dbt_setup
    from . import runner

    progress("parsing the dbt project (dbt parse → manifest for Cosmos)")
    dbt_setup.parse_project()
    progress("parsing the DAGs (each dbt model and test becomes a task)")
    dags = runner.load_dags(only)
    report = PipelineReport()
    started = time.monotonic()
    ingestion = [d for d in ingestion_dag_ids(dags) if only is None or d in only]
    if not ingestion and only is None:
        raise ObservatoireError("no ingestion DAG (dags/ingest_*.py) found")
    conf = {HISTORY_PARAM: True} if full_history else {}
    for dag_id in ingestion:
        progress(f"running DAG {dag_id}" + (" over the whole history" if full_history else " (since the watermarks)"))
        outcome = runner.test_dag(dags[dag_id], conf)
        report.dag_outcomes.append(outcome)
        _check(outcome, progress)
    if only is None or WAREHOUSE_DAG in only:
        progress(f"running DAG {WAREHOUSE_DAG}: dbt build, publish gate, similarity index, notice, docs, publication")
        outcome = runner.test_dag(dags[WAREHOUSE_DAG], collect=("publish", "publish_gate", "similarity_index"))
        report.dag_outcomes.append(outcome)
        _check(outcome, progress)
    report.published = paths.published
    report.seconds = time.monotonic() - started
    return report


def _check(outcome: Any, progress: Progress) -> None:
    if outcome.ok:
        progress(f"  {outcome.dag_id}: success in {outcome.seconds:.1f}s (run {outcome.run_id})")
        return
    # The tasks that failed themselves; the ones that did not run because of them are only counted.
    direct = [t for t in outcome.failed_tasks if not t.endswith("(upstream_failed)")]
    skipped = len(outcome.failed_tasks) - len(direct)
    failed = ", ".join(direct) or "see the task logs"
    if skipped:
        failed += f"; {skipped} downstream task{'s' if skipped > 1 else ''} not run"
    progress(f"  {outcome.dag_id}: {outcome.state.upper()} — failed tasks: {failed}")
    from .runner import DagRunFailed

    error = DagRunFailed(
        f"DAG {outcome.dag_id} failed (run {outcome.run_id}; tasks: {failed}). The previous published file, "
        "if any, is unchanged. Inspect the logs with `observatoire airflow-ui`."
    )
    if any(task.startswith(("publish_gate ", "publish ")) for task in direct):
        error.exit_code = 3  # refused by a privacy rule (documented exit code 3)
    raise error


@contextlib.contextmanager
def simulated_partners(paths: Paths, progress: Progress) -> Iterator[int]:
    """The simulated partners on an ephemeral loopback port, for as long as the block runs."""
    from ..partner_server.server import running_partners

    with running_partners(paths.home) as server:
        if server.releaser is not None and not server.releaser.wait_released(timeout=300):
            raise ObservatoireError("the simulated partners did not release their daily files within 5 minutes")
        progress(f"simulated partners serving on {server.base_url} (daily files released into {paths.drop})")
        yield server.port


def history_start(end: date, years: int) -> date:
    """First day of ``years`` full years ending on ``end`` (29 February falls back to the 28th)."""
    try:
        anniversary = end.replace(year=end.year - years)
    except ValueError:
        anniversary = end.replace(year=end.year - years, day=28)
    return anniversary + timedelta(days=1)


def generate_history(
    paths: Paths, progress: Progress, *, years: int, days: int | None, scale: float, seed: int, end: date
) -> None:
    from ..simulation.generator import generate

    start = end - timedelta(days=days - 1) if days else history_start(end, years)
    progress(f"generating the simulated city from {start} to {end} (scale {scale}, seed {seed})")
    summary = generate(start, end, seed, scale, paths.partners, progress=lambda m: progress(f"  {m}"))
    progress(
        f"  {sum(summary.rows.values()):,} partner records over {len(summary.rows)} datasets, "
        f"{summary.real_events:,} real events, in {summary.seconds:.1f}s"
    )


def demo(
    paths: Paths,
    *,
    years: int = 3,
    scale: float = 1.0,
    seed: int = 2017,
    end: date | None = None,
    days: int | None = None,
    sample_k: int = 5,
    verbose: bool = False,
    stream: TextIO | None = None,
) -> PipelineReport:
    progress = Progress(stream)
    quiet_airflow(verbose)
    paths.ensure()
    end = end or (date.today() - timedelta(days=1))
    progress(f"Observatoire demo in {paths.home}")
    generate_history(paths, progress, years=years, days=days, scale=scale, seed=seed, end=end)
    with simulated_partners(paths, progress) as port:
        report = run_pipeline(paths, progress, full_history=True, partner_port=port, verbose=verbose)
    from . import summary

    summary.print_summary(paths, report, progress, sample_k=sample_k)
    return report


def run(
    paths: Paths,
    *,
    serve_partners: bool,
    only: list[str] | None = None,
    verbose: bool = False,
    stream: TextIO | None = None,
) -> PipelineReport:
    progress = Progress(stream)
    quiet_airflow(verbose)
    paths.ensure()
    progress(f"Observatoire pipeline run in {paths.home} ({datetime.now().astimezone():%Y-%m-%d %H:%M %Z})")
    if serve_partners:
        with simulated_partners(paths, progress) as port:
            report = run_pipeline(paths, progress, full_history=False, partner_port=port, only=only, verbose=verbose)
    else:
        report = run_pipeline(paths, progress, full_history=False, partner_port=None, only=only, verbose=verbose)
    from . import summary

    summary.print_summary(paths, report, progress, sample_k=0)
    return report

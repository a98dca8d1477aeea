"""The benchmark's scenarios: the full chain at each history length, then one new day on the longest.

For each length (e.g. 1, 3 and 10 years ending on ``end``) the partners' store is generated over the
history *plus one day*; the simulated partners (their own process) are frozen at ``end``, so the extra
day is invisible until the daily increment advances their clock. Every stage is a measured child
process (:mod:`.measure`): by default a fork of one warm worker per run, which preloaded the libraries
once as a production Celery pool process does (:mod:`.worker`); with ``cold_stages`` a fresh interpreter.
Each history length has its own ``OBSERVATOIRE_HOME`` under the work directory, so runs never share a
warehouse.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from ..contracts.registry import PARTNERS
from .measure import StageResult, machine, run_child, stage_command
from .partners import PartnerProcess
from .worker import WarmWorker, WorkerFailed

# Pulling ten years from the partners: issue 3's target, every partner in its own process (one DAG each).
INGESTION_STAGES: tuple[str, ...] = tuple(f"ingest_{p}" for p in PARTNERS)
REBUILD_SUFFIX = "_rebuild"
WAREHOUSE_STAGES: tuple[str, ...] = ("dbt_build", "publish_gate", "similarity_index", "publish")
# The full build from the landed files to the published file (Airflow excluded): raw.* reloaded from the
# immutable landing, then a full-refresh dbt build, the gates, the whole index and the publication.
BUILD_STAGES: tuple[str, ...] = ("reload_raw", *(f"{s}{REBUILD_SUFFIX}" for s in WAREHOUSE_STAGES))
# One new day through publication: the day's deliveries of every partner pulled in one process, then
# incremental dbt, the gates, the new events' neighbours and the publication.
INCREMENT_STAGES: tuple[str, ...] = ("ingest_day", *WAREHOUSE_STAGES)
# Everything a first run does, from the partners' deliveries to the published file (gate share, issue 5).
PIPELINE_STAGES: tuple[str, ...] = (*INGESTION_STAGES, *WAREHOUSE_STAGES)


@dataclass
class Options:
    years: list[int] = field(default_factory=lambda: [1, 3, 10])
    scale: float = 1.0
    queries: int = 200
    seed: int = 42
    end: date = date(2025, 12, 31)
    workdir: Path = Path("var/bench")
    quick_days: int | None = None
    """``--quick``: one history of this many days instead of whole years."""
    synthetic_events: int = 100_000
    profile: bool = True
    keep: bool = False
    stage_timeout_s: float | None = None
    cold_stages: bool = False
    """``--cold-stages``: every stage in a fresh interpreter (each pays its imports) instead of a fork of
    the warm worker."""


@dataclass
class Scenario:
    label: str
    days: int
    start: date
    end: date
    home: Path
    stages: list[StageResult] = field(default_factory=list)
    increment: list[StageResult] = field(default_factory=list)
    profiled: list[StageResult] = field(default_factory=list)
    partners: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "days": self.days,
            "years": round(self.days / 365.25, 2),
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "home": str(self.home),
            "partners": self.partners,
            "stages": [s.to_dict() for s in self.stages],
            "increment": [s.to_dict() for s in self.increment],
            "profiled": [s.to_dict() for s in self.profiled],
        }


class Say:
    """Progress lines with the elapsed time."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    def __call__(self, message: str) -> None:
        print(f"[bench {time.monotonic() - self.started:7.1f}s] {message}", file=sys.stderr, flush=True)


def history_start(end: date, years: int) -> date:
    try:
        anniversary = end.replace(year=end.year - years)
    except ValueError:
        anniversary = end.replace(year=end.year - years, day=28)
    return anniversary + timedelta(days=1)


def describe(result: StageResult) -> str:
    if not result.ok:
        first = (result.error or "").splitlines()[0][:200] if result.error else "failed"
        return f"{result.stage}: FAILED after {result.wall_s:.1f}s — {first}"
    rows = ""
    if result.rows_in is not None or result.rows_out is not None:
        rows = f", rows {result.rows_in if result.rows_in is not None else '-'} → {result.rows_out if result.rows_out is not None else '-'}"
    return (
        f"{result.stage}: {result.wall_s:.1f}s wall, {result.cpu_s:.1f}s CPU, "
        f"{result.peak_rss_mb:.0f} MB peak{rows}"
    )


class Bench:
    def __init__(self, options: Options, say: Callable[[str], None] | None = None) -> None:
        self.options = options
        self.say = say or Say()
        self.workdir = options.workdir.resolve()
        self.env = dict(os.environ)
        self.env.pop("OBSERVATOIRE_WAREHOUSE", None)
        self.env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
        self.env.setdefault("DO_NOT_TRACK", "1")
        self.env.setdefault("GX_ANALYTICS_ENABLED", "False")
        self.worker: WarmWorker | None = None
        self.worker_failure: str | None = None

    # ------------------------------------------------------------------------------------------ worker

    def start_worker(self) -> None:
        """One warm worker for the run (unless ``cold_stages``): it preloads once, the stages are its forks.

        It gets the stages' environment without a home of its own: ``OBSERVATOIRE_HOME`` points to a
        directory that must never appear (nothing may read configuration before the fork); each forked
        stage receives its whole environment with the request."""
        if self.options.cold_stages or self.worker is not None:
            return
        self.workdir.mkdir(parents=True, exist_ok=True)
        env = dict(self.env, OBSERVATOIRE_HOME=str(self.no_home))
        worker = WarmWorker(env, self.workdir / "worker.log")
        try:
            info = worker.start()
        except WorkerFailed as error:
            self.worker_failure = str(error)
            self.say(f"the warm worker did not start ({error}): every stage runs in a fresh interpreter")
            return
        self.worker = worker
        preloaded = ", ".join(f"{k} {v:.1f}s" for k, v in info["preload"].items()) or "nothing"
        self.say(
            f"warm worker pid {info['pid']}: preloaded {preloaded} ({info['preload_source']}), "
            f"{info['rss_mb']} MB resident; a fork of it peaks at {info['fork_baseline_rss_mb']} MB doing nothing"
        )

    def stop_worker(self) -> None:
        if self.worker is not None:
            self.worker.stop()

    @property
    def no_home(self) -> Path:
        return self.workdir / ".worker-has-no-home"

    def stage_processes(self) -> dict[str, Any]:
        """How the stages ran, and what the warm worker paid once (JSON ``stage_processes``)."""
        if self.worker is None:
            return {
                "mode": "cold",
                "description": "every stage in a fresh interpreter (python -m observatoire.bench.stages): "
                "each gate stage pays the import of Great Expectations itself",
                "warm_worker_failed": self.worker_failure,
            }
        starts = self.worker.starts
        info = self.worker.info
        return {
            "mode": "warm",
            "description": "every stage a fork of one warm worker that preloaded once, as a production "
            "Celery pool process does (the embedded default runs every DAG in one process)",
            "preload": info.get("preload"),
            "preload_source": info.get("preload_source"),
            "preload_wall_s": info.get("preload_wall_s"),
            "preload_cpu_s": info.get("preload_cpu_s"),
            "worker_rss_mb": info.get("rss_mb"),
            "fork_baseline_rss_mb": info.get("fork_baseline_rss_mb"),
            "workers_started": len(starts),
            "worker_state_before_fork": info.get("home_caches"),
            "worker_home_touched": self.no_home.exists(),
        }

    # ---------------------------------------------------------------------------------------- helpers

    def _env(self, home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = dict(self.env, OBSERVATOIRE_HOME=str(home))
        env.update(extra or {})
        return env

    def _run(
        self,
        scenario: Scenario,
        stage: str,
        name: str,
        env: dict[str, str],
        into: list[StageResult],
        *,
        home: Path | None = None,
        **options: Any,
    ) -> StageResult:
        phase = (
            "increment" if into is scenario.increment else "profile" if into is scenario.profiled else "full"
        )
        label = f"{scenario.label}/{phase}/{name}"
        self.say(f"{label} …")
        result = run_child(
            name,
            stage_command(stage, home or scenario.home, **options),
            env=env,
            workdir=scenario.home / "bench" / phase,
            timeout_s=self.options.stage_timeout_s,
            worker=self.worker,
        )
        into.append(result)
        self.say(f"  {label}: {describe(result)}")
        return result

    def _scenarios(self) -> list[Scenario]:
        o = self.options
        if o.quick_days:
            start = o.end - timedelta(days=o.quick_days - 1)
            return [
                Scenario(f"{o.quick_days}d", o.quick_days, start, o.end, self.workdir / f"d{o.quick_days}")
            ]
        scenarios = []
        for years in sorted(set(o.years)):
            start = history_start(o.end, years)
            days = (o.end - start).days + 1
            scenarios.append(Scenario(f"{years}y", days, start, o.end, self.workdir / f"y{years}"))
        return scenarios

    # ------------------------------------------------------------------------------------------ scenario

    def run_scenario(self, scenario: Scenario, *, increment: bool) -> None:
        o = self.options
        if scenario.home.exists():
            shutil.rmtree(scenario.home)
        scenario.home.mkdir(parents=True)
        env = self._env(scenario.home)
        new_day = scenario.end + timedelta(days=1)
        generated = self._run(
            scenario,
            "generate",
            "generate",
            env,
            scenario.stages,
            start=scenario.start.isoformat(),
            end=new_day.isoformat(),
            scale=o.scale,
            seed=o.seed,
        )
        if not generated.ok:
            return
        partners = PartnerProcess(scenario.home, scenario.end, env, scenario.home / "bench" / "partners.log")
        self.say(
            f"{scenario.label}: starting the simulated partners (own process, clock frozen at {scenario.end})"
        )
        info = partners.start()
        scenario.partners = {"drop_files_released": info.get("released"), "release_s": info.get("release_s")}
        self.say(
            f"  partners on port {info['port']}, {info.get('released')} drop files released in {info.get('release_s')}s"
        )
        try:
            ingest_env = self._env(scenario.home, partners.connection_env(scenario.start))
            for partner in PARTNERS:
                self._run(
                    scenario,
                    "ingest",
                    f"ingest_{partner}",
                    ingest_env,
                    scenario.stages,
                    partner=partner,
                    start=scenario.start.isoformat(),
                    end=scenario.end.isoformat(),
                )
            self._run(scenario, "reference", "reference_read", env, scenario.stages)
            # The first warehouse build on the pulled data: what a first run of the pipeline does.
            self._warehouse(scenario, env, scenario.stages, mode="full", suffix="")
            # The full build again from the landed files alone (raw.* reloaded): the build target.
            self._run(scenario, "reload", "reload_raw", env, scenario.stages)
            self._warehouse(scenario, env, scenario.stages, mode="full", suffix=REBUILD_SUFFIX)
            self._run(scenario, "queries", "queries", env, scenario.stages, count=o.queries, seed=o.seed)
            if increment:
                self._increment(scenario, partners, ingest_env, env, new_day)
                if o.profile:
                    self._profile(scenario, env, ingest_env)
        finally:
            partners.stop()

    def _warehouse(
        self, scenario: Scenario, env: dict[str, str], into: list[StageResult], *, mode: str, suffix: str
    ) -> None:
        self._run(scenario, "dbt", f"dbt_build{suffix}", env, into, quiet_dbt=True, mode=mode)
        self._run(scenario, "publish_gate", f"publish_gate{suffix}", env, into)
        self._run(scenario, "similarity", f"similarity_index{suffix}", env, into, mode=mode)
        self._run(scenario, "publish", f"publish{suffix}", env, into)

    def _increment(
        self,
        scenario: Scenario,
        partners: PartnerProcess,
        ingest_env: dict[str, str],
        env: dict[str, str],
        new_day: date,
    ) -> None:
        self.say(f"{scenario.label}: daily increment — the partners release {new_day}")
        answer = partners.advance(new_day)
        scenario.partners["increment_release"] = answer
        self._run(
            scenario,
            "ingest",
            "ingest_day",
            ingest_env,
            scenario.increment,
            partner="all",
            start=new_day.isoformat(),
            end=new_day.isoformat(),
        )
        self._warehouse(scenario, env, scenario.increment, mode="incremental", suffix="")

    def _profile(self, scenario: Scenario, env: dict[str, str], ingest_env: dict[str, str]) -> None:
        """cProfile of the Python stages, in a separate pass so that the measured figures carry no overhead.

        Gate, index and publication are re-run on the same warehouse (they are repeatable); ingestion
        is profiled on the last 30 days pulled from the same partners into a scratch home."""
        for stage, name, mode in (
            ("reload", "reload_raw", None),
            ("publish_gate", "publish_gate", None),
            ("similarity", "similarity_index", "full"),
            ("publish", "publish", None),
        ):
            self._run(scenario, stage, name, env, scenario.profiled, profile=True, mode=mode)
        scratch = scenario.home.parent / f"{scenario.home.name}-profile-ingest"
        if scratch.exists():
            shutil.rmtree(scratch)
        scratch.mkdir(parents=True)
        window_start = max(scenario.start, scenario.end - timedelta(days=29))
        scratch_env = dict(ingest_env, OBSERVATOIRE_HOME=str(scratch))
        for partner in ("ville", "prefecture"):
            self._run(
                scenario,
                "ingest",
                f"ingest_{partner}_last_30_days",
                scratch_env,
                scenario.profiled,
                home=scratch,
                partner=partner,
                start=window_start.isoformat(),
                end=scenario.end.isoformat(),
                profile=True,
            )
        if not self.options.keep:
            shutil.rmtree(scratch, ignore_errors=True)

    def run_synthetic(self) -> StageResult:
        home = self.workdir / "synthetic"
        home.mkdir(parents=True, exist_ok=True)
        scenario = Scenario("synthetic", 0, self.options.end, self.options.end, home)
        return self._run(
            scenario,
            "similarity_synthetic",
            f"similarity_index_{self.options.synthetic_events}_events",
            self._env(home),
            scenario.stages,
            events=self.options.synthetic_events,
            seed=self.options.seed,
        )

    # ---------------------------------------------------------------------------------------------- all

    def run(self, checkpoint: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
        """Every scenario, longest first (the targets are about it), then the synthetic index.

        ``checkpoint`` receives the results so far after each scenario (partial results are written)."""
        o = self.options
        started = datetime.now(UTC)
        self.workdir.mkdir(parents=True, exist_ok=True)
        info = machine()
        self.say(
            f"machine: {info['cores']} cores ({info['cpu_model']}), {info['memory_gb']} GB, load {info['load_average_at_start']}; "
            f"work directory {self.workdir}"
        )
        scenarios = self._scenarios()
        longest = max(scenarios, key=lambda s: s.days)
        order = [longest] + [s for s in scenarios if s is not longest]
        done: list[Scenario] = []
        synthetic: StageResult | None = None
        self.start_worker()
        try:
            for scenario in order:
                self.say(f"=== {scenario.label}: {scenario.start} → {scenario.end} at scale {o.scale}")
                self.run_scenario(scenario, increment=scenario is longest)
                done.append(scenario)
                if scenario is longest:
                    synthetic = self.run_synthetic()
                if checkpoint is not None:
                    checkpoint(
                        self._results(
                            started, info, sorted(done, key=lambda s: s.days), synthetic, final=False
                        )
                    )
                if not o.keep and scenario is not longest:
                    shutil.rmtree(scenario.home, ignore_errors=True)
        finally:
            self.stop_worker()
        return self._results(started, info, sorted(done, key=lambda s: s.days), synthetic, final=True)

    def _results(
        self,
        started: datetime,
        info: dict[str, Any],
        scenarios: list[Scenario],
        synthetic: StageResult | None,
        *,
        final: bool,
    ) -> dict[str, Any]:
        o = self.options
        finished = datetime.now(UTC)
        info = dict(info, load_average_at_end=[round(x, 2) for x in os.getloadavg()])
        return {
            "benchmark": "observatoire bench",
            "started_at": started.isoformat(),
            "finished_at": finished.isoformat(),
            "duration_s": round((finished - started).total_seconds(), 1),
            "options": {
                "years": o.years,
                "scale": o.scale,
                "queries": o.queries,
                "seed": o.seed,
                "end": o.end.isoformat(),
                "quick_days": o.quick_days,
                "synthetic_events": o.synthetic_events,
                "cold_stages": o.cold_stages,
            },
            "stage_processes": self.stage_processes(),
            "machine": info,
            "complete": final,
            "scenarios": [s.to_dict() for s in scenarios],
            "synthetic_similarity": synthetic.to_dict() if synthetic is not None else None,
        }

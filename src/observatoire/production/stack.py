"""The production configuration started natively: PostgreSQL + Redis + CeleryExecutor, no Docker.

:class:`ProductionStack` does what ``docker compose up`` does with ``docker-compose.yml``, with the
machine's own PostgreSQL and Redis in place of the two containers:

- a PostgreSQL database of its own (``observatoire_prod_test_<random>``, dropped at the end) and a
  Redis database index nobody uses (flushed at the end);
- the environment of the compose file's common block and each service's command, read from the file
  (:mod:`observatoire.production.compose`) with the ``${VARIABLES}`` an operator's ``.env`` would
  give, so the two cannot drift;
- ``deploy/init.sh`` (migrate, admin user, the one-slot pool), then the simulated partners, the
  api-server, scheduler, dag-processor, triggerer and N Celery workers as separate process groups;
- on exit: a SIGTERM to each process group (workers first, so that they finish warm), SIGKILL after a
  grace period, a check that no process carrying this run's marker survives, the database dropped.

What has to differ from the containers is only what comes from sharing one host: listening ports
(each container has its own network namespace, native processes do not) and each worker's Celery
node name (a container's is its hostname). :data:`NATIVE_ONLY_KEYS` lists them; the tests check
that nothing else is overridden.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from ..config import REPO_ROOT, Paths
from . import compose

Progress = Callable[[str], None]

POSTGRES_ADMIN_ENV = "OBSERVATOIRE_PROD_POSTGRES"
REDIS_ENV = "OBSERVATOIRE_PROD_REDIS"
DEFAULT_POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379"
DATABASE_PREFIX = "observatoire_prod_test_"
MARKER_ENV = "OBSERVATOIRE_PROD_RUN"
"""Set in every process the stack starts: the orphan check looks for it in /proc/*/environ."""

ADMIN_USER = "admin"

IMAGE_LOCATION_KEYS = (
    "AIRFLOW_HOME",
    "AIRFLOW__CORE__DAGS_FOLDER",
    "AIRFLOW__CORE__PLUGINS_FOLDER",
    "OBSERVATOIRE_HOME",
    "OBSERVATOIRE_DBT_PROJECT",
)
"""Set by the Dockerfile's ENV in the image; the native run points them at its own directories."""

NATIVE_ONLY_KEYS = frozenset(
    {
        "AIRFLOW__API__HOST",
        "AIRFLOW__API__PORT",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT",
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT",
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT",
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE",
        "OBSERVATOIRE_PARTNERS_BIND",
        "OBSERVATOIRE_PARTNERS_PORT",
        MARKER_ENV,
    }
)
"""Per-process settings only a shared host needs (ports, loopback binds, the run marker), and the
test's one scheduling knob (see :attr:`StackSettings.job_schedule`)."""

SERVICE_ORDER = ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer")
PROBE_DAG_FILE = Path(__file__).with_name("probe_dag.py")


def _print(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _hint(log_tail: str) -> str:
    """The cure for the failures we know, appended to a process's last log lines."""
    if "celery.backends.database" in log_tail:
        # celery 5.7 removed celery.backends.database.retry, which apache-airflow-providers-celery
        # 3.26 imports: the Celery executor cannot load at all.
        return (
            "\nHINT: the locked celery is too new for apache-airflow-providers-celery: pin "
            "celery<5.7 in requirements/runtime.in and run `make lock`."
        )
    return ""


def _remove_tree(root: Path) -> None:
    """Delete a work directory, including the landing area the ingestion makes read-only."""
    for folder, _, _ in os.walk(root):
        try:
            os.chmod(folder, 0o700)
        except OSError:
            pass
    shutil.rmtree(root, ignore_errors=True)


def free_port() -> int:
    """An ephemeral loopback port (other engineers run their own stacks on this machine)."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fernet_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


@dataclass(frozen=True)
class StackSettings:
    workers: int = 2
    worker_concurrency: int = 2
    parallelism: int = 8
    triggerer: bool = True
    partners: bool = True
    demo_days: int = 30
    demo_scale: float = 0.2
    demo_seed: int = 42
    work_dir: Path | None = None
    """Where AIRFLOW_HOME, OBSERVATOIRE_HOME and process logs go (default: a new temporary directory)."""
    keep: bool = False
    """Keep the work directory and the database (for debugging) instead of removing them."""
    extra_dags: tuple[Path, ...] = (PROBE_DAG_FILE,)
    """DAG files added next to the repository's ``dags/*.py`` (the pool probe)."""
    startup_timeout_s: float = 180.0
    job_schedule: bool = False
    """Let the scheduler create runs from timetables and assets. Off by default in the check, which
    triggers every run itself: unpausing an hourly ingestion DAG would otherwise queue its latest
    scheduled interval ahead of the check's run (max one active run), doubling the ingestion time.
    On, the check waits for build_warehouse's asset schedule instead of triggering it."""


@dataclass
class ManagedProcess:
    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    popen: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class NativePlan:
    """What the stack runs: the variables, the base environment and one entry per process."""

    variables: dict[str, str]
    common_env: dict[str, str]
    locations: dict[str, str]
    init: ManagedProcess
    processes: list[ManagedProcess] = field(default_factory=list)


class StackError(RuntimeError):
    pass


class ProductionStack:
    """Context manager: ``with ProductionStack(settings) as stack: stack.client ...``."""

    def __init__(self, settings: StackSettings | None = None, progress: Progress = _print) -> None:
        self.settings = settings or StackSettings()
        self.progress = progress
        self.run_id = secrets.token_hex(4)
        self.database = f"{DATABASE_PREFIX}{self.run_id}"
        self.postgres_admin = os.environ.get(POSTGRES_ADMIN_ENV, DEFAULT_POSTGRES_ADMIN)
        self.redis_url = os.environ.get(REDIS_ENV, DEFAULT_REDIS)
        self.redis_db: int | None = None
        self._own_work_dir = self.settings.work_dir is None
        self.work_dir = Path(self.settings.work_dir or tempfile.mkdtemp(prefix="observatoire-prod-")).resolve()
        self.airflow_home = self.work_dir / "airflow"
        self.paths = Paths(self.work_dir / "home")
        self.dags_dir = self.work_dir / "dags"
        self.process_logs = self.work_dir / "process-logs"
        self.api_port = free_port()
        self.partner_port = free_port()
        self.admin_password = secrets.token_urlsafe(16)
        self.plan: NativePlan | None = None
        self.started: list[ManagedProcess] = []
        self._database_created = False
        self.timings: dict[str, float] = {}
        # The generated period (deploy/partners.sh): the days up to yesterday, UTC.
        self.demo_end = datetime.now(UTC).date() - timedelta(days=1)
        self.demo_start = self.demo_end - timedelta(days=self.settings.demo_days - 1)
        self.shutdown_survivors: list[str] = []

    # ---- configuration ------------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def variables(self) -> dict[str, str]:
        """What an operator's ``.env`` would hold, for this machine's PostgreSQL and Redis."""
        from urllib.parse import urlsplit

        pg = urlsplit(self.postgres_admin)
        redis = urlsplit(self.redis_url)
        drop = self.paths.drop

        from ..orchestration.environment import partner_connections

        # The same connection values as the embedded profile (one format for the package to parse),
        # with the generated period's first day as the start of a full-history pull.
        connections = partner_connections(
            self.partner_port, "demo-city-token", "demo-smtpc-key", drop, history_start=self.demo_start.isoformat()
        )
        return {
            "POSTGRES_USER": pg.username or "postgres",
            # Trust authentication here; a password is still required by the compose file's rules.
            "POSTGRES_PASSWORD": pg.password or secrets.token_hex(8),
            "POSTGRES_HOST": pg.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(pg.port or 5432),
            "POSTGRES_DB": self.database,
            "REDIS_HOST": redis.hostname or "127.0.0.1",
            "REDIS_PORT": str(redis.port or 6379),
            "REDIS_DB": str(self.redis_db if self.redis_db is not None else 0),
            "AIRFLOW_FERNET_KEY": fernet_key(),
            "AIRFLOW_JWT_SECRET": secrets.token_hex(32),
            "AIRFLOW_API_SECRET_KEY": secrets.token_hex(32),
            # Sized for two shared cores: two workers of two task slots.
            "AIRFLOW_WORKER_CONCURRENCY": str(self.settings.worker_concurrency),
            "AIRFLOW_PARALLELISM": str(self.settings.parallelism),
            "AIRFLOW_EXECUTION_API_SERVER_URL": f"{self.api_url}/execution/",
            "OBSERVATOIRE_ADMIN_USERNAME": ADMIN_USER,
            "OBSERVATOIRE_ADMIN_PASSWORD": self.admin_password,
            "OBSERVATOIRE_ADMIN_EMAIL": "admin@example.org",
            **connections,
            "OBSERVATOIRE_DEMO_CITY_TOKEN": "demo-city-token",
            "OBSERVATOIRE_DEMO_SMTPC_KEY": "demo-smtpc-key",
            "OBSERVATOIRE_DEMO_DAYS": str(self.settings.demo_days),
            "OBSERVATOIRE_DEMO_END": self.demo_end.isoformat(),
            "OBSERVATOIRE_DEMO_SCALE": str(self.settings.demo_scale),
            "OBSERVATOIRE_DEMO_SEED": str(self.settings.demo_seed),
        }

    def locations(self) -> dict[str, str]:
        """The native values of the image's location ENV (see the Dockerfile)."""
        return {
            "AIRFLOW_HOME": str(self.airflow_home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags_dir),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO_ROOT / "plugins"),
            "OBSERVATOIRE_HOME": str(self.paths.home),
            "OBSERVATOIRE_DBT_PROJECT": str(REPO_ROOT / "dbt_project"),
        }

    def _base_environment(self) -> dict[str, str]:
        """This process's environment without any Airflow or Observatoire setting it may carry
        (a developer's shell, the embedded profile): only the compose file's settings apply."""
        keep = {}
        for key, value in os.environ.items():
            if key.startswith(("AIRFLOW", "OBSERVATOIRE_", "_AIRFLOW")) or key in {"DO_NOT_TRACK"}:
                continue
            keep[key] = value
        # The venv's executables (airflow, celery, observatoire, dbt) first, as the image's PATH does.
        keep["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{keep.get('PATH', '')}"
        return keep

    def build_plan(self) -> NativePlan:
        """Every process with its argv and environment, read from the compose file."""
        document = compose.load()
        variables = self.variables()
        common = compose.common_environment(document, variables)
        locations = self.locations()
        base = self._base_environment() | locations | {MARKER_ENV: self.run_id}
        self.process_logs.mkdir(parents=True, exist_ok=True)

        def make(service_name: str, label: str, overrides: Mapping[str, str], extra_args: list[str]) -> ManagedProcess:
            svc = compose.service(document, service_name, variables)
            env = base | common | svc.environment | dict(overrides)
            argv = compose.native_argv(svc.command) + extra_args
            return ManagedProcess(label, argv, env, self.process_logs / f"{label}.log")

        init = make("airflow-init", "airflow-init", {}, [])
        processes: list[ManagedProcess] = []
        if self.settings.partners:
            processes.append(
                make(
                    "partners",
                    "partners",
                    # Loopback for the native run (the container binds 0.0.0.0 on the compose network).
                    {"OBSERVATOIRE_PARTNERS_BIND": "", "OBSERVATOIRE_PARTNERS_PORT": str(self.partner_port)},
                    [],
                )
            )
        processes.append(
            make(
                "airflow-apiserver",
                "airflow-apiserver",
                {"AIRFLOW__API__HOST": "127.0.0.1", "AIRFLOW__API__PORT": str(self.api_port)},
                [],
            )
        )
        processes.append(
            make(
                "airflow-scheduler",
                "airflow-scheduler",
                {
                    "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST": "127.0.0.1",
                    "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(free_port()),
                }
                | ({} if self.settings.job_schedule else {"AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False"}),
                [],
            )
        )
        processes.append(make("airflow-dag-processor", "airflow-dag-processor", {}, []))
        if self.settings.triggerer:
            processes.append(
                make(
                    "airflow-triggerer",
                    "airflow-triggerer",
                    {"AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port())},
                    [],
                )
            )
        for index in range(1, self.settings.workers + 1):
            processes.append(
                make(
                    "airflow-worker",
                    f"airflow-worker-{index}",
                    {"AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port())},
                    # In a container the node name is celery@<container hostname>; here both workers
                    # share a hostname, so each gets its own node name.
                    ["--celery-hostname", f"worker{index}-{self.run_id}@%h"],
                )
            )
        self.plan = NativePlan(variables, common, locations, init, processes)
        return self.plan

    # ---- PostgreSQL and Redis ------------------------------------------------------------------------

    def _pg_execute(self, statement: str) -> None:
        import psycopg2

        connection = psycopg2.connect(self.postgres_admin)
        try:
            connection.autocommit = True  # CREATE/DROP DATABASE cannot run in a transaction
            with connection.cursor() as cursor:
                cursor.execute(statement)
        finally:
            connection.close()

    def create_database(self) -> None:
        self._pg_execute(f'CREATE DATABASE "{self.database}"')
        self._database_created = True

    def drop_database(self) -> None:
        if self._database_created:
            self._pg_execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            self._database_created = False

    def _redis(self, db: int) -> Any:
        import redis

        return redis.Redis.from_url(f"{self.redis_url.rstrip('/')}/{db}")

    def claim_redis_db(self) -> int:
        """An empty Redis database index (1-15, random order), marked as ours with a key."""
        import random

        candidates = list(range(1, 16))
        random.shuffle(candidates)
        for db in candidates:
            client = self._redis(db)
            # SET NX on a claim key: two stacks starting at once cannot take the same index.
            if client.dbsize() == 0 and client.set("observatoire:prod-check:claim", self.run_id, nx=True, ex=3600):
                self.redis_db = db
                return db
        raise StackError("no empty Redis database index (1-15) is free")

    def release_redis_db(self) -> None:
        if self.redis_db is not None:
            client = self._redis(self.redis_db)
            if client.get("observatoire:prod-check:claim") in (self.run_id.encode(), None):
                client.flushdb()
            self.redis_db = None

    # ---- processes ----------------------------------------------------------------------------------

    def _prepare_dirs(self) -> None:
        self.airflow_home.mkdir(parents=True, exist_ok=True)
        self.paths.ensure()
        self.paths.drop.mkdir(parents=True, exist_ok=True)
        self.dags_dir.mkdir(parents=True, exist_ok=True)
        for dag_file in sorted((REPO_ROOT / "dags").glob("*.py")):
            (self.dags_dir / dag_file.name).symlink_to(dag_file)
        for extra in self.settings.extra_dags:
            (self.dags_dir / extra.name).symlink_to(extra)

    def _spawn(self, process: ManagedProcess) -> None:
        log = process.log_path.open("ab")
        # A session of its own per process: the shutdown signals the whole group (uvicorn and Celery
        # children, task supervisors) and nothing else.
        process.popen = subprocess.Popen(
            process.argv,
            env=process.env,
            cwd=str(self.work_dir),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        self.started.append(process)

    def run_init(self) -> None:
        assert self.plan is not None
        init = self.plan.init
        self.progress(f"[prod] init: {' '.join(init.argv[-1:])} (migrate, admin user, pool)")
        start = time.monotonic()
        self._spawn(init)
        assert init.popen is not None
        code = init.popen.wait(timeout=600)
        self.timings["init_s"] = round(time.monotonic() - start, 1)
        if code != 0:
            raise StackError(f"airflow-init failed (exit {code}):\n{init.tail()}")

    def _wait_http(self, url: str, process: ManagedProcess, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not process.alive():
                raise StackError(f"{process.name} exited before it answered:\n{process.tail()}{_hint(process.tail())}")
            try:
                if requests.get(url, timeout=3).status_code < 500:
                    return
            except requests.RequestException:
                pass
            time.sleep(1)
        raise StackError(f"{process.name} did not answer on {url} within {timeout:.0f} s:\n{process.tail()}")

    def start(self) -> None:
        t0 = time.monotonic()
        self.progress(f"[prod] run {self.run_id}: work dir {self.work_dir}")
        self.create_database()
        self.claim_redis_db()
        self.progress(f"[prod] PostgreSQL database {self.database}, Redis db {self.redis_db}")
        self._prepare_dirs()
        plan = self.build_plan()
        self.run_init()
        for process in plan.processes:
            self.progress(f"[prod] start {process.name}: {' '.join(process.argv)}")
            self._spawn(process)
            if process.name == "partners":
                self._wait_http(
                    f"http://127.0.0.1:{self.partner_port}/_control/health", process, self.settings.startup_timeout_s
                )
        api = next(p for p in plan.processes if p.name == "airflow-apiserver")
        self._wait_http(f"{self.api_url}/api/v2/monitor/health", api, self.settings.startup_timeout_s)
        self.wait_components_healthy()
        self.timings["startup_s"] = round(time.monotonic() - t0, 1)
        self.progress(f"[prod] stack up in {self.timings['startup_s']} s (api-server {self.api_url})")

    def wait_components_healthy(self) -> None:
        """The api-server's health endpoint reports the scheduler, dag-processor and triggerer heartbeats."""
        wanted = {"metadatabase", "scheduler", "dag_processor"} | ({"triggerer"} if self.settings.triggerer else set())
        deadline = time.monotonic() + self.settings.startup_timeout_s
        status: dict[str, Any] = {}
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                status = requests.get(f"{self.api_url}/api/v2/monitor/health", timeout=5).json()
            except (requests.RequestException, ValueError):
                status = {}
            healthy = {name for name, value in status.items() if isinstance(value, dict) and value.get("status") == "healthy"}
            if wanted <= healthy:
                return
            time.sleep(2)
        raise StackError(f"components not healthy within {self.settings.startup_timeout_s:.0f} s: {status}")

    def check_alive(self) -> None:
        for process in self.started:
            if process.name != "airflow-init" and not process.alive():
                raise StackError(f"{process.name} exited unexpectedly:\n{process.tail()}{_hint(process.tail())}")

    def worker_logs(self) -> dict[str, str]:
        return {
            p.name: p.log_path.read_text(errors="replace")
            for p in self.started
            if p.name.startswith("airflow-worker") and p.log_path.exists()
        }

    def stop(self, worker_grace_s: float = 60.0, grace_s: float = 15.0) -> list[str]:
        """SIGTERM every process group (workers get longer: a warm Celery shutdown finishes its tasks),
        SIGKILL what is left after the grace period; returns the survivors found afterwards (should be [])."""
        order = [p for p in self.started if p.popen is not None and p.name != "airflow-init"]
        groups = [p for p in order if p.alive()]
        for process in groups:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        start = time.monotonic()
        for process in groups:
            assert process.popen is not None
            grace = worker_grace_s if process.name.startswith("airflow-worker") else grace_s
            try:
                process.popen.wait(timeout=max(0.1, start + grace - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.progress(f"[prod] {process.name} still running {grace:.0f} s after SIGTERM: SIGKILL")
        # Whatever is left in the groups (children that outlived their leader) gets SIGKILL.
        for process in order:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            if process.popen is not None:
                try:
                    process.popen.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass
        return self.survivors()

    def survivors(self, settle_s: float = 5.0) -> list[str]:
        """Processes still carrying this run's marker (children that left their group included)."""
        marker = f"{MARKER_ENV}={self.run_id}".encode()
        deadline = time.monotonic() + settle_s
        while True:
            found = []
            for proc in Path("/proc").iterdir():
                if not proc.name.isdigit() or int(proc.name) == os.getpid():
                    continue
                try:
                    if marker in (proc / "environ").read_bytes().split(b"\0"):
                        state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
                        if state != "Z":
                            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                            found.append(f"{proc.name}: {cmdline.strip()[:160]}")
                except (OSError, IndexError):
                    continue
            if not found or time.monotonic() > deadline:
                return found
            time.sleep(0.5)

    def kill_survivors(self) -> None:
        for line in self.survivors(settle_s=0):
            try:
                os.kill(int(line.split(":", 1)[0]), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass

    def close(self) -> list[str]:
        survivors: list[str] = []
        try:
            survivors = self.stop()
            if survivors:
                self.progress(f"[prod] orphan processes after shutdown: {survivors}")
                self.kill_survivors()
        finally:
            try:
                if not self.settings.keep:
                    self.drop_database()
            finally:
                self.release_redis_db()
                if self._own_work_dir and not self.settings.keep:
                    _remove_tree(self.work_dir)
        self.progress(
            f"[prod] stopped; database {'kept' if self.settings.keep else 'dropped'}"
            + (f", work dir kept: {self.work_dir}" if self.settings.keep or not self._own_work_dir else "")
        )
        return survivors

    def __enter__(self) -> ProductionStack:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown_survivors = self.close()

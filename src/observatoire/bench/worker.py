"""The warm worker: stages run as forks of one long-lived process, like tasks forked from a Celery pool process.

The platform never pays a library's import per task: the embedded default runs every DAG in one process
(``dag.test()``), and the production profile's Celery pool processes preload Great Expectations
(``observatoire.orchestration.worker_preload.preload``) so that every Airflow task process forked from
them finds it imported. The benchmark models that: one worker per run calls the preload once, then forks
a child per stage. The child applies the stage's environment (``OBSERVATOIRE_HOME`` …), runs exactly what
``python -m observatoire.bench.stages ARGS`` runs (same arguments, same result file), and the worker reads
its resource usage with ``os.wait4``.

Protocol, one JSON object a line (``python -m observatoire.bench.worker``):

- on start: ``{"ready": true, "pid", "preload": {library: seconds}, "preload_source", "preload_wall_s",
  "preload_cpu_s", "rss_mb", "fork_baseline_rss_mb", "home_caches"}`` (or ``{"ready": false, "error"}``);
- ``{"argv": [...], "env": {...}, "log": path, "timeout_s": s|null}`` →
  ``{"pid", "status", "wall_s", "cpu_s", "maxrss_kb", "timed_out", "preload_calls"}``;
- ``{"quit": true}`` or end of input: stop.

The client side is :class:`WarmWorker`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NoReturn

from . import stages

STAGES_MODULE = "observatoire.bench.stages"
PRELOAD_NAME = "observatoire.orchestration.worker_preload.preload"
POLL_S = 0.05
_preload_calls = 0
_protocol_fd: int | None = None


@dataclass
class ChildUsage:
    """What the parent learns about a finished stage process."""

    status: int
    wall_s: float
    cpu_s: float
    maxrss_kb: float
    timed_out: bool = False
    error: str | None = None
    pid: int | None = None


# ------------------------------------------------------------------------------------------ the worker


def preload_function() -> tuple[Callable[[], dict[str, float]], str]:
    """The platform's worker preload (what the production Celery workers call) and its name."""
    from ..orchestration.worker_preload import preload

    return preload, PRELOAD_NAME


def _rss_mb() -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024.0, 1)
    except OSError:
        pass
    return None


def home_caches() -> list[str]:
    """Caches keyed on ``OBSERVATOIRE_HOME`` or paths under it that are already filled in this process.

    The worker never runs a stage itself, so these must be empty before a fork: a child would otherwise
    inherit another home's state (they are keyed by home, but an empty list makes it plain)."""
    filled = []
    for module_name, attribute in (
        ("observatoire.ingestion.landing", "_PATHS_CACHE"),
        ("observatoire.ingestion.landing", "_DIRS_CACHE"),
        ("observatoire.privacy.evidence", "_CONTEXTS"),
        ("observatoire.similarity.query", "_CACHE"),
    ):
        module = sys.modules.get(module_name)
        if module is not None and getattr(module, attribute, None):
            filled.append(f"{module_name}.{attribute}")
    return filled


def _fork_baseline_kb() -> float:
    """ru_maxrss of a fork of this process that does nothing: the floor of every forked stage's peak RSS."""
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    _, _, usage = os.wait4(pid, 0)
    return float(usage.ru_maxrss)


def _child(argv: list[str], env: Mapping[str, str], log: str) -> NoReturn:
    """In the forked child: own process group, output to the log, the stage's environment, the stage."""
    status = 1
    try:
        if _protocol_fd is not None:
            os.close(_protocol_fd)
        os.setpgid(0, 0)
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        # The whole environment is the stage's, exactly as a fresh interpreter would receive it.
        os.environ.clear()
        os.environ.update(env)
        sys.argv = [STAGES_MODULE, *argv]
        status = stages.main(argv)
    except SystemExit as exit_:
        status = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:  # noqa: BLE001 - the child must end here, whatever happened
        traceback.print_exc()
        status = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001,S110 - nothing left to report to
                pass
        os._exit(status)


def _kill_group(pid: int) -> None:
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            target()
            return
        except (ProcessLookupError, PermissionError):
            continue


def run_forked(argv: list[str], env: Mapping[str, str], log: str, timeout_s: float | None) -> dict[str, Any]:
    """Fork, run the stage in the child, reap it with ``os.wait4`` (killing its group on timeout)."""
    sys.stdout.flush()
    sys.stderr.flush()
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        _child(argv, env, log)
    try:
        os.setpgid(pid, pid)  # also done by the child: whichever runs first (the other may fail)
    except OSError:
        pass
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    timed_out = False
    try:
        while True:
            done, status, usage = os.wait4(pid, 0 if deadline is None else os.WNOHANG)
            if done == pid:
                break
            if deadline is not None and time.monotonic() > deadline:
                timed_out = True
                _kill_group(pid)  # the stage and its own children (dbt …)
                _, status, usage = os.wait4(pid, 0)
                break
            time.sleep(POLL_S)
    except BaseException:
        # The worker is being stopped (Ctrl-C, its parent gone): the stage, in its own group, goes too.
        _kill_group(pid)
        raise
    wall = time.perf_counter() - started
    return {
        "pid": pid,
        "status": os.waitstatus_to_exitcode(status),
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "maxrss_kb": float(usage.ru_maxrss),
        "timed_out": timed_out,
        "preload_calls": _preload_calls,
    }


def _say(out: IO[str], payload: dict[str, Any]) -> None:
    out.write(json.dumps(payload, default=str) + "\n")
    out.flush()


def serve(requests: IO[str], out: IO[str]) -> int:
    global _preload_calls
    try:
        preload, source = preload_function()
        wall, cpu = time.perf_counter(), time.process_time()
        seconds = preload()
        _preload_calls += 1
        ready = {
            "ready": True,
            "pid": os.getpid(),
            "preload": {str(k): round(float(v), 3) for k, v in dict(seconds).items()},
            "preload_source": source,
            "preload_wall_s": round(time.perf_counter() - wall, 3),
            "preload_cpu_s": round(time.process_time() - cpu, 3),
            "rss_mb": _rss_mb(),
            "fork_baseline_rss_mb": round(_fork_baseline_kb() / 1024.0, 1),
            "home_caches": home_caches(),
        }
    except BaseException as error:  # noqa: BLE001 - reported to the parent
        traceback.print_exc()
        _say(out, {"ready": False, "error": f"{type(error).__name__}: {str(error)[:2000]}"})
        return 1
    _say(out, ready)
    for line in requests:
        if not line.strip():
            continue
        request = json.loads(line)
        if request.get("quit"):
            break
        leaked = home_caches()
        if leaked:
            _say(out, {"status": -1, "error": f"worker state filled before the fork: {leaked}"})
            continue
        _say(
            out,
            run_forked(
                [str(a) for a in request["argv"]],
                {str(k): str(v) for k, v in request["env"].items()},
                str(request["log"]),
                request.get("timeout_s"),
            ),
        )
    return 0


def main() -> int:
    global _protocol_fd
    # The protocol owns stdout: anything else the worker prints goes to stderr (its log).
    _protocol_fd = os.dup(1)
    protocol = os.fdopen(_protocol_fd, "w", encoding="utf-8")
    os.dup2(2, 1)
    return serve(sys.stdin, protocol)


# ------------------------------------------------------------------------------------------ the client


class WorkerFailed(RuntimeError):
    """The warm worker could not start (its preload failed)."""


class WarmWorker:
    """Parent side: start the worker (preload once), run stages as its forks, stop it."""

    def __init__(self, env: Mapping[str, str], log: Path) -> None:
        self.env = dict(env)
        self.log = log
        self.process: subprocess.Popen[str] | None = None
        self.starts: list[dict[str, Any]] = []
        """The ready message of every start (one per run unless the worker died)."""
        self._stderr: IO[bytes] | None = None
        self.preload_calls: int | None = None
        """How many times the running worker has called the preload (it reports it with every stage)."""

    @property
    def info(self) -> dict[str, Any]:
        return self.starts[-1] if self.starts else {}

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> dict[str, Any]:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self._stderr = open(self.log, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "observatoire.bench.worker"],
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            encoding="utf-8",
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        try:
            ready = json.loads(line) if line else {"ready": False, "error": "the worker ended at start"}
        except ValueError:
            ready = {"ready": False, "error": f"unexpected answer {line[:200]!r}"}
        if not ready.get("ready"):
            self.stop()
            raise WorkerFailed(f"{ready.get('error')} (log: {self.log})")
        self.starts.append(ready)
        return ready

    def run(
        self, command: Sequence[str], *, env: Mapping[str, str], log: Path, timeout_s: float | None
    ) -> ChildUsage:
        """``command`` is a ``python -m observatoire.bench.stages …`` line: its arguments run in a fork."""
        prefix = [sys.executable, "-m", STAGES_MODULE]
        if list(command[:3]) != prefix:
            raise ValueError(f"not a stage command: {list(command[:3])}")
        if not self.alive():
            try:
                self.start()
            except WorkerFailed as error:
                return ChildUsage(status=-1, wall_s=0.0, cpu_s=0.0, maxrss_kb=0.0, error=str(error))
        assert self.process is not None and self.process.stdin is not None
        assert self.process.stdout is not None
        request = {"argv": list(command[3:]), "env": dict(env), "log": str(log), "timeout_s": timeout_s}
        try:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
            line = self.process.stdout.readline()
        except (BrokenPipeError, OSError) as error:
            line = ""
            broken = str(error)
        else:
            broken = "the worker ended"
        if not line:
            self.stop()
            return ChildUsage(status=-1, wall_s=0.0, cpu_s=0.0, maxrss_kb=0.0, error=broken)
        answer = json.loads(line)
        self.preload_calls = answer.get("preload_calls", self.preload_calls)
        return ChildUsage(
            status=int(answer.get("status", -1)),
            wall_s=float(answer.get("wall_s", 0.0)),
            cpu_s=float(answer.get("cpu_s", 0.0)),
            maxrss_kb=float(answer.get("maxrss_kb", 0.0)),
            timed_out=bool(answer.get("timed_out", False)),
            error=answer.get("error"),
            pid=answer.get("pid"),
        )

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            try:
                if process.stdin is not None and process.poll() is None:
                    process.stdin.write(json.dumps({"quit": True}) + "\n")
                    process.stdin.close()
                process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __enter__(self) -> WarmWorker:
        if not self.alive():
            self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


if __name__ == "__main__":
    sys.exit(main())

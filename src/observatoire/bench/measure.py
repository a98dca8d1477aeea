"""Run one stage in a child process and measure it: wall seconds, CPU seconds, peak RSS, rows.

The child is a fork of the warm worker (:mod:`.worker`, the default) or a fresh interpreter
(``--cold-stages``). It writes a small JSON result (rows in/out, details); its parent reads the child's
resource usage from ``os.wait4``, which on Linux covers the child and the descendants it waited for.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .worker import ChildUsage, WarmWorker

COLD = "cold"
WARM = "warm fork"


@dataclass
class StageResult:
    """One measured stage."""

    stage: str
    ok: bool
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    rows_in: int | None = None
    rows_out: int | None = None
    details: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    log: str | None = None
    process: str | None = None
    """How the stage ran: ``warm fork`` (a fork of the preloaded worker) or ``cold`` (a fresh interpreter)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StageResult:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def run_child(
    stage: str,
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    workdir: Path,
    timeout_s: float | None = None,
    worker: WarmWorker | None = None,
) -> StageResult:
    """Run ``argv`` (a ``python -m observatoire.bench.stages …`` command line) and measure it.

    Without ``worker``: a fresh interpreter (``--cold-stages``). With it: a fork of the warm worker running
    the same arguments (:mod:`.worker`). The command receives ``--result <file>``; its stdout and stderr
    go to ``<workdir>/logs/<stage>.log``.
    """
    logs = workdir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    safe = stage.replace("/", "_").replace(" ", "_")
    log_path = logs / f"{safe}.log"
    result_path = workdir / "results" / f"{safe}.json"
    result_path.parent.mkdir(parents=True, exist_ok=True)
    result_path.unlink(missing_ok=True)
    command = [*argv, "--result", str(result_path)]
    if worker is None:
        usage = _run_cold(command, env, log_path, timeout_s)
    else:
        usage = worker.run(command, env=env, log=log_path, timeout_s=timeout_s)
    status = usage.status
    payload: dict[str, Any] = {}
    if result_path.is_file():
        try:
            payload = json.loads(result_path.read_text(encoding="utf-8"))
        except ValueError:
            payload = {}
    ok = status == 0 and bool(payload.get("ok", False))
    error = payload.get("error")
    if not ok and not error:
        error = f"exit status {status}" + (" (timeout)" if usage.timed_out else "")
        if usage.error:
            error += f": {usage.error}"
    measured = StageResult(
        stage=stage,
        ok=ok,
        wall_s=round(usage.wall_s, 3),
        cpu_s=round(usage.cpu_s, 3),
        # ru_maxrss is in kilobytes on Linux.
        peak_rss_mb=round(usage.maxrss_kb / 1024.0, 1),
        rows_in=payload.get("rows_in"),
        rows_out=payload.get("rows_out"),
        details=dict(payload.get("details") or {}),
        error=None if ok else (str(error) + ("\n" + _tail(log_path) if status != 0 else "")),
        log=str(log_path),
        process=COLD if worker is None else WARM,
    )
    # Kept beside the child's own result, so that an interrupted run can still be reported.
    (workdir / "measured").mkdir(exist_ok=True)
    (workdir / "measured" / f"{safe}.json").write_text(
        json.dumps(measured.to_dict(), default=str), encoding="utf-8"
    )
    return measured


def _run_cold(
    command: list[str], env: Mapping[str, str], log_path: Path, timeout_s: float | None
) -> ChildUsage:
    started = time.perf_counter()
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, env=dict(env), stdout=log, stderr=subprocess.STDOUT)
        status, usage, timed_out = _wait(process, timeout_s)
    wall = time.perf_counter() - started
    process.returncode = status
    return ChildUsage(
        status=status,
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime if usage is not None else 0.0,
        maxrss_kb=float(usage.ru_maxrss) if usage is not None else 0.0,
        timed_out=timed_out,
        pid=process.pid,
    )


def _wait(process: subprocess.Popen[bytes], timeout_s: float | None) -> tuple[int, Any, bool]:
    """``os.wait4`` with an optional timeout (the child is killed when it is reached)."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    while True:
        pid, status, usage = os.wait4(process.pid, 0 if deadline is None else os.WNOHANG)
        if pid == process.pid:
            return os.waitstatus_to_exitcode(status), usage, False
        if deadline is not None and time.monotonic() > deadline:
            process.kill()
            _, status, usage = os.wait4(process.pid, 0)
            return os.waitstatus_to_exitcode(status), usage, True
        time.sleep(0.05)


def stage_command(name: str, home: Path, **options: Any) -> list[str]:
    """``python -m observatoire.bench.stages NAME --home HOME [--opt value …]``."""
    argv = [sys.executable, "-m", "observatoire.bench.stages", name, "--home", str(home)]
    for key, value in options.items():
        if value is None or value is False:
            continue
        flag = "--" + key.replace("_", "-")
        if value is True:
            argv.append(flag)
        else:
            argv += [flag, str(value)]
    return argv


def _version(module: str) -> str | None:
    try:
        from importlib.metadata import version

        return version(module)
    except Exception:  # noqa: BLE001 - a missing distribution is simply not reported
        return None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def machine() -> dict[str, Any]:
    """The machine and the versions that matter to the figures."""
    return {
        "hostname": platform.node(),
        "os": f"{platform.system()} {platform.release()}",
        "cpu_model": _cpu_model(),
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "memory_gb": _memory_gb(),
        "load_average_at_start": _load_average(),
        "python": platform.python_version(),
        "duckdb": _version("duckdb"),
        "dbt_core": _version("dbt-core"),
        "dbt_duckdb": _version("dbt-duckdb"),
        "apache_airflow": _version("apache-airflow"),
        "great_expectations": _version("great_expectations"),
        "scikit_learn": _version("scikit-learn"),
        "pandas": _version("pandas"),
        "observatoire": _version("observatoire"),
    }

"""observatoire.orchestration.worker_preload: what it imports, that it is idempotent, never raises, and is
safe to run in a process that forks task processes afterwards (the Celery worker)."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap

import pytest

from observatoire.orchestration import worker_preload

EXPECTED = {"numpy", "pyarrow", "pandas", "requests", "great_expectations"}

# Runs in a fresh interpreter: the test process may have imported any of these (or Airflow) already.
FRESH_PROCESS = textwrap.dedent(
    """
    import json, os, sys, threading, time

    def os_threads():
        return len(os.listdir("/proc/self/task"))

    def fds():
        return sorted(os.listdir("/proc/self/fd"))

    fds_before = fds()
    from observatoire.orchestration.worker_preload import preload

    first = preload()
    second = preload()
    out = {
        "first": first,
        "second": second,
        "python_threads": threading.active_count(),
        "fds_before": fds_before,
        "fds_after": fds(),
        "airflow_imported": sorted(m for m in sys.modules if m == "airflow" or m.startswith(("airflow.", "cosmos", "dbt."))),
        "modules": {m: m in sys.modules for m in ("great_expectations", "pandas", "pyarrow", "numpy")},
        "duckdb": "duckdb" in sys.modules,
        "gx_analytics": os.environ.get("GX_ANALYTICS_ENABLED"),
    }

    # A task process is a bare fork of a process that preloaded: it must start without the preload's
    # helper threads, find the modules, and work (no lock inherited from a helper thread).
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        child = {"os_threads_at_fork": os_threads(), "gx": "great_expectations" in sys.modules}
        started = time.perf_counter()
        import duckdb, numpy, pandas, pyarrow
        import great_expectations as gx

        frame = pandas.DataFrame({"x": numpy.arange(200_000) % 7})
        arrow_table = pyarrow.Table.from_pandas(frame)
        connection = duckdb.connect()  # left open: the interpreter's shutdown closes it below
        child["duckdb"] = connection.execute("select sum(x) from frame").fetchone()[0]
        child["duckdb_arrow"] = connection.execute("select count(*) from arrow_table").fetchone()[0]
        child["default_connection"] = duckdb.sql("select 42").fetchone()[0]
        child["matmul"] = float((numpy.ones((200, 200)) @ numpy.ones((200, 200)))[0, 0])
        child["gx_version"] = gx.__version__
        child["work_s"] = time.perf_counter() - started
        os.write(write, json.dumps(child).encode())
        # Leave through the interpreter's normal shutdown (atexit, module teardown, C++ destructors),
        # which a library state broken by the fork would turn into a crash (not os._exit).
        sys.exit(0)
    os.close(write)
    chunks = []
    while chunk := os.read(read, 65536):
        chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    out["child"] = json.loads(b"".join(chunks) or b"{}")
    out["child_status"] = status
    print("PRELOAD-RESULT " + json.dumps(out))
    """
)


@pytest.fixture(scope="module")
def fresh() -> dict:
    done = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(line for line in done.stdout.splitlines() if line.startswith("PRELOAD-RESULT "))
    return json.loads(line.removeprefix("PRELOAD-RESULT "))


def test_preload_imports_every_heavy_library_and_returns_seconds(fresh):
    assert set(fresh["first"]) == EXPECTED
    assert all(isinstance(value, float) and value >= 0 for value in fresh["first"].values())
    assert all(fresh["modules"].values()), fresh["modules"]
    # Great Expectations is the bulk of it: a real import, not a cache hit.
    assert fresh["first"]["great_expectations"] > 0.5
    assert fresh["gx_analytics"] == "False"  # as observatoire.privacy.evidence imports it


def test_preload_leaves_duckdb_to_the_task(fresh):
    # import duckdb creates DuckDB's default database (and its thread), which a fork must not inherit.
    assert fresh["duckdb"] is False


def test_preload_is_idempotent(fresh):
    assert set(fresh["second"]) == EXPECTED
    assert all(value < 0.05 for value in fresh["second"].values()), fresh["second"]


def test_preload_is_fork_safe(fresh):
    # No Python thread, no descriptor left open, no Airflow (its configuration is read at first import).
    assert fresh["python_threads"] == 1
    assert fresh["fds_after"] == fresh["fds_before"]
    assert fresh["airflow_imported"] == []
    # The forked child: one OS thread (the native libraries' helper threads are not inherited), the
    # modules are there, and everything works, with DuckDB's own threads started afresh.
    assert fresh["child_status"] == 0
    child = fresh["child"]
    assert child["os_threads_at_fork"] == 1
    assert child["gx"] is True
    assert child["duckdb"] == sum(i % 7 for i in range(200_000))
    assert child["duckdb_arrow"] == 200_000
    assert child["default_connection"] == 42
    assert child["matmul"] == 200.0
    assert child["work_s"] < 60


def test_a_missing_library_is_a_warning_not_an_error(monkeypatch, caplog):
    calls: list[str] = []

    def broken() -> None:
        calls.append("broken")
        raise ImportError("No module named 'not_installed_here'")

    def exploding() -> None:
        calls.append("exploding")
        raise RuntimeError("a library that fails while it initialises")

    def fine() -> None:
        calls.append("fine")

    monkeypatch.setattr(
        worker_preload,
        "LIBRARIES",
        {"broken": broken, "ok": fine, "exploding": exploding, "json": worker_preload._import("json")},
    )
    monkeypatch.setattr(worker_preload, "_FAILED", {})
    with caplog.at_level(logging.WARNING, logger=worker_preload.__name__):
        seconds = worker_preload.preload()
    assert set(seconds) == {"ok", "json"}
    assert all(value >= 0 for value in seconds.values())
    assert set(worker_preload.failed()) == {"broken", "exploding"}
    assert "not_installed_here" in caplog.text and "exploding" in caplog.text

    # Once: a library that failed is not tried again in this process (nor in its forks).
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger=worker_preload.__name__):
        again = worker_preload.preload()
    assert set(again) == {"ok", "json"}
    assert calls == ["broken", "fine", "exploding", "fine"]
    assert caplog.text == ""


def test_a_missing_module_really_imported(monkeypatch):
    monkeypatch.setattr(
        worker_preload, "LIBRARIES", {"ghost": worker_preload._import("observatoire_no_such_module_xyz")}
    )
    monkeypatch.setattr(worker_preload, "_FAILED", {})
    assert worker_preload.preload() == {}
    assert "ModuleNotFoundError" in worker_preload.failed()["ghost"]

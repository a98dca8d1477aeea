"""The warm worker: stages forked from one preloaded process, measured like fresh interpreters.

Nothing here depends on speed: the figures are checked for presence and shape, never against a limit.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from observatoire.bench import report
from observatoire.bench.measure import COLD, WARM, StageResult, run_child, stage_command
from observatoire.bench.stages import PROBE_ENV
from observatoire.bench.worker import WarmWorker


def _env(home: Path) -> dict[str, str]:
    return dict(os.environ, OBSERVATOIRE_HOME=str(home), GX_ANALYTICS_ENABLED="False")


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WarmWorker]:
    root = tmp_path_factory.mktemp("worker")
    # The worker's own home must never be read: a stage's home comes with its request.
    with WarmWorker(_env(root / "no-home") | {PROBE_ENV: "worker"}, root / "worker.log") as started:
        yield started
    assert not (root / "no-home").exists()


def _probe(home: Path, workdir: Path, worker: WarmWorker | None, probe: str | None = None) -> StageResult:
    env = _env(home)
    env.pop(PROBE_ENV, None)
    if probe is not None:
        env[PROBE_ENV] = probe
    return run_child(
        "probe",
        stage_command("probe", home),
        env=env,
        workdir=workdir,
        worker=worker,
    )


def test_a_forked_stage_is_measured_and_reported_like_a_cold_one(worker: WarmWorker, tmp_path: Path) -> None:
    results = {}
    for mode, process in (("cold", None), ("warm", worker)):
        home = tmp_path / mode
        results[mode] = run_child(
            "generate",
            stage_command("generate", home, start="2025-06-01", end="2025-06-02", scale=0.05, seed=1),
            env=_env(home),
            workdir=tmp_path / f"bench-{mode}",
            worker=process,
        )
        assert results[mode].ok, results[mode].error
        assert (home / "partners" / "manifest.json").is_file()
    cold, warm = results["cold"], results["warm"]
    assert (cold.process, warm.process) == (COLD, WARM)
    assert warm.wall_s > 0 and warm.cpu_s > 0 and warm.peak_rss_mb > 10
    assert set(warm.to_dict()) == set(cold.to_dict())
    assert warm.rows_out == cold.rows_out and warm.details == cold.details
    assert Path(str(warm.log)).is_file()
    assert (tmp_path / "bench-warm" / "measured" / "generate.json").is_file()


def test_the_worker_preloads_once_and_its_forks_find_gx_imported_in_their_own_home(
    worker: WarmWorker, tmp_path: Path
) -> None:
    preload = worker.info["preload"]
    assert preload.get("great_expectations", 0) > 0
    assert worker.info["home_caches"] == []
    seen = []
    for name, probe in (("a", "a"), ("b", None)):
        result = _probe(tmp_path / name, tmp_path / f"bench-{name}", worker, probe)
        assert result.ok, result.error
        details = result.details
        assert details["imported_at_start"]["great_expectations"] is True
        assert details["parent_pid"] == worker.info["pid"]
        # Each fork has the environment of its own request, not the worker's nor the previous stage's.
        assert details["env_probe"] == probe
        assert details["home"] == str((tmp_path / name).resolve())
        seen.append(details["pid"])
    assert len(set(seen)) == 2
    assert len(worker.starts) == 1 and worker.preload_calls == 1  # preloaded once, not per stage

    cold = _probe(tmp_path / "c", tmp_path / "bench-cold", None)
    assert cold.ok and cold.details["imported_at_start"]["great_expectations"] is False


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
    return "\nState:\tZ" in state or "\nState:\tX" in state


def test_a_timeout_kills_the_forked_stage_and_its_children(worker: WarmWorker, tmp_path: Path) -> None:
    result = run_child(
        "probe",
        stage_command("probe", tmp_path / "slow", seconds=60),
        env=_env(tmp_path / "slow"),
        workdir=tmp_path / "bench",
        worker=worker,
        timeout_s=1.0,
    )
    assert not result.ok and result.error and "timeout" in result.error
    assert result.wall_s < 30
    log = Path(str(result.log)).read_text()
    sleeper = int(log.split("waiting for pid")[1].split()[0])
    assert _gone(sleeper)
    after = _probe(tmp_path / "after", tmp_path / "bench-after", worker)
    assert after.ok and len(worker.starts) == 1  # the worker goes on


def test_the_report_says_which_mode_ran_and_the_preload_paid_once() -> None:
    warm = report.stage_processes_lines(
        {
            "mode": "warm",
            "preload": {"great_expectations": 3.1},
            "preload_source": "observatoire.orchestration.worker_preload.preload",
            "preload_cpu_s": 3.0,
            "fork_baseline_rss_mb": 190.0,
            "worker_rss_mb": 320.0,
            "workers_started": 1,
        }
    )
    text = "\n".join(warm)
    assert "**warm**" in text and "great_expectations 3.1 s" in text
    assert "paid once per worker process, not per task" in text
    assert "**cold**" in "\n".join(report.stage_processes_lines({"mode": "cold"}))


def test_cold_stages_is_an_option_and_warm_the_default() -> None:
    import argparse

    from observatoire.bench import commands

    parser = argparse.ArgumentParser()
    commands.register(parser.add_subparsers())
    assert commands.options_from(parser.parse_args(["bench", "--quick"])).cold_stages is False
    assert commands.options_from(parser.parse_args(["bench", "--quick", "--cold-stages"])).cold_stages is True


def test_an_interrupted_warm_run_is_recovered_with_its_preload(tmp_path: Path) -> None:
    from observatoire.bench.recover import recover

    log = tmp_path / "run.out"
    log.write_text(
        "[bench     3.8s] warm worker pid 7: preloaded great_expectations 3.0s "
        "(observatoire.privacy.evidence.preload_gx), 322.1 MB resident; a fork of it peaks at 192.2 MB doing "
        "nothing\n"
        "[bench     3.8s] === 30d: 2025-12-02 → 2025-12-31 at scale 0.2\n",
        encoding="utf-8",
    )
    processes = recover(tmp_path, log)["stage_processes"]
    assert processes["mode"] == "warm" and processes["preload"] == {"great_expectations": 3.0}
    assert "paid once per worker process" in "\n".join(report.stage_processes_lines(processes))

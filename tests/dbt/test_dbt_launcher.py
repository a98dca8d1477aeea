"""The dbt that platform runs use (orchestration/dbt.py ``dbt_executable``): the venv's dbt through a launcher
that tunes the garbage collector, written once under the home's dbt target directory.

Production builds (the warehouse DAG through Cosmos, ``observatoire rebuild``, the benchmark) run this
launcher; it must behave as dbt itself (same arguments, same exit code) with the collector tuned.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from observatoire.orchestration import dbt as dbt_setup


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OBSERVATOIRE_HOME", str(tmp_path))
    return tmp_path


def test_dbt_executable_is_the_gc_tuned_launcher(home: Path) -> None:
    if dbt_setup.installed_dbt().parent != Path(sys.executable).parent:
        pytest.skip("dbt is not installed in this interpreter's environment")
    launcher = dbt_setup.dbt_executable()
    assert launcher == home / "dbt_target" / "bin" / "dbt"
    assert os.access(launcher, os.X_OK)
    text = launcher.read_text(encoding="utf-8")
    assert text.startswith(f"#!{sys.executable}\n")
    assert "gc.freeze()" in text
    assert f"gc.set_threshold({', '.join(str(t) for t in dbt_setup.DBT_GC_THRESHOLDS)})" in text
    # written once: a second call keeps the file
    written = launcher.stat().st_mtime_ns
    assert dbt_setup.dbt_executable() == launcher
    assert launcher.stat().st_mtime_ns == written


def test_launcher_runs_dbt_with_the_collector_tuned(home: Path) -> None:
    if dbt_setup.installed_dbt().parent != Path(sys.executable).parent:
        pytest.skip("dbt is not installed in this interpreter's environment")
    launcher = dbt_setup.dbt_executable()
    # the launcher's own code, with dbt's entry point replaced by a report of the collector's state
    probe = launcher.read_text(encoding="utf-8").replace(
        "sys.exit(cli())", "print(gc.get_threshold(), gc.get_freeze_count() > 0, cli.name)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120)
    assert done.stdout.strip() == f"{dbt_setup.DBT_GC_THRESHOLDS} True cli"
    # and dbt itself answers through it, with dbt's exit codes
    version = subprocess.run(
        [str(launcher), "--version"], capture_output=True, text=True, check=False, timeout=120
    )
    assert version.returncode == 0, version.stderr
    assert "installed:" in version.stdout
    unknown = subprocess.run(
        [str(launcher), "no-such-command"], capture_output=True, text=True, check=False, timeout=120
    )
    assert unknown.returncode == 2


def test_unwritable_home_falls_back_to_the_installed_dbt(home: Path) -> None:
    (home / "dbt_target").write_text("not a directory", encoding="utf-8")
    assert dbt_setup.dbt_executable() == dbt_setup.installed_dbt()

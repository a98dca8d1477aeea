"""sqlfluff (dbt templater, DuckDB dialect, lower case; see .sqlfluff) finds nothing in the dbt models.

Slow: the dbt templater compiles the whole project (minutes on a shared 2-core machine).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from observatoire.config import REPO_ROOT

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


def test_sqlfluff_lint_passes(tmp_path):
    env = dict(os.environ)
    env["OBSERVATOIRE_WAREHOUSE"] = str(tmp_path / "warehouse.duckdb")  # compiling needs no data
    env["OBSERVATOIRE_DBT_TARGET_PATH"] = str(tmp_path / "target")
    completed = subprocess.run(
        [sys.executable, "-m", "sqlfluff", "lint", "dbt_project/models", "--processes", "1"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-5000:] + completed.stderr[-2000:]

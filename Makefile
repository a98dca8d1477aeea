# Observatoire — the two commands a newcomer needs:
#   make demo   runs the whole job end to end on the embedded default (installs first if needed)
#   make test   runs every check: lint, types, SQL lint, unit, dbt, Airflow, end-to-end, production profile
# Everything is installed into ./.venv from the pinned lock files in requirements/.

SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
UV_VERSION := 0.13.8
export OBSERVATOIRE_HOME ?= $(CURDIR)/var
export AIRFLOW__COSMOS__ENABLE_TELEMETRY := False
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := False

.PHONY: install install-browser demo run ui test lint test-fast bench prod-check lock clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python requirements/dev.lock requirements/runtime.lock pyproject.toml
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(UV) pip sync --python $(BIN)/python requirements/dev.lock
	$(UV) pip install --python $(BIN)/python --no-deps -e .
	@# Byte-compile once: with PYTHONDONTWRITEBYTECODE set (as on our machines), every Airflow task, dbt
	@# run and test process would otherwise recompile pandas, GX, dbt and Airflow (~25 s CPU each).
	@echo "byte-compiling the environment (once)"
	@$(BIN)/python -m compileall -q -j 0 $(VENV)/lib src >/dev/null || true
	@touch $@

install: $(VENV)/.installed ## install the pinned environment into .venv

# Browser tests drive Debian's Chromium (no browser download at run time).
install-browser:
	@if ! command -v chromium >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: sudo apt-get install chromium (browser tests will fail without it)"; fi; \
	fi

demo: install ## generate 3 years, serve the partners, run every DAG through Airflow, publish, query
	$(BIN)/observatoire demo

run: install ## run the pipeline on whatever the partners delivered since the last run
	$(BIN)/observatoire run

ui: install ## start Airflow standalone on the demo data (login printed)
	$(BIN)/observatoire airflow-ui

lint: install
	$(BIN)/ruff check src dags plugins tests
	$(BIN)/mypy
	@echo "sqlfluff (dbt templater: compiles the project, takes a few minutes)"
	@mkdir -p var/sqlfluff
	OBSERVATOIRE_WAREHOUSE=$(CURDIR)/var/sqlfluff/warehouse.duckdb OBSERVATOIRE_DBT_TARGET_PATH=$(CURDIR)/var/sqlfluff/target \
	  $(BIN)/sqlfluff lint dbt_project/models --processes 2 --disable-progress-bar --nocolor

test: install install-browser lint ## the test command CI runs
	$(BIN)/python -m pytest -p no:cacheprovider

test-fast: install ## unit tests only (no dbt, Airflow or browser)
	$(BIN)/python -m pytest -m "not slow and not production and not browser"

prod-check: install ## docker-compose.yml's configuration proven natively on PostgreSQL + Redis + Celery
	$(BIN)/observatoire prod-check

bench: install ## benchmark every stage (see bench/README.md)
	$(BIN)/observatoire bench

lock: $(BIN)/python ## re-resolve requirements/*.in into the lock files
	$(BIN)/python -m pip install --quiet "uv==$(UV_VERSION)"
	$(UV) pip compile --python-version 3.11 --generate-hashes requirements/dev.in -o requirements/dev.lock
	$(UV) pip compile --python-version 3.11 --generate-hashes requirements/runtime.in -c requirements/dev.lock -o requirements/runtime.lock

clean:
	rm -rf var test-artifacts .pytest_cache .mypy_cache .ruff_cache dbt_project/target dbt_project/logs

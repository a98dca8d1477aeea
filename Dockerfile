# syntax=docker/dockerfile:1
# Observatoire's own image: Airflow 3.3 + Celery + dbt-duckdb + the package, installed from the same
# hash-pinned lock file as every developer's and CI's environment (requirements/runtime.lock). Nothing
# is installed at container start (no _PIP_ADDITIONAL_REQUIREMENTS): what was tested is what runs.
#   docker compose build        (or: docker build -t observatoire:latest .)

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---- build stage: a virtualenv with the locked dependencies and the package --------------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
COPY requirements/runtime.lock /tmp/runtime.lock
# --require-hashes: every distribution must match the hash recorded in the lock, including the
# DuckDB spatial extension wheel, so the image never fetches an extension at run time.
RUN /opt/venv/bin/pip install --require-hashes --no-deps -r /tmp/runtime.lock
# The package itself, editable at its final path and without dependencies (they all come from the lock).
# Editable on purpose: the package finds dags/, dbt_project/ and expectations/ next to src/
# (observatoire.config.REPO_ROOT), exactly as in a checkout.
WORKDIR /opt/observatoire
COPY pyproject.toml README.md ./
COPY src ./src
RUN /opt/venv/bin/pip install --no-deps -e . \
    # byte-compile once at build: PYTHONDONTWRITEBYTECODE would make every task recompile its imports
    && /opt/venv/bin/python -m compileall -q -j 0 /opt/venv/lib src >/dev/null

# ---- runtime stage ---------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE}
# uid 50000 / gid 0 as in Airflow's reference image: files stay group-writable on platforms that run
# containers under an arbitrary uid in group 0.
RUN useradd --uid 50000 --gid 0 --home-dir /opt/airflow --create-home --shell /bin/bash observatoire \
 && mkdir -p /opt/observatoire /var/lib/observatoire /opt/airflow/logs \
 && chown -R 50000:0 /opt/observatoire /var/lib/observatoire /opt/airflow \
 && chmod -R g+rwX /opt/observatoire /var/lib/observatoire /opt/airflow

COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=50000:0 /opt/observatoire /opt/observatoire

# Locations are facts of the image; deployment settings (executor, database, secrets) live in
# docker-compose.yml. tests/production checks that the native proof sets these same keys.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    AIRFLOW_HOME=/opt/airflow \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/observatoire/dags \
    AIRFLOW__CORE__PLUGINS_FOLDER=/opt/observatoire/plugins \
    OBSERVATOIRE_HOME=/var/lib/observatoire \
    OBSERVATOIRE_DBT_PROJECT=/opt/observatoire/dbt_project

WORKDIR /opt/observatoire
COPY --chown=50000:0 dags ./dags
COPY --chown=50000:0 plugins ./plugins
COPY --chown=50000:0 dbt_project ./dbt_project
COPY --chown=50000:0 expectations ./expectations
COPY --chown=50000:0 deploy ./deploy

USER 50000
# DuckDB extensions offline: install the spatial extension shipped by the locked wheel into the user's
# extension directory, so `LOAD spatial` never reaches the network.
RUN python - <<'PY'
import pathlib

import duckdb
import duckdb_extension_spatial

extension = next(pathlib.Path(duckdb_extension_spatial.__file__).parent.glob("extensions/*/spatial.duckdb_extension"))
duckdb.execute(f"INSTALL '{extension}'")
connection = duckdb.connect()
connection.execute("SET autoinstall_known_extensions = false")
connection.execute("LOAD spatial")
print("spatial extension installed from", extension)
PY
# dbt's manifest at build time: Cosmos and the docs read it, and a broken project fails the build,
# not the first DAG run. The warehouse path only has to be writable for dbt's own bookkeeping.
RUN cd dbt_project \
 && OBSERVATOIRE_HOME=/tmp/dbt-parse dbt parse --profiles-dir . --target-path target --no-partial-parse \
 && rm -rf /tmp/dbt-parse logs \
 && test -s target/manifest.json

EXPOSE 8080
# Each service gives its command (docker-compose.yml); by default, show the Airflow version.
CMD ["airflow", "version"]

#!/usr/bin/env bash
# One-shot initialisation of an Observatoire Airflow deployment (the `airflow-init` service; the native
# proof `observatoire prod-check` runs this same script). Idempotent: safe on every `docker compose up`.
#   1. migrate the metadata database (Airflow's and the FAB auth manager's tables);
#   2. create the admin user if it does not exist yet (its password is then managed in the UI);
#   3. create the one-slot pool that serialises every writer of warehouse.duckdb across all workers.
# Partner connections are not created here: they come from AIRFLOW_CONN_* in the environment.
set -euo pipefail

: "${OBSERVATOIRE_ADMIN_PASSWORD:?OBSERVATOIRE_ADMIN_PASSWORD is required}"
admin_user="${OBSERVATOIRE_ADMIN_USERNAME:-admin}"
admin_email="${OBSERVATOIRE_ADMIN_EMAIL:-admin@example.org}"
# Must match observatoire.config.WAREHOUSE_POOL (checked by tests/production).
pool_name="duckdb_warehouse_writer"

echo "observatoire-init: migrating the metadata database"
airflow db migrate

# The admin user and the pool only need the migrated database: created side by side, since each
# Airflow command start-up costs seconds. `users create` leaves an existing user unchanged.
echo "observatoire-init: admin user ${admin_user}; pool ${pool_name} with one slot"
airflow users create --role Admin --username "$admin_user" --email "$admin_email" \
  --firstname Observatoire --lastname Admin --password "$OBSERVATOIRE_ADMIN_PASSWORD" &
user_pid=$!
airflow pools set "$pool_name" 1 "warehouse.duckdb accepts one writing process at a time" >/dev/null &
pool_pid=$!
wait "$user_pid"
wait "$pool_pid"

# The image ships the DuckDB data root empty; make its layout exist on a fresh volume.
if [ -n "${OBSERVATOIRE_HOME:-}" ]; then
  mkdir -p "$OBSERVATOIRE_HOME"/{landing,quarantine,warehouse,published,docs,state,drop}
fi
echo "observatoire-init: done"

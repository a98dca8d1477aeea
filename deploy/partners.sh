#!/usr/bin/env bash
# The simulated partners (the compose `partners` service of the demo profile; the native proof runs
# this same script). Generates the partners' data once into the shared volume, then serves it.
set -euo pipefail

home="${OBSERVATOIRE_HOME:?OBSERVATOIRE_HOME is required}"
if [ ! -s "$home/partners/manifest.json" ]; then
  echo "observatoire-partners: generating ${OBSERVATOIRE_DEMO_DAYS:-30} days at scale ${OBSERVATOIRE_DEMO_SCALE:-0.2}"
  observatoire generate --days "${OBSERVATOIRE_DEMO_DAYS:-30}" --scale "${OBSERVATOIRE_DEMO_SCALE:-0.2}" \
    --seed "${OBSERVATOIRE_DEMO_SEED:-42}"
fi

# In a container the server must listen on the compose network (0.0.0.0); natively it keeps its
# loopback default, so the bind address is passed only when one is configured.
args=(--port "${OBSERVATOIRE_PARTNERS_PORT:-8765}")
if [ -n "${OBSERVATOIRE_PARTNERS_BIND:-}" ]; then
  args+=(--host "$OBSERVATOIRE_PARTNERS_BIND")
fi
exec observatoire serve-partners "${args[@]}"

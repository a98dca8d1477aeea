#!/usr/bin/env bash
# The simulated partners (the compose `partners` service of the demo profile; the native proof runs
# this same script). Generates the partners' data once into the shared volume, then serves it.
set -euo pipefail

home="${OBSERVATOIRE_HOME:?OBSERVATOIRE_HOME is required}"
days="${OBSERVATOIRE_DEMO_DAYS:-30}"
if [ ! -s "$home/partners/manifest.json" ]; then
  # The period ends yesterday (UTC) unless OBSERVATOIRE_DEMO_END says otherwise.
  end="${OBSERVATOIRE_DEMO_END:-$(date -u -d yesterday +%F)}"
  start="$(date -u -d "$end - $((days - 1)) days" +%F)"
  echo "observatoire-partners: generating $start to $end at scale ${OBSERVATOIRE_DEMO_SCALE:-0.2}"
  observatoire generate --start "$start" --end "$end" --scale "${OBSERVATOIRE_DEMO_SCALE:-0.2}" \
    --seed "${OBSERVATOIRE_DEMO_SEED:-42}" --quiet
fi

# In a container the server must listen on the compose network (0.0.0.0); natively it keeps its
# loopback default, so the bind address is passed only when one is configured.
args=(--port "${OBSERVATOIRE_PARTNERS_PORT:-8765}")
if [ -n "${OBSERVATOIRE_PARTNERS_BIND:-}" ]; then
  args+=(--host "$OBSERVATOIRE_PARTNERS_BIND")
fi
exec observatoire serve-partners "${args[@]}"

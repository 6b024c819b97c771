#!/bin/sh
# Container entry point. `serve` (the default): on Druid, wait for the router's health; on DuckDB,
# load demo data into an empty store; then exec gunicorn (through `mauzo serve`, which runs
# `gunicorn app.wsgi:server` with the project's flags) so it gets signals as PID 1.
# Anything else runs as given, e.g. `docker compose run --rm app mauzo ingest /data/sales.csv`.
set -eu

if [ "$#" -gt 0 ] && [ "$1" != "serve" ]; then
  exec "$@"
fi

if [ "${MAUZO_ENGINE:-duckdb}" = "druid" ]; then
  python - <<'PY'
import os
import sys
import time
import urllib.request

url = os.environ.get("DRUID_URL", "http://router:8888").rstrip("/") + "/status/health"
deadline = time.monotonic() + float(os.environ.get("MAUZO_DRUID_WAIT_S", "300"))
while True:
    try:
        with urllib.request.urlopen(url, timeout=3) as answer:
            if answer.read().strip() == b"true":
                print(f"Druid router healthy at {url}", file=sys.stderr)
                break
    except OSError:
        pass
    if time.monotonic() > deadline:
        print(f"Druid router at {url} is not healthy yet; starting anyway (pages show the error until it is)",
              file=sys.stderr)
        break
    time.sleep(2)
PY
else
  mauzo demo --if-empty
fi

exec mauzo serve --host 0.0.0.0 --port "${MAUZO_PORT:-8050}" --workers "${MAUZO_WORKERS:-2}"

#!/bin/sh
# The one start-up of Superset on swansync's serving copy, used by docker compose, `make bi`
# and the browser test (tests/bi): provision (metadata DB, admin user, the dashboards of
# ./dashboards pointed at the serving copy), then serve.
#
# Run it with the Superset environment first on PATH. Settings come from the environment
# (see provision.py): SUPERSET_SECRET_KEY, SUPERSET_ADMIN_USER, SUPERSET_ADMIN_PASSWORD and
# SWANSYNC_SERVING are required, with no defaults. SUPERSET_BIND (default 127.0.0.1:8088) and
# SUPERSET_WORKERS (default 2) shape the web server.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
export SUPERSET_CONFIG_PATH="${SUPERSET_CONFIG_PATH:-$here/superset_config.py}"
export FLASK_APP=superset

python "$here/provision.py"

exec gunicorn \
    --bind "${SUPERSET_BIND:-127.0.0.1:8088}" \
    --workers "${SUPERSET_WORKERS:-2}" \
    --worker-class gthread --threads 4 \
    --timeout 120 --graceful-timeout 10 --no-control-socket \
    --limit-request-line 0 --limit-request-field_size 0 \
    "superset.app:create_app()"

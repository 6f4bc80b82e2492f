#!/bin/sh
# Prepare Superset once per start, register swansync's serving copy, then serve.
# The connection is read-only (access_mode=read_only on a read-only volume). Superset opens a
# new connection per query (NullPool), so every query sees the newest published copy.
set -eu

superset db upgrade
superset fab create-admin \
    --username "${SUPERSET_ADMIN_USER:-admin}" \
    --firstname Admin --lastname User \
    --email "${SUPERSET_ADMIN_EMAIL:-admin@example.com}" \
    --password "${SUPERSET_ADMIN_PASSWORD}" || true   # already exists on later starts
superset init
superset set-database-uri \
    -d swansync \
    -u "${SWANSYNC_SERVING_URI:-duckdb:////data/serving.duckdb?access_mode=read_only}"

exec /usr/bin/run-server.sh

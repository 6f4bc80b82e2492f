-- Internal bookkeeping leaves the public contract (the `main` schema): the pull log, the run and
-- series bookmarks and the migration ledger move to the schema `_swansync`, which BI users need
-- not know. Data moves whole; `metric_keys` stays in `main` with the same columns, as a view of
-- the series table whose last_step/points/complete the sync also uses as its bookmarks.

CREATE SCHEMA IF NOT EXISTS _swansync;

CREATE TABLE _swansync.migrations (
    version     INTEGER PRIMARY KEY,
    name        VARCHAR NOT NULL,
    applied_at  TIMESTAMPTZ NOT NULL
);
INSERT INTO _swansync.migrations SELECT version, name, applied_at FROM main.schema_migrations;
DROP TABLE main.schema_migrations;

CREATE TABLE _swansync.sync_log (
    id           BIGINT PRIMARY KEY,
    started_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ,
    status       VARCHAR NOT NULL,          -- running, ok, partial, failed, interrupted, aborted
    sources      VARCHAR[],
    targets      VARCHAR[],
    full_pull    BOOLEAN,
    requests     BIGINT,
    bytes        BIGINT,
    rows         JSON,                      -- {"table": rows written}
    failures     JSON,                      -- [{"target", "run_id", "reason"}]
    error        VARCHAR
);
INSERT INTO _swansync.sync_log
SELECT id, started_at, finished_at, status, sources, targets, full_pull, requests, bytes, rows,
       failures, error
FROM main.sync_log;
DROP TABLE main.sync_log;

-- Per run: its state when its metrics were last fully mirrored, and what the run list said
-- when its detail (profile) was last read.
CREATE TABLE _swansync.run_state (
    source            VARCHAR NOT NULL,
    project           VARCHAR NOT NULL,
    run_id            VARCHAR NOT NULL,
    metrics_state     VARCHAR,
    metrics_synced_at TIMESTAMPTZ,
    detail_marker     VARCHAR,
    PRIMARY KEY (source, project, run_id)
);
INSERT INTO _swansync.run_state
SELECT source, project, run_id, metrics_state, metrics_synced_at, detail_marker
FROM main.sync_run_state;
DROP TABLE main.sync_run_state;

-- One row per (run, key) series: what it is, and the series bookmark (the highest step stored
-- in `metrics`, how many points, whether the source gave it whole).
CREATE TABLE _swansync.series (
    source     VARCHAR NOT NULL,
    project    VARCHAR NOT NULL,
    run_id     VARCHAR NOT NULL,
    key        VARCHAR NOT NULL,
    kind       VARCHAR NOT NULL,            -- SCALAR or MEDIA
    class      VARCHAR NOT NULL,            -- CUSTOM or SYSTEM
    complete   BOOLEAN NOT NULL DEFAULT TRUE,
    last_step  BIGINT,
    points     BIGINT,
    synced_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, project, run_id, key)
);
INSERT INTO _swansync.series
SELECT source, project, run_id, key, kind, class, complete, last_step, points, synced_at
FROM main.metric_keys;
DROP TABLE main.metric_keys;

CREATE VIEW main.metric_keys AS
SELECT source, project, run_id, key, kind, class, complete, last_step, points, synced_at
FROM _swansync.series;

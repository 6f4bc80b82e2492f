-- Warehouse contract, version 1. (Migration 002 moves the bookkeeping below -- sync_log,
-- sync_run_state, the series bookmarks in metric_keys -- to the internal schema `_swansync`.)
-- Every table carries `source` (the instance a row came from: "host[:port]" of a SwanLab API,
-- "logdir:<path>" or "dashboard:<host:port>" for local sources). Timestamps are UTC TIMESTAMPTZ.

CREATE TABLE IF NOT EXISTS projects (
    source       VARCHAR NOT NULL,
    project      VARCHAR NOT NULL,          -- "workspace/name"
    project_id   VARCHAR,                   -- server id (cuid)
    workspace    VARCHAR,
    name         VARCHAR,
    description  VARCHAR,
    visibility   VARCHAR,
    labels       VARCHAR[],
    run_count    BIGINT,
    created_at   TIMESTAMPTZ,
    updated_at   TIMESTAMPTZ,
    url          VARCHAR,
    raw          JSON,                      -- the project object as the server sent it
    synced_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, project)
);

CREATE TABLE IF NOT EXISTS runs (
    source          VARCHAR NOT NULL,
    project         VARCHAR NOT NULL,
    run_id          VARCHAR NOT NULL,       -- the run's cuid
    slug            VARCHAR,                -- the id in web URLs
    name            VARCHAR,
    description     VARCHAR,
    state           VARCHAR,                -- RUNNING, FINISHED, CRASHED, ABORTED, OFFLINE
    cluster         VARCHAR,
    job             VARCHAR,
    labels          VARCHAR[],
    username        VARCHAR,
    created_at      TIMESTAMPTZ,
    finished_at     TIMESTAMPTZ,
    url             VARCHAR,
    config          JSON,                   -- unwrapped: plain values, not {value,desc,sort}
    metadata        JSON,
    requirements    VARCHAR,
    conda           VARCHAR,
    pinned          BOOLEAN,
    root_project_id VARCHAR,                -- cloned runs: where the stored data lives
    root_run_id     VARCHAR,
    deleted_at      TIMESTAMPTZ,            -- set when the run disappeared upstream
    raw             JSON,                   -- the run object without its profile
    synced_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, project, run_id)
);

CREATE TABLE IF NOT EXISTS run_config (
    source        VARCHAR NOT NULL,
    project       VARCHAR NOT NULL,
    run_id        VARCHAR NOT NULL,
    key           VARCHAR NOT NULL,         -- nested keys joined with ".", list items as "[i]"
    value         JSON,
    value_double  DOUBLE,                   -- numbers (not booleans)
    value_text    VARCHAR,                  -- strings
    value_bool    BOOLEAN,                  -- booleans
    PRIMARY KEY (source, project, run_id, key)
);

CREATE TABLE IF NOT EXISTS metric_keys (
    source     VARCHAR NOT NULL,
    project    VARCHAR NOT NULL,
    run_id     VARCHAR NOT NULL,
    key        VARCHAR NOT NULL,
    kind       VARCHAR NOT NULL,            -- SCALAR or MEDIA
    class      VARCHAR NOT NULL,            -- CUSTOM or SYSTEM (__swanlab__.*)
    complete   BOOLEAN NOT NULL DEFAULT TRUE, -- FALSE when the source only offered a sampled series
    last_step  BIGINT,                      -- highest step stored in `metrics` (the series bookmark)
    points     BIGINT,                      -- rows stored in `metrics` for this series
    synced_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, project, run_id, key)
);

-- One row per metric point. Unique on (source, project, run_id, key, step): the writer guarantees
-- it (per-series bookmarks committed with the rows), so no index slows bulk loads.
CREATE TABLE IF NOT EXISTS metrics (
    source   VARCHAR NOT NULL,
    project  VARCHAR NOT NULL,
    run_id   VARCHAR NOT NULL,
    key      VARCHAR NOT NULL,
    step     BIGINT NOT NULL,
    value    DOUBLE,                        -- NaN and +/-inf stored as IEEE values
    ts       TIMESTAMPTZ
);

CREATE TABLE IF NOT EXISTS summaries (
    source      VARCHAR NOT NULL,
    project     VARCHAR NOT NULL,
    run_id      VARCHAR NOT NULL,
    key         VARCHAR NOT NULL,
    last_step   BIGINT,
    last_value  DOUBLE,
    min_value   DOUBLE,
    min_step    BIGINT,
    max_value   DOUBLE,
    max_step    BIGINT,
    raw         JSON,                       -- the per-key object as the server sent it
    synced_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, project, run_id, key)
);

CREATE TABLE IF NOT EXISTS sync_log (
    id           BIGINT PRIMARY KEY,
    started_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ,
    status       VARCHAR NOT NULL,          -- running, ok, partial, failed
    sources      VARCHAR[],
    targets      VARCHAR[],
    full_pull    BOOLEAN,
    requests     BIGINT,
    bytes        BIGINT,
    rows         JSON,                      -- {"table": rows written}
    failures     JSON,                      -- [{"target", "run_id", "reason"}]
    error        VARCHAR
);

-- Sync state (bookmarks), written in the same transaction as the rows it describes.
CREATE TABLE IF NOT EXISTS sync_run_state (
    source          VARCHAR NOT NULL,
    project         VARCHAR NOT NULL,
    run_id          VARCHAR NOT NULL,
    metrics_state   VARCHAR,                -- run state when its metrics were last fully mirrored
    metrics_synced_at TIMESTAMPTZ,
    detail_marker   VARCHAR,                -- what the run list said when the detail was fetched
    PRIMARY KEY (source, project, run_id)
);

-- The warehouse contract on a DuckLake lake (issue 13, docs/ducklake.md): the same table names
-- and columns as sql/schema 001-005 give a file warehouse, shaped for many concurrent writers.
--
-- A lake cannot keep a key unique (no PRIMARY KEY/UNIQUE, F4) and any UPDATE or DELETE of a
-- table conflicts with every concurrent write to it (F2). So writers only ever INSERT:
-- * a keyed table is stored as versions `_swansync.<name>_v` (its columns plus `_v`, the
--   version, and `_gone`, a tombstone); the contract name is a view of the newest version of
--   each key that is not a tombstone. `_v` comes from a PostgreSQL sequence drawn inside each
--   write transaction, and a target's write transactions are serialized by its fence table
--   (schema `_swansync_fence`), so within a key a larger `_v` is a later commit;
-- * points are never replaced in place: a replaced series gets a new series_id and
--   `main.metrics` joins only the current ones (as on a file warehouse);
-- * console lines are appended with `_v`; a run read again whole (`--full`) appends a reset
--   mark and the view hides that run's older lines.
-- Keys are in the `-- key:` comments (and in swansync/warehouse/lake/tables.py).

CREATE SCHEMA IF NOT EXISTS _swansync;
CREATE SCHEMA IF NOT EXISTS _swansync_fence;

CREATE TABLE _swansync.migrations (
    version     INTEGER NOT NULL,
    name        VARCHAR NOT NULL,
    applied_at  TIMESTAMPTZ NOT NULL
);

-- key: source, project
CREATE TABLE _swansync.projects_v (
    source       VARCHAR NOT NULL,
    project      VARCHAR NOT NULL,
    project_id   VARCHAR,
    workspace    VARCHAR,
    name         VARCHAR,
    description  VARCHAR,
    visibility   VARCHAR,
    labels       VARCHAR[],
    run_count    BIGINT,
    created_at   TIMESTAMPTZ,
    updated_at   TIMESTAMPTZ,
    url          VARCHAR,
    raw          JSON,
    synced_at    TIMESTAMPTZ NOT NULL,
    _v           BIGINT NOT NULL,
    _gone        BOOLEAN NOT NULL
);

-- key: source, project, run_id
CREATE TABLE _swansync.runs_v (
    source          VARCHAR NOT NULL,
    project         VARCHAR NOT NULL,
    run_id          VARCHAR NOT NULL,
    slug            VARCHAR,
    name            VARCHAR,
    description     VARCHAR,
    state           VARCHAR,
    cluster         VARCHAR,
    job             VARCHAR,
    labels          VARCHAR[],
    username        VARCHAR,
    created_at      TIMESTAMPTZ,
    finished_at     TIMESTAMPTZ,
    url             VARCHAR,
    config          JSON,
    metadata        JSON,
    requirements    VARCHAR,
    conda           VARCHAR,
    pinned          BOOLEAN,
    root_project_id VARCHAR,
    root_run_id     VARCHAR,
    deleted_at      TIMESTAMPTZ,
    raw             JSON,
    synced_at       TIMESTAMPTZ NOT NULL,
    _v              BIGINT NOT NULL,
    _gone           BOOLEAN NOT NULL
);

-- key: source, project, run_id, key
CREATE TABLE _swansync.run_config_v (
    source        VARCHAR NOT NULL,
    project       VARCHAR NOT NULL,
    run_id        VARCHAR NOT NULL,
    key           VARCHAR NOT NULL,
    value         JSON,
    value_double  DOUBLE,
    value_text    VARCHAR,
    value_bool    BOOLEAN,
    _v            BIGINT NOT NULL,
    _gone         BOOLEAN NOT NULL
);

-- key: source, project, run_id, key
CREATE TABLE _swansync.summaries_v (
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
    raw         JSON,
    synced_at   TIMESTAMPTZ NOT NULL,
    _v          BIGINT NOT NULL,
    _gone       BOOLEAN NOT NULL
);

-- key: source, project, run_id, key, step, idx
CREATE TABLE _swansync.media_v (
    source        VARCHAR NOT NULL,
    project       VARCHAR NOT NULL,
    run_id        VARCHAR NOT NULL,
    key           VARCHAR NOT NULL,
    step          BIGINT NOT NULL,
    idx           INTEGER NOT NULL,
    kind          VARCHAR NOT NULL,
    caption       VARCHAR,
    url           VARCHAR,
    ref           VARCHAR,
    path          VARCHAR,
    sha256        VARCHAR,
    bytes         BIGINT,
    content_type  VARCHAR,
    synced_at     TIMESTAMPTZ NOT NULL,
    _v            BIGINT NOT NULL,
    _gone         BOOLEAN NOT NULL
);

-- Console lines, appended with the version of their write; reset marks hide a run's older ones.
CREATE TABLE _swansync.logs_v (
    source   VARCHAR NOT NULL,
    project  VARCHAR NOT NULL,
    run_id   VARCHAR NOT NULL,
    seq      BIGINT NOT NULL,
    ts       TIMESTAMPTZ,
    level    VARCHAR,
    stream   VARCHAR,
    text     VARCHAR NOT NULL,
    tag      VARCHAR,
    _v       BIGINT NOT NULL
);
CREATE TABLE _swansync.log_resets (
    source   VARCHAR NOT NULL,
    project  VARCHAR NOT NULL,
    run_id   VARCHAR NOT NULL,
    _v       BIGINT NOT NULL
);

-- key: source, project, run_id, key
CREATE TABLE _swansync.series_v (
    source     VARCHAR NOT NULL,
    project    VARCHAR NOT NULL,
    run_id     VARCHAR NOT NULL,
    key        VARCHAR NOT NULL,
    series_id  BIGINT NOT NULL,
    kind       VARCHAR NOT NULL,
    class      VARCHAR NOT NULL,
    complete   BOOLEAN NOT NULL,
    last_step  BIGINT,
    points     BIGINT,
    synced_at  TIMESTAMPTZ NOT NULL,
    _v         BIGINT NOT NULL,
    _gone      BOOLEAN NOT NULL
);

-- One row per point of a series generation; never updated or deleted by a pull.
CREATE TABLE _swansync.points (
    series_id  BIGINT NOT NULL,
    step       BIGINT NOT NULL,
    value      DOUBLE,
    ts         TIMESTAMPTZ
);

-- key: source, project, run_id
CREATE TABLE _swansync.run_state_v (
    source            VARCHAR NOT NULL,
    project           VARCHAR NOT NULL,
    run_id            VARCHAR NOT NULL,
    metrics_state     VARCHAR,
    metrics_synced_at TIMESTAMPTZ,
    detail_marker     VARCHAR,
    cursor            VARCHAR,
    logs_seq          BIGINT,
    logs_state        VARCHAR,
    _v                BIGINT NOT NULL,
    _gone             BOOLEAN NOT NULL
);

-- key: source, project, run_id, key, step, idx
CREATE TABLE _swansync.media_skips_v (
    source      VARCHAR NOT NULL,
    project     VARCHAR NOT NULL,
    run_id      VARCHAR NOT NULL,
    key         VARCHAR NOT NULL,
    step        BIGINT NOT NULL,
    idx         INTEGER NOT NULL,
    status      VARCHAR NOT NULL,
    bytes       BIGINT,
    checked_at  TIMESTAMPTZ NOT NULL,
    _v          BIGINT NOT NULL,
    _gone       BOOLEAN NOT NULL
);

-- key: id (ids from the catalog's sequence; each pull writes only its own row)
CREATE TABLE _swansync.sync_log_v (
    id           BIGINT NOT NULL,
    started_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ,
    status       VARCHAR NOT NULL,
    sources      VARCHAR[],
    targets      VARCHAR[],
    full_pull    BOOLEAN,
    requests     BIGINT,
    bytes        BIGINT,
    rows         JSON,
    failures     JSON,
    error        VARCHAR,
    changed      BOOLEAN,
    _v           BIGINT NOT NULL,
    _gone        BOOLEAN NOT NULL
);

-- What the analysis views were last applied from (written by the view applier only, under
-- its lock): appended, the newest row counts.
CREATE TABLE _swansync.views_applied_log (
    files_hash    VARCHAR NOT NULL,
    data_version  BIGINT NOT NULL,
    applied_at    TIMESTAMPTZ NOT NULL
);
CREATE VIEW _swansync.views_applied AS
SELECT files_hash, data_version, applied_at FROM _swansync.views_applied_log
ORDER BY applied_at DESC LIMIT 1;

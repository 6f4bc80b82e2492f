-- Narrow point storage. A point used to carry its series' four strings (source, project, run_id,
-- key) in every row of `main.metrics`; now each series has a `series_id` in `_swansync.series`
-- and a point is (series_id, step, value, ts) in `_swansync.points`. `main.metrics` becomes a
-- view with exactly the old columns, so the contract (and every view, macro and BI query) reads
-- as before.
--
-- A series is stored under one id per *generation*: a `--full` re-read or a sampled series that
-- is replaced gets a fresh id instead of its points being updated in place (on a DuckLake lake
-- nothing in `points` is ever updated; the file warehouse deletes the old generation's points in
-- the same transaction). Ids are never reused while their points exist: the writer hands out
-- ids above the highest one in `_swansync.series`.
--
-- Data moves whole: existing series get ids in key order, points keep every value; points
-- without a series row (none are written by any release, but a hand-edited warehouse may hold
-- some) get a series row of their own, so nothing disappears from `metrics`.

CREATE TABLE _swansync.series_before_005 AS SELECT * FROM _swansync.series;
DROP VIEW main.metric_keys;
DROP TABLE _swansync.series;

-- One row per (run, key) series: its current generation's id, what it is, and the series
-- bookmark (the highest step stored, how many points, whether the source gave it whole).
CREATE TABLE _swansync.series (
    source     VARCHAR NOT NULL,
    project    VARCHAR NOT NULL,
    run_id     VARCHAR NOT NULL,
    key        VARCHAR NOT NULL,
    series_id  BIGINT NOT NULL,             -- the current generation's points in _swansync.points
    kind       VARCHAR NOT NULL,            -- SCALAR or MEDIA
    class      VARCHAR NOT NULL,            -- CUSTOM or SYSTEM
    complete   BOOLEAN NOT NULL DEFAULT TRUE,
    last_step  BIGINT,
    points     BIGINT,
    synced_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, project, run_id, key)
);
INSERT INTO _swansync.series
SELECT source, project, run_id, key,
       row_number() OVER (ORDER BY source, project, run_id, key) AS series_id,
       kind, class, complete, last_step, points, synced_at
FROM _swansync.series_before_005;
DROP TABLE _swansync.series_before_005;

INSERT INTO _swansync.series
SELECT o.source, o.project, o.run_id, o.key,
       (SELECT coalesce(max(series_id), 0) FROM _swansync.series)
           + row_number() OVER (ORDER BY o.source, o.project, o.run_id, o.key),
       'SCALAR', 'CUSTOM', TRUE, o.last_step, o.points, now()
FROM (
    SELECT source, project, run_id, key, max(step) AS last_step, count(*) AS points
    FROM main.metrics AS m
    WHERE NOT EXISTS (
        SELECT 1 FROM _swansync.series AS s
        WHERE s.source = m.source AND s.project = m.project AND s.run_id = m.run_id
          AND s.key = m.key
    )
    GROUP BY ALL
) AS o;

-- One row per metric point of a series generation. Unique on (series_id, step): the writer
-- guarantees it (bookmarks committed with the rows), so no index slows bulk loads. Rows are
-- appended in series order, so a query for a few runs reads few row groups.
CREATE TABLE _swansync.points (
    series_id  BIGINT NOT NULL,
    step       BIGINT NOT NULL,
    value      DOUBLE,                      -- NaN and +/-inf stored as IEEE values
    ts         TIMESTAMPTZ
);
INSERT INTO _swansync.points
SELECT s.series_id, m.step, m.value, m.ts
FROM main.metrics AS m
JOIN _swansync.series AS s USING (source, project, run_id, key)
ORDER BY s.series_id, m.step;
DROP TABLE main.metrics;

CREATE VIEW main.metric_keys AS
SELECT source, project, run_id, key, kind, class, complete, last_step, points, synced_at
FROM _swansync.series;

CREATE VIEW main.metrics AS
SELECT s.source, s.project, s.run_id, s.key, p.step, p.value, p.ts
FROM _swansync.points AS p
JOIN _swansync.series AS s USING (series_id);

-- Whether a pull changed any row of the contract tables (synced_at aside). Views and the serving
-- copy are rebuilt only after a pull that changed something; NULL (pulls of earlier releases,
-- a pull killed before it could say) counts as a change.
ALTER TABLE _swansync.sync_log ADD COLUMN changed BOOLEAN;

-- What the analysis views were last applied from: a hash of the view files and the newest pull
-- whose data they saw (the run table's column lists are read from the data). One row.
CREATE TABLE _swansync.views_applied (
    files_hash    VARCHAR NOT NULL,
    data_version  BIGINT NOT NULL,
    applied_at    TIMESTAMPTZ NOT NULL
);

-- Serving copies published from this warehouse: what each was built from and the file's identity
-- when it was written, so a pull that changed nothing does not publish the same copy again (and
-- a copy replaced or deleted behind swansync's back is published anew).
CREATE TABLE _swansync.serving (
    path            VARCHAR PRIMARY KEY,        -- absolute path of the serving copy
    data_version    BIGINT NOT NULL,
    views_hash      VARCHAR,
    schema_version  BIGINT NOT NULL,
    storage_version VARCHAR NOT NULL,
    file_identity   VARCHAR NOT NULL,           -- device, inode, size and mtime of the file
    published_at    TIMESTAMPTZ NOT NULL
);

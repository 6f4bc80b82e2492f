-- The rest of a run: its console lines and its media items (issue 16), and their bookmarks.

-- One row per console line. seq is the source's own per-run line counter where it has one
-- (SwanLab: each line's epoch, from 1), else the 1-based line number; stable across pulls.
-- Unique on (source, project, run_id, seq): the writer guarantees it (a run's lines are written
-- strictly above its logs_seq bookmark, committed with them), so no index slows bulk loads or
-- grows in memory with a long console (like `metrics`).
CREATE TABLE IF NOT EXISTS logs (
    source   VARCHAR NOT NULL,
    project  VARCHAR NOT NULL,
    run_id   VARCHAR NOT NULL,
    seq      BIGINT NOT NULL,
    ts       TIMESTAMPTZ,
    level    VARCHAR,                   -- DEBUG/INFO/WARN/ERROR where the source says so
    stream   VARCHAR,                   -- stdout/stderr where the source says so
    text     VARCHAR NOT NULL,          -- UTF-8; invalid bytes replaced; over 1 MiB cut (marked)
    tag      VARCHAR                    -- the source's own label of the line (SwanLab: tag)
);

-- One row per media item; a key holds several items at one step (idx 0, 1, ...).
CREATE TABLE IF NOT EXISTS media (
    source        VARCHAR NOT NULL,
    project       VARCHAR NOT NULL,
    run_id        VARCHAR NOT NULL,
    key           VARCHAR NOT NULL,
    step          BIGINT NOT NULL,
    idx           INTEGER NOT NULL,
    kind          VARCHAR NOT NULL,       -- image, audio, video, text, html, object3d, molecule, echarts, table, other
    caption       VARCHAR,
    url           VARCHAR,                -- as the source gave it; presigned URLs expire
    ref           VARCHAR,                -- how the source names the file (object path, file path)
    path          VARCHAR,                -- the local copy, relative to the warehouse's folder
    sha256        VARCHAR,
    bytes         BIGINT,
    content_type  VARCHAR,
    synced_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, project, run_id, key, step, idx)
);

-- Per run: the highest console seq stored, and the run state when its console and its media
-- were last read whole (a finished run whose console and media are mirrored costs no request).
ALTER TABLE _swansync.run_state ADD COLUMN logs_seq BIGINT;
ALTER TABLE _swansync.run_state ADD COLUMN logs_state VARCHAR;
-- Media bookmarks are the MEDIA rows of _swansync.series: last_step = highest step stored.

-- Media items whose file was not downloaded for a reason a plain retry does not fix: 'gone'
-- (upstream answered 404; tried again only by --full) or 'too_big' (bytes over the per-file
-- bound; tried again when a pull allows that many bytes).
CREATE TABLE _swansync.media_skips (
    source      VARCHAR NOT NULL,
    project     VARCHAR NOT NULL,
    run_id      VARCHAR NOT NULL,
    key         VARCHAR NOT NULL,
    step        BIGINT NOT NULL,
    idx         INTEGER NOT NULL,
    status      VARCHAR NOT NULL,
    bytes       BIGINT,
    checked_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, project, run_id, key, step, idx)
);

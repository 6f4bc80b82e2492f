-- One row per run: identity, state, user, times, duration, labels, metric keys and points, running/deleted flags.
-- Answers: what runs are there, which are still running, which were deleted upstream, how big is each.
-- Reads: runs, metric_keys, metrics (points are counted in `metrics`, not taken from bookmarks).
-- Deleted runs: INCLUDED (this is the inventory); `deleted` is TRUE once the run disappeared upstream.
-- duration_s is finished_at - created_at in seconds, NULL while the run has no finished_at.
-- running is TRUE for state RUNNING runs that are not deleted.
CREATE OR REPLACE VIEW run_overview AS
WITH key_counts AS (
    SELECT source, project, run_id,
           count(*) AS metric_keys,
           count(*) FILTER (WHERE class = 'CUSTOM') AS custom_keys,
           count(*) FILTER (WHERE class = 'SYSTEM') AS system_keys,
           count(*) FILTER (WHERE kind = 'MEDIA') AS media_keys,
           bool_and(complete) AS complete
    FROM metric_keys
    GROUP BY source, project, run_id
),
point_counts AS (
    SELECT source, project, run_id, count(*) AS points, max(step) AS last_step
    FROM metrics
    GROUP BY source, project, run_id
)
SELECT
    r.source,
    r.project,
    r.run_id,
    r.slug,
    r.name,
    r.state,
    r.username,
    r.labels,
    r.cluster,
    r.job,
    r.created_at,
    r.finished_at,
    CASE WHEN r.finished_at IS NOT NULL AND r.created_at IS NOT NULL
         THEN (epoch_us(r.finished_at) - epoch_us(r.created_at)) / 1e6 END AS duration_s,
    coalesce(k.metric_keys, 0) AS metric_keys,
    coalesce(k.custom_keys, 0) AS custom_keys,
    coalesce(k.system_keys, 0) AS system_keys,
    coalesce(k.media_keys, 0) AS media_keys,
    coalesce(p.points, 0) AS points,
    p.last_step,
    coalesce(k.complete, TRUE) AS complete,
    (r.state = 'RUNNING' AND r.deleted_at IS NULL) AS running,
    (r.deleted_at IS NOT NULL) AS deleted,
    r.deleted_at,
    r.url
FROM runs AS r
LEFT JOIN key_counts AS k USING (source, project, run_id)
LEFT JOIN point_counts AS p USING (source, project, run_id);

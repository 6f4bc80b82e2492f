-- Per run and metric key: first/last step, last value, min/max with their steps, points, NaN count, complete flag.
-- Answers: what each series looks like at full resolution, computed from every stored point.
-- Reads: metrics, metric_keys (kind, class, complete), runs (deleted flag).
-- Deleted runs: INCLUDED, flagged by `deleted` (leaderboards and groupings built on it drop them).
-- Rules: last_value is the value at last_step (may be NaN); min/max ignore NaN (they keep +-inf) and
-- their *_step is the EARLIEST step holding that value; nan_count counts NaN points.
-- complete = FALSE marks a sampled series (the source only offered a downsampled curve).
-- Keys with no stored points (media keys) have points = 0 and NULL statistics.
CREATE OR REPLACE VIEW metric_summary AS
WITH agg AS (
    SELECT source, project, run_id, key,
           count(*) AS points,
           count(*) FILTER (WHERE isnan(value)) AS nan_count,
           min(step) AS first_step,
           max(step) AS last_step,
           arg_max(value, step) AS last_value,
           min(value) FILTER (WHERE NOT isnan(value)) AS min_value,
           arg_min(step, (value, step)) FILTER (WHERE NOT isnan(value)) AS min_step,
           max(value) FILTER (WHERE NOT isnan(value)) AS max_value,
           arg_max(step, (value, -step)) FILTER (WHERE NOT isnan(value)) AS max_step,
           min(ts) AS first_ts,
           max(ts) AS last_ts
    FROM metrics
    GROUP BY source, project, run_id, key
)
SELECT
    coalesce(k.source, a.source) AS source,
    coalesce(k.project, a.project) AS project,
    coalesce(k.run_id, a.run_id) AS run_id,
    coalesce(k.key, a.key) AS key,
    coalesce(k.kind, 'SCALAR') AS kind,
    coalesce(k.class, CASE WHEN starts_with(a.key, '__swanlab__') THEN 'SYSTEM' ELSE 'CUSTOM' END)
        AS class,
    coalesce(k.complete, TRUE) AS complete,
    coalesce(a.points, 0) AS points,
    coalesce(a.nan_count, 0) AS nan_count,
    a.first_step,
    a.last_step,
    a.last_value,
    a.min_value,
    a.min_step,
    a.max_value,
    a.max_step,
    a.first_ts,
    a.last_ts,
    (r.deleted_at IS NOT NULL) AS deleted
FROM metric_keys AS k
FULL JOIN agg AS a
    ON a.source = k.source AND a.project = k.project AND a.run_id = k.run_id AND a.key = k.key
LEFT JOIN runs AS r
    ON r.source = coalesce(k.source, a.source)
   AND r.project = coalesce(k.project, a.project)
   AND r.run_id = coalesce(k.run_id, a.run_id);

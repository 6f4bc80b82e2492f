-- Downsampled curves: N step-buckets per run and key with min/max/mean and first/last step.
-- Usage: curves(proj, n_buckets := 100, only_keys := 'all', only_runs := 'all')
-- Answers: small-enough curves to plot thousands of runs: each series' step range
-- [first_step, last_step] is cut into n_buckets equal-width buckets,
-- bucket = (step - first_step) * n_buckets // (last_step - first_step + 1), and each non-empty
-- bucket gives first/last step, points, min/max/mean (NaN ignored) and the value at its last step.
-- Reads: metrics (through its tables _swansync.series and _swansync.points), runs.
-- Parameters: proj 'workspace/name'; n_buckets (>= 1); only_keys, a metric key or a list of keys
-- ('all' or NULL: all, system keys included); only_runs, a run id or a list of them ('all' or
-- NULL: all).
-- (The defaults are the string 'all', not NULL: a DuckLake lake cannot store a NULL default.)
-- Deleted runs: EXCLUDED.
CREATE OR REPLACE MACRO curves(proj, n_buckets := 100, only_keys := 'all', only_runs := 'all')
AS TABLE
-- A list argument as a VARCHAR[] whatever its spelling; one key or run id alone is a list of
-- one; 'all' and NULL select everything.
WITH wanted AS (
    SELECT *,
           CASE WHEN NOT every_key AND keys IS NULL
                THEN error('curves: only_keys must be a metric key or a list of keys')
                WHEN NOT every_run AND runs IS NULL
                THEN error('curves: only_runs must be a run id or a list of run ids')
                ELSE TRUE END AS ok
    FROM (
        SELECT only_keys IS NULL OR to_json(only_keys) = '"all"' AS every_key,
               CASE WHEN json_type(to_json(only_keys)) = 'VARCHAR'
                    THEN [from_json(to_json(only_keys), '"VARCHAR"')]
                    ELSE from_json(to_json(only_keys), '["VARCHAR"]') END AS keys,
               only_runs IS NULL OR to_json(only_runs) = '"all"' AS every_run,
               CASE WHEN json_type(to_json(only_runs)) = 'VARCHAR'
                    THEN [from_json(to_json(only_runs), '"VARCHAR"')]
                    ELSE from_json(to_json(only_runs), '["VARCHAR"]') END AS runs
    )
),
-- (wanted is read once: a CTE read twice inside a LATERAL call trips DuckDB's decorrelation)
checked AS (
    SELECT CASE WHEN n_buckets IS NULL OR n_buckets < 1
                THEN error('curves: n_buckets must be >= 1') END AS bad
),
-- The series first (a few thousand rows), then their points by integer series id: the
-- aggregation never carries the four text columns of `metrics` per point (about 1.5x faster
-- on 10 M points). Written for DuckDB's decorrelation of a LATERAL call (the dashboards call
-- it once per project): each CTE read once where it can, IN instead of a join to `picked`.
picked AS (
    SELECT s.series_id, s.source, s.project, s.run_id, s.key
    FROM _swansync.series AS s
    SEMI JOIN runs AS r
        ON r.source = s.source AND r.project = s.project AND r.run_id = s.run_id
       AND r.deleted_at IS NULL
    CROSS JOIN wanted AS w
    WHERE s.project = proj AND w.ok
      AND (w.every_key OR list_contains(w.keys, s.key))
      AND (w.every_run OR list_contains(w.runs, s.run_id))
),
points AS (
    SELECT p.series_id AS sid, p.step, p.value
    FROM _swansync.points AS p
    WHERE p.series_id IN (SELECT series_id FROM picked)
),
bounds AS (
    SELECT sid, min(step) AS lo, max(step) AS hi FROM points GROUP BY sid
),
buckets AS (
    SELECT p.sid, (p.step - b.lo) * CAST(n_buckets AS BIGINT) // (b.hi - b.lo + 1) AS bucket,
        min(p.step) AS first_step, max(p.step) AS last_step, count(*) AS points,
        min(p.value) FILTER (WHERE NOT isnan(p.value)) AS min,
        max(p.value) FILTER (WHERE NOT isnan(p.value)) AS max,
        avg(p.value) FILTER (WHERE NOT isnan(p.value)) AS mean,
        arg_max(p.value, p.step) AS last_value
    FROM points AS p JOIN bounds AS b ON b.sid = p.sid
    GROUP BY ALL
)
SELECT s.source, s.project, s.run_id, s.key, k.bucket, k.first_step, k.last_step, k.points,
       k.min, k.max, k.mean, k.last_value
FROM buckets AS k
JOIN picked AS s ON s.series_id = k.sid
CROSS JOIN checked
WHERE checked.bad IS NULL
ORDER BY s.source, s.project, s.run_id, s.key, k.bucket;

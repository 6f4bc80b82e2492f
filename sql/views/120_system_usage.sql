-- Per run and system metric (`__swanlab__.*`: CPU, memory, GPU, disk, network): points, mean, min, max, last value.
-- Answers: how hard did each run use its hardware?
-- Reads: metrics, metric_keys (class SYSTEM), runs.
-- Deleted runs: EXCLUDED.
-- A key is a system key when its name starts with `__swanlab__` or metric_keys classes it SYSTEM;
-- metric is the key without the `__swanlab__.` prefix. mean/min/max ignore NaN.
CREATE OR REPLACE VIEW system_usage AS
WITH system_keys AS (
    SELECT source, project, run_id, key FROM metric_keys WHERE class = 'SYSTEM'
),
points AS (
    SELECT m.*
    FROM metrics AS m
    WHERE starts_with(m.key, '__swanlab__')
       OR (m.source, m.project, m.run_id, m.key) IN (SELECT * FROM system_keys)
)
SELECT
    p.source,
    p.project,
    p.run_id,
    r.name AS run_name,
    p.key,
    regexp_replace(p.key, '^__swanlab__\.?', '') AS metric,
    count(*) AS points,
    avg(p.value) FILTER (WHERE NOT isnan(p.value)) AS mean,
    min(p.value) FILTER (WHERE NOT isnan(p.value)) AS min,
    max(p.value) FILTER (WHERE NOT isnan(p.value)) AS max,
    arg_max(p.value, p.step) AS last_value,
    min(p.step) AS first_step,
    max(p.step) AS last_step,
    min(p.ts) AS first_ts,
    max(p.ts) AS last_ts
FROM points AS p
JOIN runs AS r
    ON r.source = p.source AND r.project = p.project AND r.run_id = p.run_id
WHERE r.deleted_at IS NULL
GROUP BY p.source, p.project, p.run_id, r.name, p.key;

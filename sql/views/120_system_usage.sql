-- Per run and system metric (CPU, memory, GPU, disk, network): points, mean, min, max, last value.
-- Answers: how hard did each run use its hardware?
-- Reads: metrics, metric_keys (class SYSTEM), runs.
-- Deleted runs: EXCLUDED.
-- A system metric is a key that metric_keys classes SYSTEM (each tracker's source decides which
-- keys are its hardware monitors); metric is the key without its namespace, the text up to the
-- first "." (SwanLab's `__swanlab__.cpu.usage` -> `cpu.usage`). mean/min/max ignore NaN.
CREATE OR REPLACE VIEW system_usage AS
WITH points AS (
    SELECT m.*
    FROM metrics AS m
    SEMI JOIN metric_keys AS k
        ON k.source = m.source AND k.project = m.project AND k.run_id = m.run_id
       AND k.key = m.key AND k.class = 'SYSTEM'
)
SELECT
    p.source,
    p.project,
    p.run_id,
    r.name AS run_name,
    p.key,
    CASE WHEN contains(p.key, '.') THEN substr(p.key, strpos(p.key, '.') + 1) ELSE p.key END AS metric,
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

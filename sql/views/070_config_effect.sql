-- A metric grouped by the values of one config key, with the correlation for numeric keys.
-- Usage: config_effect(proj, config_key, metric, goal := 'min', pick := 'last')
-- Answers: does this hyper-parameter matter? One row per distinct value of the config leaf
-- `config_key` (flattened, e.g. 'optim.lr'), with the metric's runs/n/mean/std/min/max over the
-- runs having that value, and corr: Pearson correlation between the key (as a number) and the
-- metric over all runs of the project where both are numbers (NULL for non-numeric keys).
-- Reads: runs, run_config, metric_summary.
-- Parameters: proj 'workspace/name'; config_key; metric key; goal/pick as in leaderboard().
-- Deleted runs: EXCLUDED. Runs without the key form the group config_value NULL.
-- config_value is the value as text (strings raw, numbers/booleans/JSON as JSON text);
-- config_number the numeric value when the key's value is a number.
CREATE OR REPLACE MACRO config_effect(proj, config_key, metric, goal := 'min', pick := 'last')
AS TABLE
WITH checked AS (
    SELECT
        CASE WHEN goal NOT IN ('min', 'max')
             THEN error('config_effect: goal must be ''min'' or ''max''') END AS bad_goal,
        CASE WHEN pick NOT IN ('last', 'best')
             THEN error('config_effect: pick must be ''last'' or ''best''') END AS bad_pick
),
per_run AS (
    SELECT
        r.source, r.project, r.run_id,
        CASE
            WHEN c.value_text IS NOT NULL THEN c.value_text
            WHEN c.value IS NULL OR json_type(c.value) = 'NULL' THEN NULL
            ELSE CAST(c.value AS VARCHAR)
        END AS config_value,
        c.value_double AS config_number,
        CASE WHEN pick = 'last' THEN s.last_value
             WHEN goal = 'max' THEN s.max_value
             ELSE s.min_value END AS value
    FROM runs AS r
    LEFT JOIN run_config AS c
        ON c.source = r.source AND c.project = r.project AND c.run_id = r.run_id
       AND c.key = config_key
    LEFT JOIN metric_summary AS s
        ON s.source = r.source AND s.project = r.project AND s.run_id = r.run_id
       AND s.key = metric
    WHERE r.project = proj AND r.deleted_at IS NULL
),
clean AS (
    SELECT *, CASE WHEN value IS NULL OR isnan(value) THEN NULL ELSE value END AS v
    FROM per_run
),
correlation AS (
    SELECT source, project, corr(v, config_number ORDER BY v, config_number) AS corr
    FROM clean
    WHERE config_number IS NOT NULL AND v IS NOT NULL
    GROUP BY source, project
)
SELECT
    g.source, g.project, config_key AS config_key, g.config_value, g.config_number,
    g.runs, g.n, g.mean, g.std, g.min, g.max, k.corr
FROM (
    SELECT source, project, config_value, any_value(config_number) AS config_number,
           count(*) AS runs, count(v) AS n, avg(v ORDER BY v) AS mean, stddev_samp(v ORDER BY v) AS std,
           min(v) AS min, max(v) AS max
    FROM clean
    GROUP BY source, project, config_value
) AS g
LEFT JOIN correlation AS k USING (source, project)
CROSS JOIN checked
WHERE checked.bad_goal IS NULL AND checked.bad_pick IS NULL
ORDER BY g.source, g.project, g.config_number NULLS LAST, g.config_value NULLS LAST;

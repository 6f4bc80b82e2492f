-- Runs that differ only in seed-like config keys, grouped, with n/mean/std/min/max of a metric.
-- Usage: seed_groups(proj, metric, seed_keys := 'default', goal := 'min', pick := 'last')
-- Answers: mean and spread of a metric across seeds of the same configuration.
-- Reads: runs, run_config, metric_summary.
-- Parameters: proj 'workspace/name'; metric key; seed_keys, a list of the seed-like config keys
-- ('default': seed, random_seed, seed_everything, rng_seed, data_seed, manual_seed; a string
-- default because a DuckLake lake cannot store a list default): a leaf is seed-like
-- when its full key or its last dotted part (`train.seed` -> `seed`) equals one of them,
-- case-insensitively; goal/pick as in leaderboard() (the per-run value used).
-- Deleted runs: EXCLUDED.
-- A group is the set of runs of a project whose non-seed config leaves are all equal (same keys,
-- same JSON values). config is those shared leaves as a JSON object; group_id a hash of it.
-- runs counts the group's runs; n, mean, std (sample), min, max use the runs whose value is a
-- number (not NULL, not NaN). run_ids lists the runs, seeds their seed-like leaves as JSON.
CREATE OR REPLACE MACRO seed_groups(
    proj, metric,
    seed_keys := 'default',
    goal := 'min', pick := 'last'
) AS TABLE
WITH seed_list AS (
    SELECT list_transform(
        CASE WHEN to_json(seed_keys) = '"default"'
             THEN ['seed', 'random_seed', 'seed_everything', 'rng_seed', 'data_seed', 'manual_seed']
             ELSE from_json(to_json(seed_keys), '["VARCHAR"]') END,
        lambda x: lower(x)) AS keys
),
checked AS (
    SELECT
        CASE WHEN goal NOT IN ('min', 'max')
             THEN error('seed_groups: goal must be ''min'' or ''max''') END AS bad_goal,
        CASE WHEN pick NOT IN ('last', 'best')
             THEN error('seed_groups: pick must be ''last'' or ''best''') END AS bad_pick
),
live AS (
    SELECT source, project, run_id, name, created_at
    FROM runs
    WHERE project = proj AND deleted_at IS NULL
),
leaves AS (
    SELECT
        c.source, c.project, c.run_id, c.key,
        coalesce(CAST(c.value AS VARCHAR), 'null') AS value_json,
        list_contains(s.keys, lower(c.key))
            OR list_contains(s.keys, lower(string_split(c.key, '.')[-1])) AS is_seed
    FROM run_config AS c
    CROSS JOIN seed_list AS s
    WHERE c.project = proj
),
signatures AS (
    SELECT
        l.source, l.project, l.run_id, l.name, l.created_at,
        '{' || coalesce(string_agg(to_json(v.key) || ':' || v.value_json, ',' ORDER BY v.key)
                            FILTER (WHERE NOT v.is_seed), '') || '}' AS config,
        '{' || coalesce(string_agg(to_json(v.key) || ':' || v.value_json, ',' ORDER BY v.key)
                            FILTER (WHERE v.is_seed), '') || '}' AS seeds
    FROM live AS l
    LEFT JOIN leaves AS v USING (source, project, run_id)
    GROUP BY l.source, l.project, l.run_id, l.name, l.created_at
),
valued AS (
    SELECT
        g.*,
        CASE WHEN pick = 'last' THEN s.last_value
             WHEN goal = 'max' THEN s.max_value
             ELSE s.min_value END AS value
    FROM signatures AS g
    LEFT JOIN metric_summary AS s
        ON s.source = g.source AND s.project = g.project AND s.run_id = g.run_id
       AND s.key = metric
)
SELECT
    source,
    project,
    substr(md5(config), 1, 12) AS group_id,
    CAST(config AS JSON) AS config,
    count(*) AS runs,
    count(value) FILTER (WHERE NOT isnan(value)) AS n,
    avg(value ORDER BY value) FILTER (WHERE NOT isnan(value)) AS mean,
    stddev_samp(value ORDER BY value) FILTER (WHERE NOT isnan(value)) AS std,
    min(value) FILTER (WHERE NOT isnan(value)) AS min,
    max(value) FILTER (WHERE NOT isnan(value)) AS max,
    list(run_id ORDER BY created_at, run_id) AS run_ids,
    list(CAST(seeds AS JSON) ORDER BY created_at, run_id) AS seeds
FROM valued, checked
WHERE checked.bad_goal IS NULL AND checked.bad_pick IS NULL
GROUP BY source, project, config
ORDER BY source, project, mean NULLS LAST, group_id;

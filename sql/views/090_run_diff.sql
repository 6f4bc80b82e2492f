-- The config leaves that differ between two runs, or across a set of runs.
-- Usage: run_diff(run_a, run_b) or run_diff(run_list)
-- Answers: what changed between these runs? Runs are named by run_id (or slug).
-- Reads: runs, run_config.
-- Parameters: run_diff(run_a, run_b): two run ids; one row per differing leaf: key, value_a,
-- value_b (JSON text, NULL when the run lacks the leaf) and change 'changed' | 'only_a' | 'only_b'.
-- run_diff(run_list): a list of run ids; one row per (differing leaf, run): key, distinct_values
-- (how many different values, a missing leaf counting as one), run_id, run_name, value.
-- A leaf differs when its JSON values are not all equal or some runs lack it.
-- Deleted runs: INCLUDED (you named them).
CREATE OR REPLACE MACRO run_diff(run_a, run_b) AS TABLE (
    WITH a AS (
        SELECT c.key, CAST(c.value AS VARCHAR) AS value
        FROM run_config AS c
        JOIN runs AS r USING (source, project, run_id)
        WHERE run_a IN (r.run_id, r.slug)
    ),
    b AS (
        SELECT c.key, CAST(c.value AS VARCHAR) AS value
        FROM run_config AS c
        JOIN runs AS r USING (source, project, run_id)
        WHERE run_b IN (r.run_id, r.slug)
    )
    SELECT
        coalesce(a.key, b.key) AS key,
        a.value AS value_a,
        b.value AS value_b,
        CASE WHEN a.key IS NULL THEN 'only_b'
             WHEN b.key IS NULL THEN 'only_a'
             ELSE 'changed' END AS change
    FROM a
    FULL JOIN b ON a.key = b.key
    WHERE a.key IS NULL OR b.key IS NULL OR a.value IS DISTINCT FROM b.value
    ORDER BY key
), (run_list) AS TABLE (
    WITH chosen AS (
        SELECT source, project, run_id, name
        FROM runs
        WHERE list_contains(run_list, run_id) OR list_contains(run_list, slug)
    ),
    all_keys AS (
        SELECT DISTINCT c.key
        FROM run_config AS c
        SEMI JOIN chosen AS r USING (source, project, run_id)
    ),
    grid AS (
        SELECT k.key, r.source, r.project, r.run_id, r.name AS run_name,
               CAST(c.value AS VARCHAR) AS value
        FROM all_keys AS k
        CROSS JOIN chosen AS r
        LEFT JOIN run_config AS c
            ON c.source = r.source AND c.project = r.project AND c.run_id = r.run_id
           AND c.key = k.key
    ),
    spread AS (
        SELECT key, count(DISTINCT coalesce(value, '#missing')) AS distinct_values
        FROM grid
        GROUP BY key
        HAVING count(DISTINCT coalesce(value, '#missing')) > 1
    )
    SELECT g.key, s.distinct_values, g.source, g.project, g.run_id, g.run_name, g.value
    FROM grid AS g
    JOIN spread AS s USING (key)
    ORDER BY g.key, g.run_id
);

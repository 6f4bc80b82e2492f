-- Runs of a project ranked by a metric: lower or higher is better, by final or best value.
-- Usage: leaderboard(proj, metric, goal := 'min', pick := 'last')
-- Answers: which runs are best on `metric`, lower-is-better (goal 'min') or higher-is-better
-- (goal 'max'), by the final value (pick 'last': the value at the last step) or the best value
-- over the run (pick 'best': min or max per goal, NaN ignored).
-- Reads: metric_summary, runs.
-- Parameters: proj 'workspace/name'; metric key; goal 'min'|'max'; pick 'last'|'best'.
-- Deleted runs: EXCLUDED. Runs without the metric are not listed; NaN/NULL values rank last.
-- rank is SQL RANK() (ties share a rank); step is where the ranked value was reached.
CREATE OR REPLACE MACRO leaderboard(proj, metric, goal := 'min', pick := 'last') AS TABLE
WITH checked AS (
    SELECT
        CASE WHEN goal NOT IN ('min', 'max')
             THEN error('leaderboard: goal must be ''min'' or ''max''') END AS bad_goal,
        CASE WHEN pick NOT IN ('last', 'best')
             THEN error('leaderboard: pick must be ''last'' or ''best''') END AS bad_pick
),
scored AS (
    SELECT
        s.source, s.project, s.run_id, r.slug, r.name, r.state, r.username, r.created_at,
        CASE WHEN pick = 'last' THEN s.last_value
             WHEN goal = 'max' THEN s.max_value
             ELSE s.min_value END AS value,
        CASE WHEN pick = 'last' THEN s.last_step
             WHEN goal = 'max' THEN s.max_step
             ELSE s.min_step END AS step,
        s.last_step,
        s.points
    FROM metric_summary AS s
    JOIN runs AS r USING (source, project, run_id)
    WHERE s.project = proj AND s.key = metric AND s.points > 0 AND r.deleted_at IS NULL
)
SELECT
    rank() OVER (
        ORDER BY (value IS NULL OR isnan(value)),
                 CASE WHEN goal = 'max' THEN -value ELSE value END
    ) AS rank,
    source, project, run_id, slug, name, state, username, created_at,
    value, step, last_step, points
FROM scored, checked
WHERE checked.bad_goal IS NULL AND checked.bad_pick IS NULL
ORDER BY rank, created_at, run_id;

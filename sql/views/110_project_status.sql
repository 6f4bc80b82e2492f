-- One row per project: runs by state, currently running, crash rate, users, first/last run, deleted runs, last sync.
-- Answers: how healthy is each project right now? (list the running runs with
-- `SELECT * FROM run_overview WHERE running`).
-- Reads: projects, runs.
-- Deleted runs: EXCLUDED from the counts; counted apart in deleted_runs.
-- crash_rate = crashed / (finished + crashed + aborted); NULL when none of them ended yet.
CREATE OR REPLACE VIEW project_status AS
WITH keys AS (
    SELECT source, project FROM projects
    UNION
    SELECT source, project FROM runs
),
counts AS (
    SELECT
        source,
        project,
        count(*) FILTER (WHERE deleted_at IS NULL) AS runs,
        count(*) FILTER (WHERE deleted_at IS NULL AND state = 'RUNNING') AS running,
        count(*) FILTER (WHERE deleted_at IS NULL AND state = 'FINISHED') AS finished,
        count(*) FILTER (WHERE deleted_at IS NULL AND state = 'CRASHED') AS crashed,
        count(*) FILTER (WHERE deleted_at IS NULL AND state = 'ABORTED') AS aborted,
        count(DISTINCT username) FILTER (WHERE deleted_at IS NULL) AS users,
        min(created_at) FILTER (WHERE deleted_at IS NULL) AS first_run_at,
        max(created_at) FILTER (WHERE deleted_at IS NULL) AS last_run_at,
        count(*) FILTER (WHERE deleted_at IS NOT NULL) AS deleted_runs,
        max(synced_at) AS runs_synced_at
    FROM runs
    GROUP BY source, project
)
SELECT
    k.source,
    k.project,
    p.name,
    p.workspace,
    coalesce(c.runs, 0) AS runs,
    coalesce(c.running, 0) AS running,
    coalesce(c.finished, 0) AS finished,
    coalesce(c.crashed, 0) AS crashed,
    coalesce(c.aborted, 0) AS aborted,
    CAST(c.crashed AS DOUBLE) / nullif(c.finished + c.crashed + c.aborted, 0) AS crash_rate,
    coalesce(c.users, 0) AS users,
    c.first_run_at,
    c.last_run_at,
    coalesce(c.deleted_runs, 0) AS deleted_runs,
    greatest(p.synced_at, c.runs_synced_at) AS synced_at
FROM keys AS k
LEFT JOIN projects AS p USING (source, project)
LEFT JOIN counts AS c USING (source, project);

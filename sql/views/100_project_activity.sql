-- Runs started per project, day (UTC) and user, split by state, with the day's crash rate.
-- Answers: who ran what when, and how often it crashed.
-- Reads: runs.
-- Deleted runs: EXCLUDED (see project_status.deleted_runs for those).
-- day is the UTC date of created_at (runs without created_at are left out).
-- crash_rate = crashed / (finished + crashed + aborted); NULL when none of them ended yet.
CREATE OR REPLACE VIEW project_activity AS
SELECT
    source,
    project,
    CAST(timezone('UTC', created_at) AS DATE) AS day,
    username,
    count(*) AS runs,
    count(*) FILTER (WHERE state = 'RUNNING') AS running,
    count(*) FILTER (WHERE state = 'FINISHED') AS finished,
    count(*) FILTER (WHERE state = 'CRASHED') AS crashed,
    count(*) FILTER (WHERE state = 'ABORTED') AS aborted,
    count(*) FILTER (WHERE state NOT IN ('RUNNING', 'FINISHED', 'CRASHED', 'ABORTED')
                        OR state IS NULL) AS other,
    CAST(count(*) FILTER (WHERE state = 'CRASHED') AS DOUBLE)
        / nullif(count(*) FILTER (WHERE state IN ('FINISHED', 'CRASHED', 'ABORTED')), 0)
        AS crash_rate
FROM runs
WHERE deleted_at IS NULL AND created_at IS NOT NULL
GROUP BY source, project, day, username;

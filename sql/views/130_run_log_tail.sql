-- The end of each run's console and everything it printed at level ERROR.
-- Answers: what did a run print last, and what went wrong? (WHERE from_end <= 20 for less)
-- Reads: logs, runs.
-- Deleted runs: EXCLUDED.
-- One row per line that is among the run's last 100 stored lines (from_end 1 = the last) or
-- whose level is ERROR (is_error; level compared upper-cased). A running run's tail moves on with
-- each pull. Lines are ordered by seq, the source's own line counter.
CREATE OR REPLACE VIEW run_log_tail AS
WITH numbered AS (
    SELECT
        l.*,
        row_number() OVER (PARTITION BY l.source, l.project, l.run_id ORDER BY l.seq DESC)
            AS from_end
    FROM logs AS l
)
SELECT
    n.source,
    n.project,
    n.run_id,
    r.name AS run_name,
    r.state,
    n.seq,
    n.from_end,
    n.ts,
    n.level,
    n.stream,
    n.tag,
    coalesce(upper(n.level) = 'ERROR', FALSE) AS is_error,
    n.text
FROM numbered AS n
JOIN runs AS r
    ON r.source = n.source AND r.project = n.project AND r.run_id = n.run_id
WHERE r.deleted_at IS NULL
  AND (n.from_end <= 100 OR upper(n.level) = 'ERROR');

-- Console lines that contain a text (case-insensitive), or match a regular expression.
-- Usage: log_search(pattern, regex := false)
-- Answers: which runs printed this, and when? e.g. log_search('out of memory'),
-- log_search('loss=nan|inf', regex := true)
-- Reads: logs, runs.
-- Deleted runs: EXCLUDED.
-- Parameters: pattern is data (a string or a bound parameter), never SQL. With regex := true it
-- is an RE2 regular expression, case-sensitive unless it starts with (?i).
CREATE OR REPLACE MACRO log_search(pattern, regex := false) AS TABLE
SELECT
    l.source,
    l.project,
    l.run_id,
    r.name AS run_name,
    l.seq,
    l.ts,
    l.level,
    l.stream,
    l.tag,
    l.text
FROM logs AS l
JOIN runs AS r
    ON r.source = l.source AND r.project = l.project AND r.run_id = l.run_id
WHERE r.deleted_at IS NULL
  AND CASE
        -- the inner CASE keeps a text search from compiling its pattern as a regex
        WHEN regex THEN regexp_matches(l.text, CASE WHEN regex THEN pattern ELSE '' END)
        ELSE contains(lower(l.text), lower(pattern))
      END;

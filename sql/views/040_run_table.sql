-- One row per run of a project, one column per config leaf and per metric last/min/max (SwanLab's table view).
-- Usage: run_table(proj)
-- Answers: configs next to results, nested configs flattened (`model.depth`), no hand-written pivot.
-- Reads: runs, run_fields (so run_config and metric_summary).
-- Parameters: proj, the project as 'workspace/name'.
-- Deleted runs: EXCLUDED.
-- Columns: source, project, run_id, slug, name, state, username, created_at, finished_at, labels;
-- then text config leaves (VARCHAR: strings, booleans, mixed-type keys), numeric config leaves
-- (DOUBLE), then `<metric key>_last`, `_min`, `_max` (DOUBLE) for each custom scalar metric.
-- How: DuckDB cannot PIVOT on values read at query time inside a view or macro, so applying this
-- file stores the column names found in the data as three ENUM types (run_table_text_column,
-- run_table_number_column, run_table_metric_column) and the macro pivots on those lists. The
-- names are data (selected into the ENUM), never spliced into SQL. Consequences: the column set
-- is the one of the last `swansync views apply` (run after every pull), and it is the union
-- over all projects of the warehouse (columns of other projects are all NULL; pick columns with
-- `SELECT COLUMNS('regex') FROM run_table(...)`). A config key equal to an identity column
-- name comes out with a `_1` suffix. A config key is numeric when every non-null value of it
-- is a number, across all runs.
CREATE OR REPLACE TYPE run_table_text_column AS ENUM (
    SELECT column_name FROM run_fields
    WHERE field_type = 'config'
    GROUP BY column_name
    HAVING NOT bool_and(value_double IS NOT NULL OR value_text IS NULL)
        OR bool_and(value_text IS NULL)
    ORDER BY column_name
);
CREATE OR REPLACE TYPE run_table_number_column AS ENUM (
    SELECT column_name FROM run_fields
    WHERE field_type = 'config'
    GROUP BY column_name
    HAVING bool_and(value_double IS NOT NULL OR value_text IS NULL)
       AND NOT bool_and(value_text IS NULL)
    ORDER BY column_name
);
CREATE OR REPLACE TYPE run_table_metric_column AS ENUM (
    SELECT DISTINCT k.key || '_' || s.stat
    FROM metric_keys AS k
    JOIN runs AS r USING (source, project, run_id)
    CROSS JOIN (VALUES ('last'), ('min'), ('max')) AS s(stat)
    WHERE k.kind = 'SCALAR' AND k.class = 'CUSTOM' AND r.deleted_at IS NULL
    ORDER BY 1
);
CREATE OR REPLACE MACRO run_table(proj) AS TABLE
WITH fields AS (
    SELECT source AS "#source", project AS "#project", run_id AS "#run_id",
           field_type, column_name, value_double, value_text
    FROM run_fields
    WHERE project = proj
),
text_cols AS (
    PIVOT (SELECT "#source", "#project", "#run_id", column_name, value_text
           FROM fields WHERE field_type = 'config')
    ON column_name IN run_table_text_column
    USING first(value_text)
    GROUP BY "#source", "#project", "#run_id"
),
number_cols AS (
    PIVOT (SELECT "#source", "#project", "#run_id", column_name, value_double
           FROM fields WHERE field_type = 'config')
    ON column_name IN run_table_number_column
    USING first(value_double)
    GROUP BY "#source", "#project", "#run_id"
),
metric_cols AS (
    PIVOT (SELECT "#source", "#project", "#run_id", column_name, value_double
           FROM fields WHERE field_type = 'metric')
    ON column_name IN run_table_metric_column
    USING first(value_double)
    GROUP BY "#source", "#project", "#run_id"
)
SELECT
    r.source, r.project, r.run_id, r.slug, r.name, r.state, r.username,
    r.created_at, r.finished_at, r.labels,
    t.* EXCLUDE ("#source", "#project", "#run_id"),
    n.* EXCLUDE ("#source", "#project", "#run_id"),
    m.* EXCLUDE ("#source", "#project", "#run_id")
FROM runs AS r
LEFT JOIN text_cols AS t
    ON t."#source" = r.source AND t."#project" = r.project AND t."#run_id" = r.run_id
LEFT JOIN number_cols AS n
    ON n."#source" = r.source AND n."#project" = r.project AND n."#run_id" = r.run_id
LEFT JOIN metric_cols AS m
    ON m."#source" = r.source AND m."#project" = r.project AND m."#run_id" = r.run_id
WHERE r.project = proj AND r.deleted_at IS NULL;

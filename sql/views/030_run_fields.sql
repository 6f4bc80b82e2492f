-- Long form of the run table: one row per (run, column); config leaves and metric summaries, ready for a BI pivot.
-- Answers: every config leaf (flattened: `model.depth`, `layers[0]`) and the last/min/max of every
-- custom scalar metric of every run, in a shape any BI tool pivots (rows: run, columns: column_name).
-- Reads: runs, run_config, metric_summary.
-- Deleted runs: EXCLUDED.
-- Columns: field_type is 'config' or 'metric'; field is the config key or the metric key; stat is
-- NULL for config and 'last'/'min'/'max' for metrics; column_name is the config key itself, or
-- '<metric key>_<stat>' (e.g. `loss_last`), the same names run_table() uses.
-- value_double holds numbers; value_text is the value as text (strings raw, booleans `true`/`false`,
-- numbers/lists/objects as JSON text); config JSON null gives NULL in both.
CREATE OR REPLACE VIEW run_fields AS
WITH live AS (
    SELECT source, project, run_id, name, state
    FROM runs
    WHERE deleted_at IS NULL
),
config_rows AS (
    SELECT
        c.source, c.project, c.run_id,
        'config' AS field_type,
        c.key AS field,
        CAST(NULL AS VARCHAR) AS stat,
        c.key AS column_name,
        c.value_double,
        CASE
            WHEN c.value_text IS NOT NULL THEN c.value_text
            WHEN c.value IS NULL OR json_type(c.value) = 'NULL' THEN NULL
            ELSE CAST(c.value AS VARCHAR)
        END AS value_text
    FROM run_config AS c
),
metric_rows AS (
    SELECT
        s.source, s.project, s.run_id,
        'metric' AS field_type,
        s.key AS field,
        u.stat,
        s.key || '_' || u.stat AS column_name,
        u.v AS value_double,
        CAST(u.v AS VARCHAR) AS value_text
    FROM metric_summary AS s,
         LATERAL (VALUES ('last', s.last_value), ('min', s.min_value), ('max', s.max_value))
             AS u(stat, v)
    WHERE s.kind = 'SCALAR' AND s.class = 'CUSTOM' AND s.points > 0
)
SELECT l.source, l.project, l.run_id, l.name AS run_name, l.state,
       f.field_type, f.field, f.stat, f.column_name, f.value_double, f.value_text
FROM live AS l
JOIN (SELECT * FROM config_rows UNION ALL SELECT * FROM metric_rows) AS f
    USING (source, project, run_id);

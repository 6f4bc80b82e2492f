"""How each warehouse table is stored on a lake, and the append-only SQL of every write.

Writers never UPDATE or DELETE a shared table (docs/ducklake.md R1): every keyed table is a log
of versions (``_swansync.<name>_v``: its columns, ``_v`` and the tombstone ``_gone``) read
through a view of the newest version of each key. An upsert appends the merged row (the stored
one, from the view, with the new columns over it), a delete appends tombstones, an update
appends changed copies. ``points`` is append-only: a replaced series gets a new id and the
``metrics`` view joins the current ids only. ``logs`` is append-only with per-run reset marks.

The statements here take the version ``v`` as a literal (an integer drawn by the writer) and
read the current rows inside the caller's transaction, so a transaction can be redone as a
whole and reads what it wrote itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from swansync.errors import WarehouseError

# View name -> its key. The storage table is _swansync.<name>_v.
VERSIONED: dict[str, tuple[str, ...]] = {
    "main.projects": ("source", "project"),
    "main.runs": ("source", "project", "run_id"),
    "main.run_config": ("source", "project", "run_id", "key"),
    "main.summaries": ("source", "project", "run_id", "key"),
    "main.media": ("source", "project", "run_id", "key", "step", "idx"),
    "_swansync.series": ("source", "project", "run_id", "key"),
    "_swansync.run_state": ("source", "project", "run_id"),
    "_swansync.media_skips": ("source", "project", "run_id", "key", "step", "idx"),
    "_swansync.sync_log": ("id",),
}
POINTS = "_swansync.points"  # append-only; a delete is a no-op (old generations are hidden)
LOGS = "main.logs"  # append-only with reset marks
LOGS_STORAGE = "_swansync.logs_v"
LOG_RESETS = "_swansync.log_resets"
LOG_RESET_KEY = ("source", "project", "run_id")
# Columns with a default on a file warehouse (a partial upsert of a new key gets it).
DEFAULTS: dict[tuple[str, str], str] = {("_swansync.series", "complete"): "TRUE"}


def q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def qualified(table: str) -> str:
    """``runs`` -> ``main.runs``; ``_swansync.series`` stays."""
    return table if "." in table else f"main.{table}"


def qt(table: str) -> str:
    schema, _, name = qualified(table).partition(".")
    return f"{q(schema)}.{q(name)}"


def storage(view: str) -> str:
    """The versions table behind a versioned view: ``main.runs`` -> ``_swansync.runs_v``."""
    return f"_swansync.{qualified(view).partition('.')[2]}_v"


def short(table: str) -> str:
    return qualified(table).partition(".")[2]


def view_sql(view: str, key: Sequence[str]) -> str:
    """The view of the newest version of each key that is not a tombstone."""
    keys = ", ".join(q(k) for k in key)
    return (
        f"CREATE OR REPLACE VIEW {qt(view)} AS SELECT * EXCLUDE (_v, _gone) "
        f"FROM {qt(storage(view))} "
        f"QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY _v DESC) = 1 AND NOT _gone"
    )


DERIVED_VIEWS = [
    # The same columns as on a file warehouse (sql/schema/005).
    "CREATE OR REPLACE VIEW main.metric_keys AS "
    "SELECT source, project, run_id, key, kind, class, complete, last_step, points, synced_at "
    "FROM _swansync.series",
    "CREATE OR REPLACE VIEW main.metrics AS "
    "SELECT s.source, s.project, s.run_id, s.key, p.step, p.value, p.ts "
    "FROM _swansync.points AS p JOIN _swansync.series AS s USING (series_id)",
    "CREATE OR REPLACE VIEW main.logs AS "
    "SELECT l.* EXCLUDE (_v) FROM _swansync.logs_v AS l "
    "WHERE NOT EXISTS (SELECT 1 FROM _swansync.log_resets AS r WHERE r.source = l.source "
    "AND r.project = l.project AND r.run_id = l.run_id AND r._v > l._v)",
]


def all_views() -> list[str]:
    return [view_sql(v, k) for v, k in VERSIONED.items()] + DERIVED_VIEWS


def _on(alias: str, other: str, key: Sequence[str]) -> str:
    return " AND ".join(f"{alias}.{q(k)} = {other}.{q(k)}" for k in key)


def key_of(table: str) -> tuple[str, ...]:
    try:
        return VERSIONED[qualified(table)]
    except KeyError:
        raise WarehouseError(f"table {table!r} has no versions on a lake") from None


def upsert_sql(
    table: str,
    columns: Sequence[str],
    frame_columns: Sequence[str],
    key: Sequence[str],
    updates: Mapping[str, str] | None,
    v: int,
) -> str:
    """Append the merged version of each frame row (frame registered as ``_swansync_frame``)."""
    view = qualified(table)
    alias = q(short(view))
    given = set(frame_columns)
    select = []
    for c in columns:
        default = DEFAULTS.get((view, c), "NULL")
        new = f"excluded.{q(c)}" if c in given else default
        if updates is not None:
            old = f"({updates[c]})" if c in updates else f"{alias}.{q(c)}"
        else:
            old = new if c in given else f"{alias}.{q(c)}"
        select.append(f"CASE WHEN {alias}._hit THEN {old} ELSE {new} END")
    cols = ", ".join(q(c) for c in columns)
    return (
        f"INSERT INTO {qt(storage(view))} ({cols}, _v, _gone) "
        f"SELECT {', '.join(select)}, {v}, false FROM _swansync_frame AS excluded "
        f"LEFT JOIN (SELECT *, true AS _hit FROM {qt(view)}) AS {alias} "
        f"ON {_on(alias, 'excluded', key)}"
    )


def append_sql(table: str, frame_columns: Sequence[str], v: int) -> str:
    view = qualified(table)
    cols = ", ".join(q(c) for c in frame_columns)
    if view == POINTS:
        return f"INSERT INTO {qt(POINTS)} ({cols}) SELECT {cols} FROM _swansync_frame"
    if view == LOGS:
        return (
            f"INSERT INTO {qt(LOGS_STORAGE)} ({cols}, _v) SELECT {cols}, {v} FROM _swansync_frame"
        )
    key_of(view)
    return (
        f"INSERT INTO {qt(storage(view))} ({cols}, _v, _gone) "
        f"SELECT {cols}, {v}, false FROM _swansync_frame"
    )


def where_sql(
    where: Mapping[str, Any],
    column: str | None = None,
    values_in: Sequence[Any] = (),
    condition: str | None = None,
) -> tuple[str, list[Any]]:
    parts = [f"{q(k)} = ?" for k in where]
    params: list[Any] = list(where.values())
    if column is not None:
        parts.append(f"list_contains(?, {q(column)})")
        params.append(list(values_in))
    if condition:
        parts.append(f"({condition})")
    return (" AND ".join(parts) or "true"), params


def tombstone_sql(table: str, columns: Sequence[str], cond: str, v: int) -> str:
    """Append a tombstone of every current row matching ``cond``."""
    view = qualified(table)
    cols = ", ".join(q(c) for c in columns)
    return (
        f"INSERT INTO {qt(storage(view))} ({cols}, _v, _gone) "
        f"SELECT {cols}, {v}, true FROM {qt(view)} WHERE {cond}"
    )


def reset_logs_sql(v: int) -> str:
    """A reset mark: the run's lines written before it disappear from ``logs``."""
    cols = ", ".join(q(c) for c in LOG_RESET_KEY)
    marks = ", ".join("?" for _ in LOG_RESET_KEY)
    return f"INSERT INTO {qt(LOG_RESETS)} ({cols}, _v) VALUES ({marks}, {v})"


def update_sql(
    table: str, columns: Sequence[str], values: Mapping[str, Any], cond: str, v: int
) -> str:
    """Append a changed copy of every current row matching ``cond`` (values as parameters)."""
    view = qualified(table)
    select = ", ".join("?" if c in values else q(c) for c in columns)
    cols = ", ".join(q(c) for c in columns)
    return (
        f"INSERT INTO {qt(storage(view))} ({cols}, _v, _gone) "
        f"SELECT {select}, {v}, false FROM {qt(view)} WHERE {cond}"
    )


def update_params(columns: Sequence[str], values: Mapping[str, Any]) -> list[Any]:
    return [values[c] for c in columns if c in values]


def update_from_sql(
    table: str, columns: Sequence[str], key: Sequence[str], updates: Mapping[str, str], v: int
) -> str:
    view = qualified(table)
    alias = q(short(view))
    select = ", ".join(f"({updates[c]})" if c in updates else f"{alias}.{q(c)}" for c in columns)
    cols = ", ".join(q(c) for c in columns)
    return (
        f"INSERT INTO {qt(storage(view))} ({cols}, _v, _gone) "
        f"SELECT {select}, {v}, false FROM _swansync_frame AS excluded "
        f"JOIN {qt(view)} AS {alias} ON {_on(alias, 'excluded', key)}"
    )


def delete_keys_sql(table: str, columns: Sequence[str], key: Sequence[str], v: int) -> str:
    view = qualified(table)
    alias = q(short(view))
    cols = ", ".join(f"{alias}.{q(c)}" for c in columns)
    return (
        f"INSERT INTO {qt(storage(view))} ({', '.join(q(c) for c in columns)}, _v, _gone) "
        f"SELECT {cols}, {v}, true FROM {qt(view)} AS {alias} "
        f"SEMI JOIN _swansync_frame AS excluded ON {_on(alias, 'excluded', key)}"
    )


def insert_row_sql(table: str, columns: Sequence[str], v: int) -> str:
    view = qualified(table)
    key_of(view)
    cols = ", ".join(q(c) for c in columns)
    marks = ", ".join("?" for _ in columns)
    return f"INSERT INTO {qt(storage(view))} ({cols}, _v, _gone) VALUES ({marks}, {v}, false)"


__all__ = [
    "DERIVED_VIEWS",
    "LOGS",
    "POINTS",
    "VERSIONED",
    "all_views",
    "append_sql",
    "delete_keys_sql",
    "insert_row_sql",
    "key_of",
    "qualified",
    "reset_logs_sql",
    "storage",
    "tombstone_sql",
    "update_from_sql",
    "update_params",
    "update_sql",
    "upsert_sql",
    "view_sql",
    "where_sql",
]

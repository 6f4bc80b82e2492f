"""The write methods of the file warehouse (:class:`TableWrites`, the base of
:class:`~swansync.warehouse.Warehouse`): appends, upserts, updates and deletes of polars frames
into the tables of ``sql/schema``, inside the caller's transaction. A lake overrides each of
them with an append-only version (:mod:`swansync.warehouse.lake.writes`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import polars as pl

from swansync.errors import WarehouseError
from swansync.warehouse.sqlnames import _q, _qt, _split, _where

if TYPE_CHECKING:
    import duckdb


@contextmanager
def framed(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> Iterator[None]:
    """``frame`` readable as ``_swansync_frame`` by the statements run inside (file and lake)."""
    con.register("_swansync_frame", frame)
    try:
        yield
    finally:
        con.unregister("_swansync_frame")


class TableWrites:
    """Writes of frames and rows into the warehouse's tables."""

    if TYPE_CHECKING:  # provided by Warehouse
        con: duckdb.DuckDBPyConnection
        _columns_cache: dict[str, list[str]]

    def _columns(self, table: str) -> list[str]:
        cached = self._columns_cache.get(table)
        if cached is not None:
            return cached
        schema, name = _split(table)
        rows = self.con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_catalog = "
            "current_database() AND table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [schema, name],
        ).fetchall()
        if not rows:
            raise WarehouseError(f"table {table!r} does not exist in the warehouse")
        self._columns_cache[table] = [r[0] for r in rows]
        return self._columns_cache[table]

    def _insert_select(self, table: str, frame: pl.DataFrame) -> tuple[str, str]:
        known = self._columns(table)
        extra = [c for c in frame.columns if c not in known]
        if extra:
            raise WarehouseError(f"table {table!r} has no column(s) {', '.join(extra)}")
        cols = ", ".join(_q(c) for c in frame.columns)
        return cols, f"SELECT {cols} FROM _swansync_frame"

    def append(self, table: str, frame: pl.DataFrame) -> int:
        """Insert every row of ``frame`` (columns by name)."""
        if frame.height == 0:
            return 0
        cols, select = self._insert_select(table, frame)
        with framed(self.con, frame):
            self.con.execute(f"INSERT INTO {_qt(table)} ({cols}) {select}")
        return frame.height

    def upsert(
        self,
        table: str,
        frame: pl.DataFrame,
        key: Sequence[str],
        updates: Mapping[str, str] | None = None,
    ) -> int:
        """Insert rows, replacing the non-key columns of rows whose ``key`` already exists.

        Rows repeated within ``frame`` keep the last occurrence. ``updates`` replaces that rule
        for existing rows: column -> SQL expression over ``excluded.<col>`` (the new row) and
        ``<table name>.<col>`` (the stored one); columns not named keep their stored value.
        """
        if frame.height == 0:
            return 0
        frame = frame.unique(subset=list(key), keep="last", maintain_order=True)
        cols, select = self._insert_select(table, frame)
        if updates is None:
            sets = [f"{_q(c)} = excluded.{_q(c)}" for c in frame.columns if c not in key]
        else:
            sets = [f"{_q(c)} = {expr}" for c, expr in updates.items()]
        updates_sql = ", ".join(sets)
        conflict = ", ".join(_q(c) for c in key)
        action = f"DO UPDATE SET {updates_sql}" if updates_sql else "DO NOTHING"
        with framed(self.con, frame):
            self.con.execute(
                f"INSERT INTO {_qt(table)} ({cols}) {select} ON CONFLICT ({conflict}) {action}"
            )
        return frame.height

    # -- change detection ------------------------------------------------------------------
    # A pull writes only what changed: these pick, from what it read, the rows (or groups of
    # rows) whose content differs from the stored one, ``synced_at`` aside. Unchanged rows keep
    # their stored version and ``synced_at``; a pull that changed nothing writes nothing here,
    # so views and the serving copy are left alone and a lake gains no row version.

    def changed_rows(
        self,
        table: str,
        frame: pl.DataFrame,
        key: Sequence[str],
        ignore: Sequence[str] = ("synced_at",),
    ) -> pl.DataFrame:
        """The rows of ``frame`` an :meth:`upsert` would add or change (``ignore`` columns
        aside), in ``frame``'s order; rows repeated within ``frame`` keep the last one."""
        if frame.height == 0:
            return frame
        frame = frame.unique(subset=list(key), keep="last", maintain_order=True)
        self._insert_select(table, frame)  # checks the columns
        cols = ", ".join(_q(c) for c in frame.columns if c not in ignore)
        keys = ", ".join(_q(k) for k in key)
        with framed(self.con, frame):
            rows = self.con.execute(
                f"SELECT {keys} FROM (SELECT {cols} FROM _swansync_frame EXCEPT "
                f"SELECT {cols} FROM {_qt(table)} SEMI JOIN _swansync_frame USING ({keys}))"
            ).fetchall()
        changed = set(rows)
        if not changed:
            return frame.clear()
        mask = [row in changed for row in frame.select(list(key)).iter_rows()]
        return frame.filter(pl.Series(mask, dtype=pl.Boolean))

    def changed_groups(
        self,
        table: str,
        frame: pl.DataFrame,
        where: Mapping[str, Any],
        column: str,
        values: Sequence[Any],
        ignore: Sequence[str] = ("synced_at",),
    ) -> list[Any]:
        """Which of ``values`` hold, in ``table`` (``WHERE k1 = v1 AND ... AND column = value``),
        other rows than ``frame`` has for them (``ignore`` columns aside): replacing only those
        groups (:meth:`delete_in` then :meth:`append`) leaves the table as replacing all would.
        In ``values``' order."""
        if not values:
            return []
        known = self._columns(table)
        cols = ", ".join(_q(c) for c in known if c not in ignore)
        cond = " AND ".join([*(f"{_q(k)} = ?" for k in where), f"list_contains(?, {_q(column)})"])
        stored = f"SELECT {cols} FROM {_qt(table)} WHERE {cond}"
        new = f"SELECT {cols} FROM _swansync_frame WHERE list_contains(?, {_q(column)})"
        vals = list(values)
        with framed(self.con, frame):
            rows = self.con.execute(
                f"SELECT DISTINCT {_q(column)} FROM (({new} EXCEPT ALL {stored}) "
                f"UNION ALL ({stored} EXCEPT ALL {new}))",
                [vals, *where.values(), vals, *where.values(), vals, vals],
            ).fetchall()
        changed = {r[0] for r in rows}
        return [v for v in values if v in changed]

    def delete(self, table: str, where: Mapping[str, Any]) -> None:
        """``DELETE FROM table WHERE k1 = v1 AND ...`` (values bound as parameters)."""
        if not where:
            raise WarehouseError("refusing to delete without a condition")
        cond = " AND ".join(f"{_q(k)} = ?" for k in where)
        self.con.execute(f"DELETE FROM {_qt(table)} WHERE {cond}", list(where.values()))

    def delete_in(
        self, table: str, where: Mapping[str, Any], column: str, values: Sequence[Any]
    ) -> None:
        """``DELETE FROM table WHERE k1 = v1 AND ... AND column IN (values)`` in one statement."""
        if not values:
            return
        cond = " AND ".join([*(f"{_q(k)} = ?" for k in where), f"list_contains(?, {_q(column)})"])
        self.con.execute(f"DELETE FROM {_qt(table)} WHERE {cond}", [*where.values(), list(values)])

    def insert_row(self, table: str, values: Mapping[str, Any]) -> None:
        """``INSERT INTO table (c1, ...) VALUES (v1, ...)``."""
        cols = ", ".join(_q(c) for c in values)
        marks = ", ".join("?" for _ in values)
        self.con.execute(
            f"INSERT INTO {_qt(table)} ({cols}) VALUES ({marks})", list(values.values())
        )

    def update(
        self,
        table: str,
        values: Mapping[str, Any],
        where: Mapping[str, Any],
        *,
        column: str | None = None,
        values_in: Sequence[Any] = (),
        condition: str | None = None,
    ) -> None:
        """``UPDATE table SET c = v, ... WHERE k = v AND ...`` [``AND column IN values_in``]
        [``AND condition``] (a predicate on the table's own columns, no parameters)."""
        if not where:
            raise WarehouseError("refusing to update without a condition")
        sets = ", ".join(f"{_q(c)} = ?" for c in values)
        cond, params = _where(where, column, values_in, condition)
        self.con.execute(
            f"UPDATE {_qt(table)} SET {sets} WHERE {cond}", [*values.values(), *params]
        )

    def update_from(
        self, table: str, frame: pl.DataFrame, key: Sequence[str], updates: Mapping[str, str]
    ) -> None:
        """Update the stored rows whose ``key`` is in ``frame``: column -> SQL expression over
        ``excluded.<col>`` (the frame's row) and ``<table name>.<col>`` (the stored one)."""
        if frame.height == 0:
            return
        alias = _split(table)[1]
        sets = ", ".join(f"{_q(c)} = {expr}" for c, expr in updates.items())
        on = " AND ".join(f"{_q(alias)}.{_q(k)} = excluded.{_q(k)}" for k in key)
        with framed(self.con, frame):
            self.con.execute(
                f"UPDATE {_qt(table)} SET {sets} FROM _swansync_frame AS excluded WHERE {on}"
            )

    def delete_keys(self, table: str, frame: pl.DataFrame, key: Sequence[str]) -> None:
        """Delete the stored rows whose ``key`` is in ``frame``."""
        if frame.height == 0:
            return
        alias = _split(table)[1]
        on = " AND ".join(f"{_q(alias)}.{_q(k)} = excluded.{_q(k)}" for k in key)
        with framed(self.con, frame):
            self.con.execute(
                f"DELETE FROM {_qt(table)} USING _swansync_frame AS excluded WHERE {on}"
            )

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        self.con.execute(sql, params or [])


__all__ = ["TableWrites"]

"""The write methods of a lake warehouse (:class:`LakeWrites`, a base of
:class:`~swansync.warehouse.lake.warehouse.LakeWarehouse`): every write is an append shaped by
:mod:`.tables`, recorded as one operation of the open transaction's journal (``_write``) so a
rejected commit can be redone as a whole. The transaction, journal and versions live in the
warehouse class; this holds what each write appends."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import polars as pl

from swansync.errors import WarehouseError
from swansync.warehouse.lake import tables as T
from swansync.warehouse.lake.pulls import is_pull_start
from swansync.warehouse.writes import framed

if TYPE_CHECKING:
    import duckdb


class LakeWrites:
    """Append-only versions of the file warehouse's write methods."""

    if TYPE_CHECKING:  # provided by LakeWarehouse / Warehouse
        con: duckdb.DuckDBPyConnection

        def _write(self, op: Callable[[], None]) -> None: ...
        def _version(self) -> int: ...
        def _columns(self, table: str) -> list[str]: ...
        def _insert_select(self, table: str, frame: pl.DataFrame) -> tuple[str, str]: ...
        def pull_started(self, pull_id: int) -> None: ...

    def _with_frame(self, frame: pl.DataFrame, sql: Callable[[], str]) -> Callable[[], None]:
        def op() -> None:
            with framed(self.con, frame):
                self.con.execute(sql())

        return op

    def append(self, table: str, frame: pl.DataFrame) -> int:
        if frame.height == 0:
            return 0
        self._insert_select(table, frame)  # checks the columns
        cols = frame.columns
        self._write(self._with_frame(frame, lambda: T.append_sql(table, cols, self._version())))
        return frame.height

    def upsert(
        self,
        table: str,
        frame: pl.DataFrame,
        key: Sequence[str],
        updates: Mapping[str, str] | None = None,
    ) -> int:
        if frame.height == 0:
            return 0
        frame = frame.unique(subset=list(key), keep="last", maintain_order=True)
        self._insert_select(table, frame)
        columns, given = self._columns(table), frame.columns
        self._write(
            self._with_frame(
                frame,
                lambda: T.upsert_sql(table, columns, given, key, updates, self._version()),
            )
        )
        return frame.height

    def delete(self, table: str, where: Mapping[str, Any]) -> None:
        if not where:
            raise WarehouseError("refusing to delete without a condition")
        self._delete(table, where, None, ())

    def delete_in(
        self, table: str, where: Mapping[str, Any], column: str, values: Sequence[Any]
    ) -> None:
        if values:
            self._delete(table, where, column, values)

    def _delete(
        self, table: str, where: Mapping[str, Any], column: str | None, values: Sequence[Any]
    ) -> None:
        view = T.qualified(table)
        if view == T.POINTS:
            return  # a replaced generation's points are no longer joined by `metrics`
        if view == T.LOGS:
            if column is not None or set(where) != set(T.LOG_RESET_KEY):
                raise WarehouseError("console lines are reset per run only on a lake")
            params = [where[k] for k in T.LOG_RESET_KEY]
            self._write(lambda: self._exec(T.reset_logs_sql(self._version()), params))
            return
        cond, params = T.where_sql(where, column, values)
        columns = self._columns(table)
        self._write(
            lambda: self._exec(T.tombstone_sql(table, columns, cond, self._version()), params)
        )

    def _exec(self, sql: str, params: Sequence[Any]) -> None:
        self.con.execute(sql, list(params))

    def insert_row(self, table: str, values: Mapping[str, Any]) -> None:
        if is_pull_start(table, values):  # a pull starts: see .pulls
            self.pull_started(int(values["id"]))
        cols, params = list(values), list(values.values())
        self._write(lambda: self._exec(T.insert_row_sql(table, cols, self._version()), params))

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
        if not where:
            raise WarehouseError("refusing to update without a condition")
        cond, params = T.where_sql(where, column, values_in, condition)
        columns = self._columns(table)
        params = T.update_params(columns, values) + params
        self._write(
            lambda: self._exec(T.update_sql(table, columns, values, cond, self._version()), params)
        )

    def update_from(
        self, table: str, frame: pl.DataFrame, key: Sequence[str], updates: Mapping[str, str]
    ) -> None:
        if frame.height == 0:
            return
        columns = self._columns(table)
        self._write(
            self._with_frame(
                frame, lambda: T.update_from_sql(table, columns, key, updates, self._version())
            )
        )

    def delete_keys(self, table: str, frame: pl.DataFrame, key: Sequence[str]) -> None:
        if frame.height == 0:
            return
        columns = self._columns(table)
        self._write(
            self._with_frame(frame, lambda: T.delete_keys_sql(table, columns, key, self._version()))
        )

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        raise WarehouseError("raw SQL writes are not replayable on a lake; use the write methods")


__all__ = ["LakeWrites"]

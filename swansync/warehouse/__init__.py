"""The DuckDB warehouse: opening, migrations, transactions, upserts and queries.

Knows nothing about SwanLab: it stores polars frames into the tables of ``sql/schema``.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb
import polars as pl

from swansync.errors import ConfigError, WarehouseError

log = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d+)_[\w-]+\.sql$")


def sql_dir() -> Path:
    """The ``sql/`` folder: beside the package in a checkout, under ``share/`` when installed."""
    here = Path(__file__).resolve().parents[2] / "sql"
    if (here / "schema").is_dir():
        return here
    installed = Path(sys.prefix) / "share" / "swansync" / "sql"
    if (installed / "schema").is_dir():
        return installed
    raise WarehouseError(f"cannot find swansync's sql/ folder (looked in {here} and {installed})")


def _migrations(directory: Path) -> list[tuple[int, str, Path]]:
    found: list[tuple[int, str, Path]] = []
    for path in sorted(directory.glob("*.sql")):
        m = _MIGRATION_NAME.match(path.name)
        if not m:
            raise WarehouseError(f"migration file {path.name!r} must be named NNN_name.sql")
        found.append((int(m.group(1)), path.stem, path))
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise WarehouseError(f"duplicate migration numbers in {directory}")
    return found


class Warehouse:
    """One DuckDB file: read-write for a pull (one process at a time), read-only for queries.

    Use as a context manager; :meth:`transaction` groups writes so that data and the state that
    describes it commit together.
    """

    def __init__(self, path: Path | str, *, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        if read_only and not self.path.exists():
            raise ConfigError(
                f"warehouse {str(self.path)!r} does not exist yet: run `swansync pull` first"
            )
        if not read_only and self.path.parent and not self.path.parent.exists():
            raise WarehouseError(
                f"folder {str(self.path.parent)!r} for the warehouse does not exist"
            )
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.IOException as e:
            msg = str(e)
            if "lock" in msg.lower():
                raise WarehouseError(
                    f"warehouse {str(self.path)!r} is in use by another process "
                    "(a pull or a reader holding it open); try again when it finishes"
                ) from e
            raise WarehouseError(f"cannot open warehouse {str(self.path)!r}: {msg}") from e
        except duckdb.Error as e:
            raise WarehouseError(f"cannot open warehouse {str(self.path)!r}: {e}") from e
        self.con.execute("SET TimeZone = 'UTC'")
        self._in_txn = False
        self._columns_cache: dict[str, list[str]] = {}

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()

    # -- schema ----------------------------------------------------------------------------

    def migrate(self, directory: Path | None = None) -> list[str]:
        """Apply the schema migrations not applied yet, in order; returns their names."""
        directory = directory or sql_dir() / "schema"
        self._columns_cache.clear()
        self.con.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            "version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
        )
        applied = {
            int(r[0]) for r in self.con.execute("SELECT version FROM schema_migrations").fetchall()
        }
        done: list[str] = []
        for version, name, path in _migrations(directory):
            if version in applied:
                continue
            with self.transaction():
                self.con.execute(path.read_text(encoding="utf-8"))
                self.con.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                    [version, name, datetime.now(UTC)],
                )
            log.info("applied migration %s", name)
            done.append(name)
        return done

    def schema_version(self) -> int:
        try:
            row = self.con.execute("SELECT max(version) FROM schema_migrations").fetchone()
        except duckdb.CatalogException:
            return 0
        return int(row[0]) if row and row[0] is not None else 0

    # -- transactions ----------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Warehouse]:
        """BEGIN ... COMMIT, or ROLLBACK when the block raises. Not reentrant."""
        if self._in_txn:
            raise WarehouseError("nested warehouse transactions are not supported")
        self.con.execute("BEGIN TRANSACTION")
        self._in_txn = True
        try:
            yield self
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        else:
            self.con.execute("COMMIT")
        finally:
            self._in_txn = False

    # -- writes ----------------------------------------------------------------------------

    def _columns(self, table: str) -> list[str]:
        cached = self._columns_cache.get(table)
        if cached is not None:
            return cached
        rows = self.con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
            [table],
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
        self.con.register("_swansync_frame", frame)
        try:
            self.con.execute(f"INSERT INTO {_q(table)} ({cols}) {select}")
        finally:
            self.con.unregister("_swansync_frame")
        return frame.height

    def upsert(self, table: str, frame: pl.DataFrame, key: Sequence[str]) -> int:
        """Insert rows, replacing the non-key columns of rows whose ``key`` already exists.

        Rows repeated within ``frame`` keep the last occurrence.
        """
        if frame.height == 0:
            return 0
        frame = frame.unique(subset=list(key), keep="last", maintain_order=True)
        cols, select = self._insert_select(table, frame)
        updates = ", ".join(f"{_q(c)} = excluded.{_q(c)}" for c in frame.columns if c not in key)
        conflict = ", ".join(_q(c) for c in key)
        action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
        self.con.register("_swansync_frame", frame)
        try:
            self.con.execute(
                f"INSERT INTO {_q(table)} ({cols}) {select} ON CONFLICT ({conflict}) {action}"
            )
        finally:
            self.con.unregister("_swansync_frame")
        return frame.height

    def delete(self, table: str, where: Mapping[str, Any]) -> None:
        """``DELETE FROM table WHERE k1 = v1 AND ...`` (values bound as parameters)."""
        if not where:
            raise WarehouseError("refusing to delete without a condition")
        cond = " AND ".join(f"{_q(k)} = ?" for k in where)
        self.con.execute(f"DELETE FROM {_q(table)} WHERE {cond}", list(where.values()))

    def delete_in(
        self, table: str, where: Mapping[str, Any], column: str, values: Sequence[Any]
    ) -> None:
        """``DELETE FROM table WHERE k1 = v1 AND ... AND column IN (values)`` in one statement."""
        if not values:
            return
        cond = " AND ".join([*(f"{_q(k)} = ?" for k in where), f"list_contains(?, {_q(column)})"])
        self.con.execute(f"DELETE FROM {_q(table)} WHERE {cond}", [*where.values(), list(values)])

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        self.con.execute(sql, params or [])

    # -- reads -----------------------------------------------------------------------------

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pl.DataFrame:
        """Run a query and return its result as a polars frame."""
        try:
            rel = self.con.sql(sql, params=list(params) if params else None)
        except duckdb.Error as e:
            raise WarehouseError(f"query failed: {e}") from e
        if rel is None:
            raise WarehouseError("the statement returned no rows to show (not a query)")
        try:
            frame: pl.DataFrame = rel.pl()
        except duckdb.Error as e:
            raise WarehouseError(f"query failed: {e}") from e
        return frame

    def rows(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        return self.con.execute(sql, params or []).fetchall()

    def table_counts(self, tables: Sequence[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for t in tables:
            row = self.con.execute(f"SELECT count(*) FROM {_q(t)}").fetchone()
            out[t] = int(row[0]) if row else 0
        return out


def _q(identifier: str) -> str:
    """Quote an identifier for DuckDB."""
    return '"' + identifier.replace('"', '""') + '"'


__all__ = ["Warehouse", "sql_dir"]

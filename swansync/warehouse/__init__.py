"""The DuckDB warehouse: opening, migrations, transactions, upserts and queries.

Knows nothing about any tracker: it stores polars frames into the tables of ``sql/schema``.
Public contract tables live in the ``main`` schema; swansync's own bookkeeping (the pull log,
bookmarks, the migration ledger) in ``_swansync``. Table names may be qualified
(``_swansync.sync_log``); unqualified names mean ``main``.

A DuckDB file is a swansync warehouse when it holds ``_swansync.migrations`` (or, written by
0.1, ``main.schema_migrations``), or when it is empty; swansync refuses to write into another
application's database.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import duckdb
import polars as pl

from swansync.errors import ConfigError, WarehouseError
from swansync.warehouse.sqlnames import _q, _qt, _split
from swansync.warehouse.writes import TableWrites

log = logging.getLogger(__name__)

PULL_MEMORY_LIMIT = "128MiB"  # DuckDB's memory while a pull writes (Warehouse.memory_capped)
_MIGRATION_NAME = re.compile(r"^(\d+)_[\w-]+\.sql$")
INTERNAL = "_swansync"  # the schema of swansync's own bookkeeping
_LEDGER = f"{INTERNAL}.migrations"
_LEGACY_LEDGER = "main.schema_migrations"  # where 0.1 kept it (migration 002 moves it)


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


SNAPSHOT_TABLE = "_swansync_snapshot"  # what marks a serving copy (see :mod:`.snapshot`)


class IdSource:
    """Hands out new ids of one column (thread-safe). A file has one writer, so ids above the
    highest stored one are free; an id drawn for a write that never commits is simply not used.
    (A lake draws them from a sequence in its catalog instead: many writers.)"""

    def __init__(self, first: int) -> None:
        self._next = first
        self._lock = threading.Lock()

    def take(self) -> int:
        with self._lock:
            got, self._next = self._next, self._next + 1
            return got


def _duckdb_header(path: Path) -> bool:
    """Whether ``path`` is missing, empty, or starts like a DuckDB database file (the magic
    ``DUCK`` after the 8-byte checksum of its first block)."""
    try:
        with path.open("rb") as f:
            head = f.read(12)
    except (FileNotFoundError, IsADirectoryError):
        return True  # nothing there yet, or DuckDB says what is wrong
    except OSError:
        return True  # unreadable: DuckDB's own error names it
    return len(head) < 12 or head[8:12] == b"DUCK"


class Warehouse(TableWrites):
    """One DuckDB file: read-write for a pull (one process at a time), read-only for queries.

    Use as a context manager; :meth:`transaction` groups writes so that data and the state that
    describes it commit together. :class:`swansync.warehouse.lake.LakeWarehouse` offers the same
    methods on a DuckLake lake (many writers).
    """

    shared = False  # True where several processes write at once (a lake)

    def __init__(self, path: Path | str, *, read_only: bool = False, create: bool = True) -> None:
        self.path = Path(path)
        self.read_only = read_only
        if (read_only or not create) and not self.path.exists():
            raise ConfigError(
                f"warehouse {str(self.path)!r} does not exist yet: run `swansync pull` first"
            )
        if not read_only and self.path.parent and not self.path.parent.exists():
            raise ConfigError(
                f"folder {str(self.path.parent)!r} for the warehouse does not exist: create it "
                "or give another --db path"
            )
        if not _duckdb_header(self.path):
            # Checked before DuckDB sees it: DuckDB opens a SQLite file through an extension it
            # would try to download.
            raise ConfigError(
                f"{str(self.path)!r} is not a DuckDB database (so not a swansync "
                "warehouse): give another --db path"
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
            if "not a valid DuckDB database" in msg:  # a text file, another format: refused
                raise ConfigError(
                    f"{str(self.path)!r} is not a DuckDB database (so not a swansync "
                    "warehouse): give another --db path"
                ) from e
            raise WarehouseError(f"cannot open warehouse {str(self.path)!r}: {msg}") from e
        except duckdb.Error as e:
            raise WarehouseError(f"cannot open warehouse {str(self.path)!r}: {e}") from e
        self.con.execute("SET TimeZone = 'UTC'")
        # DuckDB draws a progress bar on stdout for queries over 2 s (a big console's insert,
        # a checkpoint): it would corrupt `--json` output and logs.
        self.con.execute("SET enable_progress_bar = false")
        self._in_txn = False
        self._columns_cache: dict[str, list[str]] = {}

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> Self:
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

    @contextmanager
    def memory_capped(self, limit: str = PULL_MEMORY_LIMIT) -> Iterator[None]:
        """Cap DuckDB's memory inside the block: by default its buffer pool keeps every block
        written (up to 80 % of RAM), so a pull's memory would grow with the file it writes; a
        pull writes bounded batches, so a small pool only evicts cached blocks."""
        self.con.execute(f"SET memory_limit = '{limit}'")
        try:
            yield
        finally:
            self.con.execute("RESET memory_limit")

    def describe(self) -> str:
        """The warehouse's name for messages."""
        return str(self.path)

    def reader_lockdown(self) -> list[str]:
        """Settings that keep a user's read-only query from reaching anything else."""
        return ["SET enable_external_access = false"]

    # -- schema ----------------------------------------------------------------------------

    def _exists(self, qualified: str) -> bool:
        schema, name = _split(qualified)
        row = self.con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = ? AND table_name = ?",
            [schema, name],
        ).fetchone()
        return bool(row and row[0])

    def _ledger(self) -> str | None:
        """Where the migration ledger is, or None for a database swansync never wrote."""
        for ledger in (_LEDGER, _LEGACY_LEDGER):
            if self._exists(ledger):
                return ledger
        return None

    def check_ours(self) -> None:
        """Refuse another application's database: a swansync warehouse has its ledger, or is
        empty (a new warehouse)."""
        if self._ledger() is not None:
            return
        rows = self.con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
            "UNION ALL SELECT view_name FROM duckdb_views() "
            "WHERE database_name = current_database() AND NOT internal ORDER BY 1"
        ).fetchall()
        if rows:
            names = ", ".join(str(r[0]) for r in rows[:5]) + (", ..." if len(rows) > 5 else "")
            raise ConfigError(
                f"{str(self.path)!r} is not a swansync warehouse (it holds {names} of another "
                "application): give --db a new file or an existing swansync warehouse"
            )

    def migrate(self, directory: Path | None = None) -> list[str]:
        """Apply the schema migrations not applied yet, in order; returns their names.

        Refuses a database that is not a swansync warehouse (:meth:`check_ours`) before writing.
        """
        directory = directory or sql_dir() / "schema"
        self.check_ours()
        if self._exists(f"main.{SNAPSHOT_TABLE}"):
            raise ConfigError(
                f"{str(self.path)!r} is a serving copy (a read-only snapshot for BI tools), not "
                "the warehouse: give --db the warehouse it was published from"
            )
        self._columns_cache.clear()
        if self._ledger() is None:  # a new warehouse starts where 0.1 did; 002 moves the ledger
            self.con.execute(
                f"CREATE TABLE {_LEGACY_LEDGER} (version INTEGER PRIMARY KEY, "
                "name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
            )
        ledger = self._ledger() or _LEGACY_LEDGER
        applied = {int(r[0]) for r in self.con.execute(f"SELECT version FROM {ledger}").fetchall()}
        done: list[str] = []
        for version, name, path in _migrations(directory):
            if version in applied:
                continue
            with self.transaction():
                self.con.execute(path.read_text(encoding="utf-8"))
                self.con.execute(
                    f"INSERT INTO {self._ledger() or _LEGACY_LEDGER} VALUES (?, ?, ?)",
                    [version, name, datetime.now(UTC)],
                )
            log.info("applied migration %s", name)
            done.append(name)
        return done

    def require_current(self, directory: Path | None = None) -> None:
        """Refuse to read a warehouse whose schema is older than this release's (a read-only
        connection cannot upgrade it; the next pull does)."""
        latest = max((v for v, _, _ in _migrations(directory or sql_dir() / "schema")), default=0)
        if self.schema_version() < latest:
            raise ConfigError(
                f"warehouse {str(self.path)!r} was written by an older swansync: run "
                "`swansync pull` (or `swansync views apply`) once to upgrade it in place"
            )

    def schema_version(self) -> int:
        ledger = self._ledger()
        if ledger is None:
            return 0
        row = self.con.execute(f"SELECT max(version) FROM {ledger}").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    # -- transactions ----------------------------------------------------------------------

    @contextmanager
    def transaction(self, target: tuple[str, str] | None = None) -> Iterator[Warehouse]:
        """BEGIN ... COMMIT, or ROLLBACK when the block raises. Not reentrant.

        ``target`` (source, project) names whose rows the block writes; a lake orders and
        fences the writes of one target with it, a file has one writer and needs nothing."""
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

    @contextmanager
    def target_locks(
        self, source: str, projects: Sequence[str], stop: threading.Event
    ) -> Iterator[list[str]]:
        """Hold the right to pull ``projects`` of ``source``; yields those held (on a file, all:
        the file's own lock keeps other writers out)."""
        yield list(projects)

    def ids(self, table: str, column: str) -> IdSource:
        """New ids for ``table.column``."""
        row = self.con.execute(
            f"SELECT coalesce(max({_q(column)}), 0) FROM {_qt(table)}"
        ).fetchone()
        return IdSource(int(row[0]) + 1 if row else 1)

    def views_current(self) -> bool:
        from swansync.warehouse.views import views_current

        return views_current(self.con)

    def apply_views(self) -> list[str]:
        from swansync.warehouse.views import apply_views

        return apply_views(self.con)

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
            row = self.con.execute(f"SELECT count(*) FROM {_qt(t)}").fetchone()
            out[t] = int(row[0]) if row else 0
        return out


def interrupted(error: BaseException) -> bool:
    """Whether ``error`` is an interrupt rather than a failure: a KeyboardInterrupt (Ctrl-C, the
    CLI's second signal), or DuckDB's report of one that landed in a query. DuckDB's Python
    binding runs the signal handler while a query executes, drops the KeyboardInterrupt it raises
    and stops the query with ``RuntimeError('Query interrupted')``; an interrupted connection
    (``interrupt()``) raises ``duckdb.InterruptException``. Errors raised from one count too,
    and errors raised while one unwound (a rollback that failed on the way out: the interrupt
    is their context)."""
    todo: list[BaseException] = [error]
    for _ in range(16):  # a short chain of `raise ... from` and of errors during unwinding
        if not todo:
            return False
        seen = todo.pop()
        if isinstance(seen, KeyboardInterrupt | duckdb.InterruptException):
            return True
        if type(seen) is RuntimeError and str(seen) == _QUERY_INTERRUPTED:
            return True
        todo += [e for e in (seen.__cause__, seen.__context__) if e is not None]
    return False


_QUERY_INTERRUPTED = "Query interrupted"  # duckdb's pyconnection: PyErr_CheckSignals() != 0


def open_warehouse(
    db: Path | str,
    *,
    data_path: str | None = None,
    read_only: bool = False,
    create: bool = True,
    env: Mapping[str, str] | None = None,
) -> Warehouse:
    """The warehouse ``db`` names: a DuckDB file, or a DuckLake lake (``ducklake:postgres:...``,
    whose Parquet files go to ``data_path``)."""
    if isinstance(db, str) and db.startswith("ducklake:"):
        from swansync.warehouse.lake import LakeWarehouse

        return LakeWarehouse(db, data_path=data_path, read_only=read_only, env=env)
    if data_path:
        raise ConfigError("data_path is for a DuckLake warehouse (--db ducklake:postgres:...)")
    return Warehouse(db, read_only=read_only, create=create)


__all__ = ["INTERNAL", "IdSource", "Warehouse", "interrupted", "open_warehouse", "sql_dir"]

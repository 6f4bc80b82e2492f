"""A DuckLake lake as a swansync warehouse: the same methods as the file warehouse, shaped for
many concurrent writers (docs/ducklake.md).

* Every write appends (:mod:`.tables`); contract names are views.
* A write transaction of target P (one ``(source, project)``) replaces the one row of P's fence
  table first, so two overlapping write transactions of P conflict and the later commit is
  rejected whole (F2, F15); transactions of different targets never conflict logically.
* A rejected commit is redone from the transaction's journal (its write operations, which read
  the stored rows again inside the new transaction), with backoff, up to :data:`TRIES` times --
  but only when P's fence shows that no other writer committed to P meanwhile; otherwise the
  target fails for this pull and the next pull plans again from the bookmarks (nothing
  half-written exists).
* Versions (``_v``) and new ids come from a PostgreSQL sequence in the catalog database.
* One worker pulls a target at a time: a transaction-scoped advisory lock per target, held on a
  connection of its own for the whole pull of the target (F12); the fence keeps the lake exact
  even when that lock is lost.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from swansync.errors import ConfigError, WarehouseError
from swansync.warehouse import Warehouse, _migrations, sql_dir
from swansync.warehouse.extensions import load_extension
from swansync.warehouse.lake import tables as T
from swansync.warehouse.lake.locks import PG, LakeLocks
from swansync.warehouse.lake.pulls import LakePulls
from swansync.warehouse.lake.transactions import SEQUENCE, LakeTransactions, fence_name
from swansync.warehouse.lake.uri import attach_sql, literal, parse, s3_secret_sql
from swansync.warehouse.lake.writes import LakeWrites

log = logging.getLogger(__name__)

ALIAS = "lake"
LEDGER = "_swansync.migrations"
DEFAULT_LOCK_WAIT = 600.0  # seconds a pull waits for a target another worker is pulling
_LAKE_WHEELS = (
    "pip install duckdb==1.5.5 duckdb-extension-ducklake==1.5.5 "
    "duckdb-extension-postgres-scanner==1.5.5 duckdb-extension-httpfs==1.5.5 "
    "(or `make lake-env`), or let DuckDB reach its extension repository"
)


def lake_sql_dir() -> Path:
    return sql_dir() / "lake"


class LakeWarehouse(LakeWrites, LakeTransactions, LakePulls, LakeLocks, Warehouse):
    """A DuckLake lake with a PostgreSQL catalog, attached as ``lake`` in an in-memory DuckDB."""

    shared = True

    def __init__(
        self,
        uri: str,
        *,
        data_path: str | None = None,
        read_only: bool = False,
        env: Mapping[str, str] | None = None,
        lock_wait: float = DEFAULT_LOCK_WAIT,
    ) -> None:
        env = os.environ if env is None else env
        self.address = parse(uri, data_path)
        self.path = Path(self.address.uri)  # for messages of inherited code; never opened
        self.read_only = read_only
        self.lock_wait = lock_wait
        self.conflicts = 0  # commits redone in this process (pull summaries read it)
        self._in_txn = False
        self._columns_cache: dict[str, list[str]] = {}
        self._journal: list[Callable[[], None]] = []
        self._base = 0
        self._ops = 0
        self._fence_seq: int | None = None
        self._fences: set[str] = set()
        self._id_lock = threading.Lock()
        self._alive: list[duckdb.DuckDBPyConnection] = []  # liveness locks of our pulls
        self.con = duckdb.connect(
            config={"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"}
        )
        try:
            self._open(env)
        except BaseException:
            self.con.close()
            raise
        self._id_con = None if read_only else self.con.cursor()

    def _open(self, env: Mapping[str, str]) -> None:
        self.con.execute("SET TimeZone = 'UTC'")
        self.con.execute("SET enable_progress_bar = false")
        secret = s3_secret_sql(env)
        s3 = (self.address.data_path or "").startswith(("s3://", "r2://", "gcs://", "gs://"))
        if s3 and secret is None:
            raise ConfigError(
                f"data_path {self.address.data_path!r} needs AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY in the environment"
            )
        needed = ["ducklake", "postgres"] + (["httpfs"] if secret else [])
        for name in needed:
            try:
                load_extension(self.con, name)
            except WarehouseError as e:
                raise ConfigError(
                    f"a DuckLake warehouse needs DuckDB's {name} extension, which DuckDB "
                    f"{duckdb.__version__} cannot load here: {_LAKE_WHEELS}"
                ) from e
        if secret:
            self.con.execute(secret)
        if not self.read_only:
            try:
                self.con.execute(f"ATTACH {literal(self.address.dsn)} AS {PG} (TYPE postgres)")
            except duckdb.Error as e:
                raise WarehouseError(
                    f"cannot open the catalog database of {self.address.uri!r}: "
                    f"{str(e).strip().splitlines()[0]}"
                ) from e
        try:
            if self.read_only:
                self.con.execute(attach_sql(self.address, ALIAS, read_only=True))
            else:
                # The first ATTACH of a new lake creates its catalog tables: two workers doing
                # that at once collide ("relation ducklake_metadata already exists").
                with self._global_lock("attach"):
                    self.con.execute(attach_sql(self.address, ALIAS))
        except duckdb.Error as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            hint = ""
            if "DATA_PATH" in str(e).upper() and not self.address.data_path:
                hint = ": a new lake needs --data-path (a folder or s3://bucket/prefix/)"
            raise WarehouseError(f"cannot open lake {self.address.uri!r}: {first}{hint}") from e
        self.con.execute(f"USE {ALIAS}")

    def close(self) -> None:
        self.release_pulls()
        if self._id_con is not None:
            self._id_con.close()
        self.con.close()

    def describe(self) -> str:
        return self.address.uri

    def reader_lockdown(self) -> list[str]:
        """A lake reads its Parquet files: only its data path stays reachable."""
        row = self.con.execute(
            f"SELECT value FROM __ducklake_metadata_{ALIAS}.ducklake_metadata "
            "WHERE key = 'data_path'"
        ).fetchone()
        if not row or not row[0]:
            return []
        path = str(row[0])
        return [
            f"SET allowed_directories = [{literal(path)}]",
            "SET enable_external_access = false",
        ]

    # -- schema ----------------------------------------------------------------------------

    def _exists(self, qualified: str) -> bool:
        schema, _, name = qualified.partition(".")
        row = self.con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = ? "
            "AND schema_name = ? AND table_name = ?",
            [ALIAS, schema, name],
        ).fetchone()
        return bool(row and row[0])

    def check_ours(self) -> None:
        # One statement, so one snapshot: checking the ledger and then listing the tables could
        # see a migration another worker committed in between (tables, and "no ledger").
        found = self.con.execute(
            "SELECT schema_name || '.' || table_name, table_name FROM duckdb_tables() "
            "WHERE database_name = ? UNION ALL SELECT schema_name || '.' || view_name, view_name "
            "FROM duckdb_views() WHERE database_name = ? AND NOT internal ORDER BY 2",
            [ALIAS, ALIAS],
        ).fetchall()
        if any(r[0] == LEDGER for r in found):
            return
        rows = [(r[1],) for r in found]
        if rows:
            names = ", ".join(str(r[0]) for r in rows[:5]) + (", ..." if len(rows) > 5 else "")
            raise ConfigError(
                f"lake {self.address.uri!r} is not a swansync warehouse (it holds {names} of "
                "another application): give --db a new catalog database"
            )

    def schema_version(self) -> int:
        if not self._exists(LEDGER):
            return 0
        row = self.con.execute(f"SELECT max(version) FROM {LEDGER}").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def require_current(self, directory: Path | None = None) -> None:
        latest = max((v for v, _, _ in _migrations(directory or lake_sql_dir())), default=0)
        if self.schema_version() < latest:
            raise ConfigError(
                f"lake {self.address.uri!r} was written by an older swansync: run "
                "`swansync pull` once to upgrade it"
            )

    def migrate(self, directory: Path | None = None) -> list[str]:
        """Apply the lake's migrations not applied yet, one migrator at a time (a PostgreSQL
        advisory lock): every worker checks, only one writes DDL (F5)."""
        if self.read_only:
            raise WarehouseError("cannot migrate a lake opened read-only")
        directory = directory or lake_sql_dir()
        self.check_ours()
        wanted = _migrations(directory)
        if self._exists(LEDGER) and self.schema_version() >= max(v for v, _, _ in wanted):
            return []
        done: list[str] = []
        with self._global_lock("migrate"):
            self.con.execute(
                f"CALL postgres_execute({literal(PG)}, "
                f"{literal(f'CREATE SEQUENCE IF NOT EXISTS {SEQUENCE}')})"
            )
            for version, name, path in wanted:
                applied = self.schema_version() if self._exists(LEDGER) else 0
                if version <= applied:
                    continue
                self._ddl(path.read_text(encoding="utf-8"), version, name)
                log.info("applied lake migration %s", name)
                done.append(name)
        self._columns_cache.clear()
        return done

    def _ddl(self, script: str, version: int, name: str) -> None:
        def statements() -> None:
            self.con.execute(script)
            if version == 1:
                for sql in T.all_views():
                    self.con.execute(sql)
            self.con.execute(
                f"INSERT INTO {LEDGER} VALUES (?, ?, ?)", [version, name, datetime.now(UTC)]
            )

        self.run_ddl(f"migration {name}", statements)

    # -- views -----------------------------------------------------------------------------

    def apply_views(self) -> list[str]:
        from swansync.warehouse.lake.views import apply_lake_views

        return apply_lake_views(self)


__all__ = ["ALIAS", "DEFAULT_LOCK_WAIT", "LakeWarehouse", "fence_name", "lake_sql_dir"]

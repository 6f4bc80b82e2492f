"""The serving copy: a complete, read-only snapshot of the warehouse for BI tools and readers.

DuckDB lets one process write a file *or* many processes read it, never both. Dashboards
therefore never open the warehouse itself: after each successful pull, :func:`publish_snapshot`
writes a full copy (tables, views, macros) to a temporary file beside the serving path, checks
that it opens and that every view binds, fsyncs it and renames it onto the serving path.

* Readers that connect afterwards open the new file; readers already connected keep the old
  inode (still a complete, consistent copy) until they reconnect. Nobody ever sees a lock error
  or a half-published copy, because the serving path only ever names a finished file.
* The copy is written with a pinned storage version (``v1.0.0`` by default), so the DuckDB 1.x
  engines inside today's BI drivers (duckdb-engine in Superset, Metabase's and Grafana's DuckDB
  plugins) can open it even though the warehouse itself is written by DuckDB 2.x.
* A small table ``_swansync_snapshot`` inside the copy says when it was published, which
  ``sync_log`` row it reflects, and what it was built from (the data version, the view files'
  hash, the schema version); :func:`snapshot_info` reads it, and :func:`snapshot_current` says
  whether a copy already shows the warehouse as it is (then a pull need not publish again).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import duckdb

from swansync.errors import ConfigError, WarehouseError
from swansync.warehouse import SNAPSHOT_TABLE
from swansync.warehouse.sqlnames import _q

log = logging.getLogger(__name__)

SERVING = "_swansync.serving"  # in the warehouse: what each serving copy was built from
_SERVING_KEY = ("_swansync", "serving")
DEFAULT_STORAGE_VERSION = "v1.0.0"
_STORAGE_VERSION = re.compile(r"^v\d+\.\d+\.\d+$")


def _qs(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _fsync_path(path: Path, *, directory: bool = False) -> None:
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0)
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_quietly(*paths: Path) -> None:
    for p in paths:
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def _latest_sync_id(con: duckdb.DuckDBPyConnection, catalog: str) -> int | None:
    try:
        row = con.execute(f"SELECT max(id) FROM {_q(catalog)}._swansync.sync_log").fetchone()
    except duckdb.CatalogException:
        return None
    return int(row[0]) if row and row[0] is not None else None


def _user_objects(
    con: duckdb.DuckDBPyConnection, catalog: str, kind: Literal["table", "view"]
) -> list[tuple[str, str]]:
    """(schema, name) of every non-internal table or view of ``catalog``, sorted."""
    rows = con.execute(
        f"SELECT schema_name, {kind}_name FROM duckdb_{kind}s() "
        "WHERE database_name = ? AND NOT internal ORDER BY 1, 2",
        [catalog],
    ).fetchall()
    return [(str(s), str(n)) for s, n in rows]


def _verify(path: Path, views: list[tuple[str, str]], tables: list[tuple[str, str]]) -> None:
    """Open the finished copy on its own (as a reader will) and check every object is there and
    every view binds, so a view that referenced the warehouse by name cannot slip through."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as e:
        raise WarehouseError(f"serving copy {str(path)!r} does not open: {e}") from e
    try:
        have_tables = set(_user_objects(con, _current_catalog(con), "table"))
        missing = [f"{s}.{t}" for s, t in tables if (s, t) not in have_tables]
        if missing:
            raise WarehouseError(f"serving copy lacks table(s) {', '.join(missing)}")
        for schema, view in views:
            try:
                con.execute(f"SELECT * FROM {_q(schema)}.{_q(view)} LIMIT 0").fetchall()
            except duckdb.Error as e:
                raise WarehouseError(
                    f"view {schema}.{view} does not work in the serving copy ({e}); "
                    "views must name tables without a database prefix"
                ) from e
    finally:
        con.close()


def _versions(con: duckdb.DuckDBPyConnection, catalog: str) -> tuple[int, str | None, int]:
    """(data version, view files' hash, schema version) of the warehouse behind ``con``."""
    from swansync.warehouse.views import applied_state, data_version

    applied = applied_state(con)
    try:
        row = con.execute(f"SELECT max(version) FROM {_q(catalog)}._swansync.migrations").fetchone()
    except duckdb.CatalogException:
        row = None
    schema = int(row[0]) if row and row[0] is not None else 0
    return data_version(con), (applied[0] if applied else None), schema


def _current_catalog(con: duckdb.DuckDBPyConnection) -> str:
    row = con.execute("SELECT current_database()").fetchone()
    if not row or row[0] is None:
        raise WarehouseError("cannot tell which database the connection is using")
    return str(row[0])


_DUCKDB_MAGIC = b"DUCK"  # bytes 8..11 of every DuckDB database file


def check_serving_path(dest: Path, warehouse: Path | None = None) -> None:
    """The checks of :func:`check_destination` that need neither the serving copy's content nor
    the warehouse's record: the folder exists, ``dest`` is not the warehouse (at ``warehouse``)
    itself, and what is there is a DuckDB file. Raises :class:`ConfigError`."""
    dest = Path(dest)
    if not dest.parent.is_dir():
        raise ConfigError(f"folder {str(dest.parent)!r} for the serving copy does not exist")
    if warehouse is not None and (
        dest.resolve() == Path(warehouse).resolve()
        or (dest.exists() and Path(warehouse).exists() and dest.samefile(warehouse))
    ):
        raise ConfigError(
            f"the serving copy {str(dest)!r} is the warehouse itself: give `serving` another file"
        )
    if not dest.exists():
        return
    if not dest.is_file():
        raise ConfigError(f"the serving copy {str(dest)!r} is not a file")
    with dest.open("rb") as f:
        head = f.read(12)
    if dest.stat().st_size and head[8:12] != _DUCKDB_MAGIC:
        raise ConfigError(
            f"{str(dest)!r} is not a swansync serving copy (not a DuckDB file): swansync does not "
            "replace it; remove it or give `serving` another file"
        )


def check_destination(
    dest: Path, warehouse: Path | None = None, *, con: duckdb.DuckDBPyConnection | None = None
) -> None:
    """Refuse a serving path that publishing would wrongly replace, before anything is written:
    its folder is missing, it is the warehouse itself (at ``warehouse``), or it holds something
    other than a serving copy (a text file, another application's database). Raises
    :class:`ConfigError`.

    A copy the warehouse open as ``con`` records as its own publication is not opened: readers
    in this process may hold it with other settings. (The warehouse is never opened here: a
    pull checks on its own connection.)"""
    dest = Path(dest)
    check_serving_path(dest, warehouse)
    if not dest.exists() or not dest.stat().st_size:
        return
    if con is not None and _recorded(con, dest):
        return
    try:
        con = duckdb.connect(str(dest), read_only=True)
    except duckdb.Error as e:
        if "different configuration" in str(e):
            return  # this process reads it already: a copy it opened as a reader
        raise ConfigError(f"cannot check the serving copy {str(dest)!r}: {e}") from e
    try:
        names = [
            str(r[0])
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
                "AND schema_name = 'main' ORDER BY 1"
            ).fetchall()
        ]
    finally:
        con.close()
    if SNAPSHOT_TABLE not in names:
        held = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "") or "no tables"
        raise ConfigError(
            f"{str(dest)!r} is not a swansync serving copy (it holds {held}): swansync does not "
            "replace it; remove it or give `serving` another file"
        )


def _recorded(con: duckdb.DuckDBPyConnection, dest: Path) -> bool:
    try:
        rows = con.execute(
            f"SELECT file_identity FROM {SERVING} WHERE path = ?", [str(dest.resolve())]
        ).fetchall()
    except duckdb.Error:
        return False
    return bool(rows) and rows[0][0] == _identity(dest)


def publish_snapshot(
    con: duckdb.DuckDBPyConnection,
    dest: Path,
    *,
    storage_version: str = DEFAULT_STORAGE_VERSION,
    sync_id: int | None = None,
) -> Path:
    """Publish a complete copy of the warehouse behind ``con`` at ``dest``, atomically.

    ``storage_version`` pins the on-disk format (``v1.0.0`` opens in every DuckDB >= 1.0).
    ``sync_id`` is the ``sync_log`` id the copy reflects (default: the newest one).
    Must not be called inside an open transaction on ``con``. Returns ``dest``.
    """
    if not _STORAGE_VERSION.match(storage_version):
        raise WarehouseError(
            f"storage version {storage_version!r} must look like v1.0.0 (DuckDB's STORAGE_VERSION)"
        )
    dest = Path(dest)
    folder = dest.parent
    check_destination(dest, con=con)
    token = uuid.uuid4().hex[:12]
    tmp = folder / f".{dest.name}.{token}.tmp"
    tmp_wal = tmp.with_name(tmp.name + ".wal")
    alias = f"_swansync_serving_{token}"
    started = time.perf_counter()
    attached = False
    try:
        source = _current_catalog(con)
        # The record of publications is the warehouse's own: a copy does not carry it.
        tables = [t for t in _user_objects(con, source, "table") if t != _SERVING_KEY]
        views = _user_objects(con, source, "view")
        if sync_id is None:
            sync_id = _latest_sync_id(con, source)
        data, views_hash, schema = _versions(con, source)
        con.execute(
            f"ATTACH {_qs(str(tmp))} AS {_q(alias)} (STORAGE_VERSION {_qs(storage_version)})"
        )
        attached = True
        con.execute(f"COPY FROM DATABASE {_q(source)} TO {_q(alias)}")
        con.execute(f"DROP TABLE IF EXISTS {_q(alias)}.{SERVING}")
        con.execute(
            f"CREATE TABLE {_q(alias)}.main.{SNAPSHOT_TABLE} ("
            "published_at TIMESTAMPTZ NOT NULL, sync_id BIGINT, storage_version VARCHAR NOT NULL, "
            "duckdb_version VARCHAR NOT NULL, tables BIGINT NOT NULL, views BIGINT NOT NULL, "
            "data_version BIGINT, views_hash VARCHAR, schema_version BIGINT)"
        )
        con.execute(
            f"INSERT INTO {_q(alias)}.main.{SNAPSHOT_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                datetime.now(UTC),
                sync_id,
                storage_version,
                duckdb.__version__,
                len(tables),
                len(views),
                data,
                views_hash,
                schema,
            ],
        )
        con.execute(f"CHECKPOINT {_q(alias)}")
        con.execute(f"DETACH {_q(alias)}")
        attached = False
        if tmp_wal.exists():  # everything was checkpointed; a leftover WAL would be replayed
            raise WarehouseError(f"serving copy {str(tmp)!r} still has a write-ahead log")
        _verify(tmp, views, tables)
        _fsync_path(tmp)
        os.replace(tmp, dest)
        _fsync_path(folder, directory=True)
        state = _state(con, storage_version)
        if state is not None:
            _remember(con, dest, state)
    except duckdb.Error as e:
        raise WarehouseError(f"cannot publish the serving copy {str(dest)!r}: {e}") from e
    finally:
        if attached:
            with contextlib.suppress(duckdb.Error):
                con.execute(f"DETACH {_q(alias)}")
        _remove_quietly(tmp, tmp_wal)
    log.info(
        "published serving copy %s (%d tables, %d views, sync %s) in %.2fs",
        dest,
        len(tables),
        len(views),
        sync_id,
        time.perf_counter() - started,
    )
    return dest


def snapshot_info(dest: Path) -> dict[str, Any]:
    """What :func:`publish_snapshot` recorded in the copy at ``dest``: ``published_at``,
    ``sync_id``, ``storage_version``, ``duckdb_version``, ``tables``, ``views``."""
    dest = Path(dest)
    if not dest.is_file():
        raise WarehouseError(f"serving copy {str(dest)!r} does not exist yet")
    try:
        con = duckdb.connect(str(dest), read_only=True)
    except duckdb.Error as e:
        raise WarehouseError(f"cannot open serving copy {str(dest)!r}: {e}") from e
    try:
        cur = con.execute(f"SELECT * FROM {SNAPSHOT_TABLE}")
        names = [d[0] for d in cur.description or []]
        row = cur.fetchone()
    except duckdb.Error as e:
        raise WarehouseError(f"{str(dest)!r} is not a swansync serving copy: {e}") from e
    finally:
        con.close()
    if row is None:
        raise WarehouseError(f"serving copy {str(dest)!r} has no publication record")
    return dict(zip(names, row, strict=True))


def _identity(path: Path) -> str:
    st = path.stat()
    return f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"


def _state(con: duckdb.DuckDBPyConnection, storage_version: str) -> tuple[Any, ...] | None:
    """What a copy published now would be built from; None when the warehouse keeps no record
    (not migrated) or cannot tell its data version."""
    data, views_hash, schema = _versions(con, _current_catalog(con))
    if data < 0:
        return None
    return (data, views_hash, schema, storage_version)


def _remember(con: duckdb.DuckDBPyConnection, dest: Path, state: tuple[Any, ...]) -> None:
    with contextlib.suppress(duckdb.CatalogException):  # no table: nothing to remember
        con.execute(
            f"INSERT OR REPLACE INTO {SERVING} VALUES (?, ?, ?, ?, ?, ?, ?)",
            [str(dest.resolve()), *state, _identity(dest), datetime.now(UTC)],
        )


def snapshot_current(
    con: duckdb.DuckDBPyConnection,
    dest: Path,
    *,
    storage_version: str = DEFAULT_STORAGE_VERSION,
) -> bool:
    """True when the copy at ``dest`` was published from this warehouse as it is now (same data
    version, view files, schema and storage version) and the file is still the one written then.
    Reads only the warehouse and the file's metadata: the copy is not opened (a reader in this
    process may hold it with other settings)."""
    dest = Path(dest)
    state = _state(con, storage_version)
    if state is None or state[1] is None or not dest.is_file():
        return False
    try:
        rows = con.execute(
            f"SELECT data_version, views_hash, schema_version, storage_version, file_identity "
            f"FROM {SERVING} WHERE path = ?",
            [str(dest.resolve())],
        ).fetchall()
    except duckdb.CatalogException:
        return False
    return bool(rows) and rows[0][:4] == state and rows[0][4] == _identity(dest)


__all__ = [
    "DEFAULT_STORAGE_VERSION",
    "SNAPSHOT_TABLE",
    "check_destination",
    "check_serving_path",
    "publish_snapshot",
    "snapshot_current",
    "snapshot_info",
]

"""The serving copy of a lake: a DuckDB file with the lake's contract tables and the views.

A lake is read directly by BI tools that load the ducklake extension; a tool that cannot (or a
laptop without the catalog's network) reads a serving copy instead. :func:`publish_lake_snapshot`
copies every contract table as the lake shows it in ONE snapshot (one read transaction, so never
half of a pull), builds the views and macros of ``sql/views`` on the copy (its ENUM column lists
from the copy's own data), records the publication in ``_swansync_snapshot`` as the file
warehouse's publisher does, checks that the copy opens read-only and every view binds, and
renames it onto the serving path. Points are copied in their narrow form, as a warehouse file
holds them: ``_swansync.series`` (the current series) and ``_swansync.points`` (their points),
with ``metrics`` and ``metric_keys`` as views over them (the analysis views read points by series
id). The rest of swansync's internal state (versions, fences, bookmarks) is not copied: readers
need the contract, not the machinery.

Several workers may publish the same path: each writes its own temporary file and the rename is
atomic, so the path always names one complete copy (the last one renamed).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from swansync.errors import WarehouseError
from swansync.warehouse import SNAPSHOT_TABLE
from swansync.warehouse import views as file_views
from swansync.warehouse.snapshot import (
    DEFAULT_STORAGE_VERSION,
    _fsync_path,
    _qs,
    _remove_quietly,
    _user_objects,
    _verify,
    check_destination,
)
from swansync.warehouse.sqlnames import _q

if TYPE_CHECKING:
    from swansync.warehouse.lake.warehouse import LakeWarehouse

log = logging.getLogger(__name__)


def _contract(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    """The lake's contract tables: what its ``main`` schema shows besides the analysis views."""
    analysis = {v.name for v in file_views.list_views()}
    shown = _user_objects(con, catalog, "view") + _user_objects(con, catalog, "table")
    return sorted({n for s, n in shown if s == "main" and n not in analysis})


# Contract objects a copy holds as views over the narrow tables (as a warehouse file does).
NARROW_VIEWS = {
    "metric_keys": "SELECT source, project, run_id, key, kind, class, complete, last_step, "
    "points, synced_at FROM _swansync.series",
    "metrics": "SELECT s.source, s.project, s.run_id, s.key, p.step, p.value, p.ts "
    "FROM _swansync.points AS p JOIN _swansync.series AS s USING (series_id)",
}
NARROW_TABLES = [("_swansync", "series"), ("_swansync", "points")]
SERIES_COLUMNS = (
    "source, project, run_id, key, series_id, kind, class, complete, last_step, points, synced_at"
)


def _copy_narrow(con: duckdb.DuckDBPyConnection, alias: str, lake: str) -> None:
    """The current series and their points (a replaced generation's points are left behind)."""
    con.execute(f"CREATE SCHEMA {_q(alias)}._swansync")
    con.execute(
        f"CREATE TABLE {_q(alias)}._swansync.series AS "
        f"SELECT {SERIES_COLUMNS} FROM {_q(lake)}._swansync.series"
    )
    con.execute(
        f"CREATE TABLE {_q(alias)}._swansync.points AS "
        f"SELECT p.series_id, p.step, p.value, p.ts FROM {_q(lake)}._swansync.points AS p "
        f"SEMI JOIN {_q(lake)}._swansync.series AS s ON s.series_id = p.series_id"
    )


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> int | None:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row and row[0] is not None else None


def publish_lake_snapshot(
    wh: LakeWarehouse, dest: Path, *, storage_version: str = DEFAULT_STORAGE_VERSION
) -> Path:
    """Publish a serving copy of the lake behind ``wh`` at ``dest``, atomically. Call it
    outside any open transaction on ``wh``. Returns ``dest``."""
    from swansync.warehouse.lake.warehouse import ALIAS

    dest = Path(dest)
    check_destination(dest)
    token = uuid.uuid4().hex[:12]
    tmp = dest.parent / f".{dest.name}.{token}.tmp"
    tmp_wal = tmp.with_name(tmp.name + ".wal")
    alias = f"_swansync_serving_{token}"
    con = wh.con
    started = time.perf_counter()
    attached = False
    try:
        tables = [t for t in _contract(con, ALIAS) if t not in NARROW_VIEWS]
        con.execute(
            f"ATTACH {_qs(str(tmp))} AS {_q(alias)} (STORAGE_VERSION {_qs(storage_version)})"
        )
        attached = True
        con.execute("BEGIN TRANSACTION")  # one snapshot of the lake for every table
        try:
            for name in tables:
                con.execute(
                    f"CREATE TABLE {_q(alias)}.main.{_q(name)} AS "
                    f"SELECT * FROM {_q(ALIAS)}.main.{_q(name)}"
                )
            _copy_narrow(con, alias, ALIAS)
            sync_id = _one(con, f"SELECT max(id) FROM {_q(ALIAS)}._swansync.sync_log")
            schema = _one(con, f"SELECT max(version) FROM {_q(ALIAS)}._swansync.migrations")
            con.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(duckdb.Error):
                con.execute("ROLLBACK")
            raise
        con.execute(f"DETACH {_q(alias)}")
        attached = False
        views = _finish(tmp, sync_id, schema, storage_version, len(tables) + len(NARROW_TABLES))
        if tmp_wal.exists():  # everything was checkpointed; a leftover WAL would be replayed
            raise WarehouseError(f"serving copy {str(tmp)!r} still has a write-ahead log")
        _verify(tmp, views, [("main", n) for n in tables] + NARROW_TABLES)
        _fsync_path(tmp)
        os.replace(tmp, dest)
        _fsync_path(dest.parent, directory=True)
    except duckdb.Error as e:
        raise WarehouseError(f"cannot publish the serving copy {str(dest)!r}: {e}") from e
    finally:
        if attached:
            with contextlib.suppress(duckdb.Error):
                con.execute(f"DETACH {_q(alias)}")
        _remove_quietly(tmp, tmp_wal)
    log.info(
        "published serving copy %s from the lake (%d tables, %d views, sync %s) in %.2fs",
        dest,
        len(tables),
        len(views),
        sync_id,
        time.perf_counter() - started,
    )
    return dest


def _finish(
    tmp: Path, sync_id: int | None, schema: int | None, storage_version: str, tables: int
) -> list[tuple[str, str]]:
    """Build the views on the copy and record the publication; returns the copy's views."""
    con = duckdb.connect(str(tmp))
    try:
        for name, sql in NARROW_VIEWS.items():
            con.execute(f"CREATE VIEW main.{_q(name)} AS {sql}")
        file_views.apply_views(con)
        views = _views(con)
        con.execute(
            f"CREATE TABLE main.{SNAPSHOT_TABLE} ("
            "published_at TIMESTAMPTZ NOT NULL, sync_id BIGINT, storage_version VARCHAR NOT NULL, "
            "duckdb_version VARCHAR NOT NULL, tables BIGINT NOT NULL, views BIGINT NOT NULL, "
            "data_version BIGINT, views_hash VARCHAR, schema_version BIGINT)"
        )
        con.execute(
            f"INSERT INTO main.{SNAPSHOT_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                datetime.now(UTC),
                sync_id,
                storage_version,
                duckdb.__version__,
                tables,
                len(views),
                sync_id,
                file_views.files_hash(),
                schema,
            ],
        )
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return views


def _views(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    row = con.execute("SELECT current_database()").fetchone()
    return _user_objects(con, str(row[0]) if row else "", "view")


__all__ = ["publish_lake_snapshot"]

"""publish_snapshot / snapshot_info: a complete copy, atomically replaced, old readers unharmed."""

from __future__ import annotations

import duckdb
import pytest

from swansync.errors import ConfigError, WarehouseError
from swansync.warehouse import Warehouse
from swansync.warehouse.snapshot import SNAPSHOT_TABLE, publish_snapshot, snapshot_info

from .helpers import add_step, make_ledger


@pytest.fixture
def wh(tmp_path):
    db = tmp_path / "w.duckdb"
    make_ledger(db)
    with Warehouse(db) as w:
        add_step(w, 1)
        yield w


def objects(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    row = con.execute("SELECT current_database()").fetchone()
    assert row is not None
    db = row[0]
    tables = {
        f"{r[0]}.{r[1]}"
        for r in con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() "
            "WHERE database_name = ? AND NOT internal",
            [db],
        ).fetchall()
    }
    views = {
        r[0]
        for r in con.execute(
            "SELECT view_name FROM duckdb_views() WHERE database_name = ? AND NOT internal", [db]
        ).fetchall()
    }
    macros = {
        r[0]
        for r in con.execute(
            "SELECT function_name FROM duckdb_functions() WHERE database_name = ? "
            "AND function_type IN ('macro', 'table_macro') AND NOT internal",
            [db],
        ).fetchall()
    }
    return {"tables": tables, "views": views, "macros": macros}


def test_copy_holds_every_table_view_and_macro(tmp_path, wh):
    dest = publish_snapshot(wh.con, tmp_path / "serving.duckdb")
    src = objects(wh.con)
    assert "v_points" in src["views"]
    assert "points_of" in src["macros"]
    with duckdb.connect(str(dest), read_only=True) as con:
        got = objects(con)
        # the warehouse's record of its publications stays behind
        kept = src["tables"] - {"_swansync.serving"}
        assert got["tables"] == kept | {f"main.{SNAPSHOT_TABLE}"}
        assert "_swansync.series" in got["tables"]  # the public metric_keys view reads it
        assert got["views"] == src["views"]
        assert got["macros"] == src["macros"]
        for table in kept:
            q = f"SELECT count(*) FROM {table}"
            assert con.execute(q).fetchone() == wh.con.execute(q).fetchone(), table
        view_q = "SELECT run_id, n, total FROM v_points ORDER BY run_id"
        assert con.execute(view_q).fetchall() == wh.con.execute(view_q).fetchall()
        macro_q = "SELECT count(*), max(step) FROM points_of('r1')"
        assert con.execute(macro_q).fetchone() == (1000, 999)


def test_snapshot_info_names_the_sync_and_storage_version(tmp_path, wh):
    add_step(wh, 2)
    dest = publish_snapshot(wh.con, tmp_path / "serving.duckdb")
    info = snapshot_info(dest)
    assert info["sync_id"] == 2
    assert info["storage_version"] == "v1.0.0"
    assert info["tables"] == len(objects(wh.con)["tables"] - {"_swansync.serving"})
    assert info["views"] == len(objects(wh.con)["views"]) == 3  # v_points, metric_keys, metrics
    assert info["published_at"].tzinfo is not None
    explicit = publish_snapshot(wh.con, dest, sync_id=7)
    assert snapshot_info(explicit)["sync_id"] == 7


def test_file_is_written_in_the_pinned_storage_format(tmp_path, wh):
    dest = publish_snapshot(wh.con, tmp_path / "serving.duckdb")
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{dest}' AS s (READ_ONLY)")
        row = con.execute(
            "SELECT tags FROM duckdb_databases() WHERE database_name = 's'"
        ).fetchone()
    # DuckDB reports the oldest version able to read the file; 1.0.0 opens in every 1.x.
    assert row is not None
    assert "v1.0.0" in str(row[0])


def test_connected_readers_keep_their_copy_new_readers_see_the_new_one(tmp_path, wh):
    dest = tmp_path / "serving.duckdb"
    publish_snapshot(wh.con, dest)
    old_inode = dest.stat().st_ino
    with duckdb.connect(str(dest), read_only=True) as old:
        add_step(wh, 2)
        publish_snapshot(wh.con, dest)
        assert dest.stat().st_ino != old_inode  # replaced by rename, not rewritten in place
        assert old.execute("SELECT count(*) FROM metrics").fetchone() == (1000,)
        assert old.execute(f"SELECT sync_id FROM {SNAPSHOT_TABLE}").fetchone() == (1,)
        # DuckDB shares one open database per path inside a process: while any connection to
        # the old copy lives, a new connect() in this process still gets the old copy. This is
        # why BI pools must recycle all their connections (documented in the README section).
        with duckdb.connect(str(dest), read_only=True) as same_process:
            assert same_process.execute("SELECT count(*) FROM metrics").fetchone() == (1000,)
    with duckdb.connect(str(dest), read_only=True) as new:
        assert new.execute("SELECT count(*) FROM metrics").fetchone() == (2000,)
        assert new.execute("SELECT sum(n) FROM v_points").fetchone() == (2000,)


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("w.duckdb"))


def test_no_temporary_files_are_left_behind(tmp_path, wh):
    for i in range(2, 5):
        add_step(wh, i)
        publish_snapshot(wh.con, tmp_path / "serving.duckdb")
    assert leftovers(tmp_path) == ["serving.duckdb"]


def test_a_view_that_names_the_warehouse_fails_and_keeps_the_old_copy(tmp_path, wh):
    dest = publish_snapshot(wh.con, tmp_path / "serving.duckdb")
    before = dest.stat().st_ino
    # A view over another attached database cannot work in the copy.
    wh.execute("ATTACH ':memory:' AS other")
    wh.execute("CREATE TABLE other.extra AS SELECT 1 AS x")
    wh.execute("CREATE VIEW bad AS SELECT * FROM other.extra")
    with pytest.raises(WarehouseError, match="serving copy"):
        publish_snapshot(wh.con, dest)
    assert dest.stat().st_ino == before
    assert snapshot_info(dest)["sync_id"] == 1
    assert leftovers(tmp_path) == ["serving.duckdb"]
    # The warehouse connection is still usable (the temporary attachment is gone).
    dbs = {r[0] for r in wh.con.execute("SELECT database_name FROM duckdb_databases()").fetchall()}
    assert not any(d.startswith("_swansync_serving") for d in dbs)


def test_bad_arguments_are_clear_errors(tmp_path, wh):
    plain = tmp_path / "plain.duckdb"
    duckdb.connect(str(plain)).close()
    with pytest.raises(WarehouseError, match="storage version"):
        publish_snapshot(wh.con, tmp_path / "s.duckdb", storage_version="latest'; DROP")
    with pytest.raises(ConfigError, match="does not exist"):
        publish_snapshot(wh.con, tmp_path / "nowhere" / "s.duckdb")
    with pytest.raises(ConfigError, match=r"not a swansync serving copy .*no tables"):
        publish_snapshot(wh.con, plain)
    with pytest.raises(WarehouseError, match="does not exist"):
        snapshot_info(tmp_path / "missing.duckdb")
    with pytest.raises(WarehouseError, match="not a swansync serving copy"):
        snapshot_info(plain)

"""Views and the serving copy are rebuilt after a pull only when something changed: data (any
contract row, synced_at aside), the view files or the schema. A pull that changed nothing
leaves both alone; a copy deleted or replaced behind swansync's back is published again."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from swansync.errors import ConfigError
from swansync.sync import pull
from swansync.warehouse import Warehouse
from swansync.warehouse.views import VIEWS_DIR, apply_views, files_hash, views_current
from tests.support.settings import sim_settings
from trackersim.swanlab import SimServer, build_world


def _pull(sim: Any, db: Path, serving: Path) -> tuple[Any, list[str]]:
    phases: list[str] = []

    def progress(event: str, **data: Any) -> None:
        if event == "phase":
            phases.append(data["name"])

    settings = sim_settings(sim, db, apply_views=True, serving=serving)
    summary = pull(settings, progress=progress)
    assert summary.status == "ok", summary.failures
    return summary, phases


def _identity(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_ino, st.st_mtime_ns


@pytest.fixture
def world():
    return build_world("demo", seed=5)


def test_a_pull_that_changed_nothing_rebuilds_nothing(tmp_path, world):
    db, serving = tmp_path / "w.duckdb", tmp_path / "serving.duckdb"
    with SimServer(world, port=0) as sim:
        first, phases = _pull(sim, db, serving)
        assert first.changed and {"views", "publish"} <= set(phases)
        copy = _identity(serving)
        second, phases = _pull(sim, db, serving)
        assert not second.changed
        assert "views" not in phases and "publish" not in phases
        assert _identity(serving) == copy  # the very same file
        # Time moves on: the next pull changes data and rebuilds both.
        for rid in world.runs():
            if world.run(rid).state == "RUNNING":
                world.grow(rid, 5)
        third, phases = _pull(sim, db, serving)
        assert third.changed and {"views", "publish"} <= set(phases)
        assert _identity(serving) != copy
    with Warehouse(db, read_only=True) as wh:
        log = wh.rows("SELECT id, changed FROM _swansync.sync_log ORDER BY id")
    assert log == [(first.id, True), (second.id, False), (third.id, True)]


def test_a_deleted_serving_copy_is_published_again(tmp_path, world):
    db, serving = tmp_path / "w.duckdb", tmp_path / "serving.duckdb"
    with SimServer(world, port=0) as sim:
        _pull(sim, db, serving)
        serving.unlink()
        summary, phases = _pull(sim, db, serving)
    assert not summary.changed
    assert "publish" in phases and "views" not in phases
    assert serving.is_file()


def test_a_copy_replaced_behind_our_back_is_published_again(tmp_path, world):
    db, serving = tmp_path / "w.duckdb", tmp_path / "serving.duckdb"
    with SimServer(world, port=0) as sim:
        _pull(sim, db, serving)
        older = tmp_path / "older.duckdb"
        shutil.copy(serving, older)  # an older copy restored over it (another inode)
        serving.unlink()
        older.rename(serving)
        _, phases = _pull(sim, db, serving)
    assert "publish" in phases


def test_a_copy_replaced_by_something_else_is_refused_not_overwritten(tmp_path, world):
    db, serving = tmp_path / "w.duckdb", tmp_path / "serving.duckdb"
    with SimServer(world, port=0) as sim:
        _pull(sim, db, serving)
        serving.write_bytes(b"not a database")
        with pytest.raises(ConfigError, match="not a swansync serving copy"):
            pull(sim_settings(sim, db, apply_views=True, serving=serving))
    assert serving.read_bytes() == b"not a database"


def test_changed_view_files_are_applied_again(tmp_path, world):
    db = tmp_path / "w.duckdb"
    with SimServer(world, port=0) as sim:
        _pull(sim, db, tmp_path / "serving.duckdb")
    views = tmp_path / "views"
    views.mkdir()
    for path in VIEWS_DIR.glob("*.sql"):
        (views / path.name).write_bytes(path.read_bytes())
    with Warehouse(db) as wh:
        assert views_current(wh.con, views)
        (views / "999_extra.sql").write_text(
            "-- One more view.\nCREATE OR REPLACE VIEW extra AS SELECT 1 AS one;\n"
        )
        assert files_hash(views) != files_hash(VIEWS_DIR)
        assert not views_current(wh.con, views)
        apply_views(wh.con, views)
        assert views_current(wh.con, views)
        assert not views_current(wh.con)  # the shipped files differ from what was applied


def test_new_console_lines_alone_rebuild_the_serving_copy(tmp_path, world):
    """`logs` is a contract table: a pull whose only news is console lines changed data."""
    db, serving = tmp_path / "w.duckdb", tmp_path / "serving.duckdb"
    with SimServer(world, port=0) as sim:
        _pull(sim, db, serving)
        copy = _identity(serving)
        running = [rid for rid in world.runs() if world.run(rid).state == "RUNNING"]
        assert running
        world.append_logs(running[0], 3)
        second, phases = _pull(sim, db, serving)
    assert second.rows["logs"] == 3
    assert second.changed and "publish" in phases
    assert _identity(serving) != copy

"""A pull rewrites only the metadata rows whose content changed: a run, its config leaves and
its summaries keep their stored rows (and ``synced_at``) when upstream says the same again, so a
no-op costs no rewrite of every run and summary (issue 15) and a lake gains no row version per
pull. The project row is the exception: every pull of a project rewrites it, so
``projects.synced_at`` says when the project was last mirrored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from swansync.sync import pull
from tests.support.settings import sim_settings
from trackersim.swanlab import SimServer, build_world

TABLES = {
    "runs": "run_id",
    "summaries": "run_id || '/' || key",
    "run_config": "run_id || '/' || key",
}


def _series_stamps(db: Path) -> dict[str, Any]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT run_id || '/' || key, synced_at FROM metric_keys").fetchall()
        return dict(rows)
    finally:
        con.close()


def _stamps(db: Path) -> dict[str, dict[str, Any]]:
    """Per table: row identity -> synced_at (run_config has none: its rowid stands in)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        out: dict[str, dict[str, Any]] = {}
        for table, ident in TABLES.items():
            stamp = "rowid" if table == "run_config" else "synced_at"
            rows = con.execute(f"SELECT {ident}, {stamp} FROM {table}").fetchall()
            out[table] = dict(rows)
        out["projects"] = dict(con.execute("SELECT project, synced_at FROM projects").fetchall())
        return out
    finally:
        con.close()


def _pull(sim: Any, db: Path) -> Any:
    summary = pull(sim_settings(sim, db))
    assert summary.status == "ok", summary.failures
    return summary


def test_a_noop_pull_rewrites_no_run_summary_or_config_row(tmp_path: Path) -> None:
    world = build_world("demo", seed=5)
    db = tmp_path / "w.duckdb"
    with SimServer(world, port=0) as sim:
        _pull(sim, db)
        before, keys_before = _stamps(db), _series_stamps(db)
        assert before["runs"] and before["summaries"] and before["run_config"]
        second = _pull(sim, db)
        after, keys_after = _stamps(db), _series_stamps(db)
    assert not second.changed
    # metric_keys too, MEDIA keys of running runs included (their bookmarks are re-read).
    assert keys_after == keys_before
    for table in TABLES:
        assert after[table] == before[table], table
    assert second.rows.get("runs", 0) == 0 and second.rows.get("summaries", 0) == 0
    # The project row is rewritten by every pull: it says when the project was last mirrored.
    for project, stamp in after["projects"].items():
        assert stamp > before["projects"][project]


def test_a_grown_run_rewrites_its_own_rows_only(tmp_path: Path) -> None:
    world = build_world("demo", seed=5)
    db = tmp_path / "w.duckdb"
    with SimServer(world, port=0) as sim:
        _pull(sim, db)
        before = _stamps(db)
        grown = [rid for rid in world.runs() if world.run(rid).state == "RUNNING"]
        assert grown
        for rid in grown:
            world.grow(rid, 5)
        third = _pull(sim, db)
        after = _stamps(db)
    assert third.changed
    sums = before["summaries"]
    changed = {k.split("/")[0] for k, v in after["summaries"].items() if sums.get(k) != v}
    assert changed and changed <= set(grown)
    unchanged_runs = [r for r in before["runs"] if r not in grown]
    assert unchanged_runs
    for rid in unchanged_runs:
        assert after["runs"][rid] == before["runs"][rid]


def test_a_deleted_run_is_a_changed_row(tmp_path: Path) -> None:
    """deleted_at is content: the run's synced_at moves with it (an ETL selecting rows by
    synced_at sees the deletion)."""
    world = build_world("demo", seed=5)
    db = tmp_path / "w.duckdb"
    with SimServer(world, port=0) as sim:
        _pull(sim, db)
        gone = sorted(world.runs())[0]
        before = _stamps(db)["runs"][gone]
        world.delete_run(gone)
        _pull(sim, db)
        _pull(sim, db)  # a run is marked deleted by the second listing without it
    con = duckdb.connect(str(db), read_only=True)
    try:
        deleted_at, synced_at = con.execute(
            "SELECT deleted_at, synced_at FROM runs WHERE run_id = ?", [gone]
        ).fetchone() or (None, None)
    finally:
        con.close()
    assert deleted_at is not None and synced_at > before
    assert synced_at == deleted_at  # stamped by the pull that marked it

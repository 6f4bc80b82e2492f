"""A warehouse written by the previous release (0.1.0, vendored as source in tests/data) is
upgraded in place by the next pull and stays exact: the old bookmarks keep working (no point is
fetched twice or lost) and the bookkeeping moves out of the public schema."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import polars as pl

from swansync.sync import pull
from swansync.warehouse import Warehouse, sql_dir
from tests.e2e.compare import compare
from tests.support.settings import sim_settings
from trackersim.swanlab import SimServer, build_world

RELEASE = Path(__file__).resolve().parents[1] / "data" / "swansync-0.1.0.tar.gz"
LATEST = max(int(p.name.split("_", 1)[0]) for p in (sql_dir() / "schema").glob("*.sql"))


def _old_release(tmp_path: Path) -> Path:
    root = tmp_path / "swansync-0.1.0"
    with tarfile.open(RELEASE) as tar:
        tar.extractall(root, filter="data")
    return root


def _pull_with_old_release(root: Path, sim: Any, db: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SWANLAB_", "SWANSYNC_"))}
    env.update(PYTHONPATH=str(root), SWANLAB_API_KEY=sim.api_key, HOME=str(db.parent))
    script = (
        "import sys, swansync\n"
        f"assert swansync.__file__.startswith({str(root)!r}), swansync.__file__\n"
        "assert swansync.__version__ == '0.1.0'\n"
        "from swansync.cli import main\n"
        "sys.argv = ['swansync', *sys.argv[1:]]\n"
        "main()\n"
    )
    projects = [a for p in sim.world.projects() for a in ("--project", p)]
    args = ["pull", "--host", sim.url, "--db", str(db), "--source-name", "sim", *projects]
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=root,  # `python -c` puts the working directory first on sys.path
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]


def _exact(frame: pl.DataFrame) -> pl.DataFrame:
    """Values as their bit patterns, so NaN matches NaN and -0.0 does not match 0.0."""
    return frame.with_columns(pl.col("value").reinterpret(signed=True))


def test_a_0_1_warehouse_upgrades_in_place_and_stays_exact(tmp_path: Path) -> None:
    root = _old_release(tmp_path)
    db = tmp_path / "w.duckdb"
    world = build_world("demo", seed=0)
    with SimServer(world, port=0) as sim:
        _pull_with_old_release(root, sim, db)
        with Warehouse(db, read_only=True) as wh:
            old_tables = {
                (s, t) for s, t in wh.rows("SELECT schema_name, table_name FROM duckdb_tables()")
            }
            assert {("main", "sync_log"), ("main", "schema_migrations")} <= old_tables
            old_points = wh.rows("SELECT count(*) FROM metrics")[0][0]
            old_rows = wh.query("SELECT * FROM metrics")
        # Time moves on: running runs grow, a run finishes; then the new release pulls.
        running = [r for r in world.runs() if world.run(r).state == "RUNNING"]
        for run_id in running:
            world.grow(run_id, steps=25)
        world.finish(running[0])
        settings = sim_settings(sim, db)
        summary = pull(settings)
        assert summary.status == "ok", summary.failures
        truth = world.truth()
    problems = compare(db, truth, "sim")
    assert problems == [], "\n".join(problems)
    with Warehouse(db, read_only=True) as wh:
        assert wh.schema_version() == LATEST
        tables = {(s, t) for s, t in wh.rows("SELECT schema_name, table_name FROM duckdb_tables()")}
        assert not {("main", "sync_log"), ("main", "sync_run_state")} & tables
        assert not {("main", "schema_migrations"), ("main", "metric_keys")} & tables
        assert {("_swansync", "sync_log"), ("_swansync", "series")} <= tables
        # Points moved to the narrow table; metrics is a view showing the same rows.
        assert ("_swansync", "points") in tables and ("main", "metrics") not in tables
        kept = _exact(wh.query("SELECT * FROM metrics")).join(
            _exact(old_rows), on=list(old_rows.columns), how="semi", nulls_equal=True
        )
        assert kept.height == old_rows.height  # every point of the old release is still there
        orphans = wh.rows(
            "SELECT count(*) FROM _swansync.points p ANTI JOIN _swansync.series s USING (series_id)"
        )
        assert orphans == [(0,)]
        ids = wh.rows("SELECT count(*), count(DISTINCT series_id) FROM _swansync.series")
        assert ids[0][0] == ids[0][1]
        log = wh.rows("SELECT id, status FROM _swansync.sync_log ORDER BY id")
        assert log == [(1, "ok"), (2, "ok")]  # the old release's pull is kept
        # Only the new points were written: the 0.1 bookmarks carried over.
        new_points = wh.rows("SELECT count(*) FROM metrics")[0][0]
    assert summary.rows["metrics"] == new_points - old_points > 0

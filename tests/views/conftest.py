"""A warehouse for the view tests: the simulator's ``small`` world plus a ``views-lab`` project
made for these tests (seed groups, a hostile config/metric key, a run deleted after a pull).

``build_warehouse`` is the single place that decides how the warehouse is made: it serves the
world with the simulator, pulls it with ``swansync.pull``, deletes a run upstream and pulls again
(so the warehouse keeps that run's rows with ``deleted_at``), then applies the views.
``load_truth`` (truth straight into DuckDB, no HTTP) is kept for scripts and debugging.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from swansync import transform
from swansync.bookmarks import POINTS, SERIES
from swansync.warehouse import Warehouse
from swansync.warehouse.views import apply_views
from trackersim.swanlab import World, build_world

SOURCE = "sim"
LAB = "alice/views-lab"
EVIL = "x'); DROP TABLE runs; --"


@dataclass
class Mirror:
    """What the warehouse was built from: the simulator's truth as frames (deleted runs keep the
    rows they had when they were last pulled, as a real mirror keeps them)."""

    world: World
    tables: dict[str, pl.DataFrame]
    deleted_run: str


def lab_world() -> tuple[World, str]:
    """small/0 plus views-lab; returns the world and the id of a run to delete after a pull."""
    world = build_world("small", seed=0)
    t = datetime(2025, 3, 1, tzinfo=UTC)
    world._clock = lambda: int(t.timestamp() * 1000)  # deterministic created_at for new runs
    keys = ("train/loss", "val/acc")
    for depth in (18, 50):
        for lr in (0.1, 0.01):
            for seed in (1, 2, 3):
                cfg: dict[str, Any] = {"model": {"depth": depth}, "optim": {"lr": lr}, "seed": seed}
                if depth == 50 and lr == 0.01:  # seed-like keys nested or in other spellings
                    cfg = {"model": {"depth": depth}, "optim": {"lr": lr}}
                    cfg["train"] = {"seed": seed}
                    cfg["Random_Seed"] = seed * 7
                world.add_run(LAB, name=f"d{depth}-lr{lr}-s{seed}", config=cfg, keys=keys, ticks=30)
    for rid in list(world.runs(LAB))[::4]:
        world.finish(rid, "CRASHED")
    for rid in list(world.runs(LAB))[1::4]:
        world.finish(rid, "FINISHED")
    evil = world.add_run(LAB, name="evil", config={EVIL: "boom", "seed": 9}, keys=("loss",))
    world.add_key(evil, EVIL)
    world.add_run("alice/views-console", name="chatty", keys=("loss",), ticks=160, log_every=1)
    doomed = world.add_run(
        LAB, name="doomed", config={"seed": 99}, keys=keys, ticks=12, media=("samples/x",)
    )
    world.finish(doomed, "ABORTED")
    return world, doomed


def _frames(truth: dict[str, dict[str, list[Any]]]) -> dict[str, pl.DataFrame]:
    out: dict[str, pl.DataFrame] = {}
    for table, cols in truth.items():
        out[table] = pl.DataFrame(cols, strict=False) if cols else pl.DataFrame()
    return out


def make_mirror() -> Mirror:
    world, doomed = lab_world()
    before = _frames(world.truth())
    world.delete_run(doomed)
    after = _frames(world.truth())
    tables = dict(after)
    for table in ("run_config", "metric_keys", "metrics", "summaries"):
        kept = before[table].filter(pl.col("run_id") == doomed)
        tables[table] = pl.concat([after[table], kept], how="vertical_relaxed")
    return Mirror(world=world, tables=tables, deleted_run=doomed)


def _cast(frame: pl.DataFrame, schema: dict[str, Any]) -> pl.DataFrame:
    cols = [
        (pl.col(c) if c in frame.columns else pl.lit(None)).cast(dtype).alias(c)
        for c, dtype in schema.items()
    ]
    return frame.select(cols)


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, allow_nan=True)


def load_truth(db: Path, mirror: Mirror) -> None:
    now = datetime(2025, 6, 1, tzinfo=UTC)
    t = mirror.tables
    runs = t["runs"].with_columns(
        pl.col("config").map_elements(_json, return_dtype=pl.String),
        pl.col("metadata").map_elements(_json, return_dtype=pl.String),
        pl.when(pl.col("deleted"))
        .then(pl.lit(now - timedelta(days=1)))
        .otherwise(None)
        .alias("deleted_at"),
    )
    metrics = t["metrics"]
    bookmarks = metrics.group_by("project", "run_id", "key").agg(
        pl.col("step").max().alias("last_step"), pl.len().cast(pl.Int64).alias("points")
    )
    keys = t["metric_keys"].join(bookmarks, on=["project", "run_id", "key"], how="left")
    assert metrics.join(keys, on=["project", "run_id", "key"], how="anti").height == 0
    keys = keys.with_columns(
        pl.lit(True).alias("complete"), pl.int_range(1, pl.len() + 1).alias("series_id")
    )
    points = metrics.join(
        keys.select("project", "run_id", "key", "series_id"), on=["project", "run_id", "key"]
    )
    frames = {
        "projects": (t["projects"], transform.PROJECTS_SCHEMA),
        "runs": (runs, transform.RUNS_SCHEMA),
        "run_config": (t["run_config"], transform.RUN_CONFIG_SCHEMA),
        # metric_keys and metrics are views of the series and points tables (internal schema)
        SERIES: (keys, transform.SERIES_SCHEMA),
        POINTS: (points, transform.POINTS_SCHEMA),
        "summaries": (t["summaries"], transform.SUMMARIES_SCHEMA),
    }
    with Warehouse(db) as wh:
        wh.migrate()
        with wh.transaction():
            for table, (frame, schema) in frames.items():
                frame = frame.with_columns(
                    pl.lit(SOURCE).alias("source"), pl.lit(now).alias("synced_at")
                )
                wh.append(table, _cast(frame, {c: d for c, d in schema.items()}))
        apply_views(wh.con)


def build_warehouse(tmp_path: Path) -> tuple[Path, Mirror]:
    """Pull the views-lab world from the simulator into ``tmp_path``; returns the warehouse path
    and the truth it must equal (deleted run's rows from before its deletion)."""
    from swansync.sync import pull
    from tests.support.settings import sim_settings
    from trackersim.swanlab import SimServer

    db = tmp_path / "views.duckdb"
    world, doomed = lab_world()
    with SimServer(world, port=0) as sim:
        settings = sim_settings(sim, db, source_name=SOURCE, apply_views=True)
        first = pull(settings)
        before = _frames(world.truth())
        world.delete_run(doomed)
        second = pull(settings)
    if first.status != "ok" or second.status != "ok":
        raise RuntimeError(f"pull failed: {first.failures} {second.failures}")
    after = _frames(world.truth())
    tables = dict(after)
    for table in ("run_config", "metric_keys", "metrics", "summaries", "logs", "media"):
        kept = before[table].filter(pl.col("run_id") == doomed)
        tables[table] = pl.concat([after[table], kept], how="vertical_relaxed")
    return db, Mirror(world=world, tables=tables, deleted_run=doomed)


@pytest.fixture(scope="session")
def pulled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Mirror]:
    return build_warehouse(tmp_path_factory.mktemp("views"))


@pytest.fixture(scope="session")
def mirror(pulled: tuple[Path, Mirror]) -> Mirror:
    return pulled[1]


@pytest.fixture(scope="session")
def warehouse(pulled: tuple[Path, Mirror]) -> Path:
    return pulled[0]


@pytest.fixture
def wh(warehouse: Path):
    with Warehouse(warehouse, read_only=True) as w:
        yield w


@pytest.fixture
def empty_wh(tmp_path: Path):
    with Warehouse(tmp_path / "empty.duckdb") as w:
        w.migrate()
        apply_views(w.con)
        yield w

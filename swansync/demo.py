"""``swansync demo``: the whole tool on the built-in simulated SwanLab cloud, no account needed.

Starts the simulator on 127.0.0.1, mirrors its demo world into a DuckDB file, stops the simulator,
and returns what landed (the CLI prints it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from swansync.config import Secret, Settings
from swansync.errors import ConfigError
from swansync.sources.swanlab.plugin import SwanLabCloud
from swansync.sync import PullSummary, pull
from swansync.warehouse import Warehouse

# The demo world logs val/acc in every project: rank runs by their best value with the
# `leaderboard` macro of sql/views (what a user would type). Run names repeat, so the run id
# is shown too, and values keep every digit: rounded, different values would look tied.
_LEADERBOARD = """
SELECT project, rank, run_id, name AS run, state, value AS best_val_acc, step
FROM leaderboard(?, 'val/acc', goal := 'max', pick := 'best') WHERE rank <= ?
"""

_TOTALS = """
SELECT (SELECT count(*) FROM projects) AS projects, (SELECT count(*) FROM runs) AS runs,
       (SELECT count(*) FROM run_config) AS config_leaves,
       (SELECT count(*) FROM metric_keys) AS metric_keys, (SELECT count(*) FROM metrics) AS points
"""


@dataclass
class DemoResult:
    db: Path
    first: PullSummary
    second: PullSummary
    totals: pl.DataFrame
    leaderboard: pl.DataFrame


SOURCE = "demo-sim"


def _fresh(db: Path) -> None:
    """Start from an empty demo warehouse, but never delete a warehouse that holds real data."""
    if not db.exists():
        return
    with Warehouse(db, read_only=True) as wh:
        if wh.schema_version() == 0:
            raise ConfigError(f"{str(db)!r} is not a swansync demo warehouse: give another --db")
        sources = {
            r[0]
            for r in wh.rows(
                "SELECT source FROM projects UNION SELECT source FROM runs "
                "UNION SELECT DISTINCT source FROM metrics"
            )
        }
    if sources - {SOURCE}:
        raise ConfigError(
            f"{str(db)!r} holds data from {', '.join(sorted(sources - {SOURCE}))}: "
            "give the demo another --db"
        )
    db.unlink()
    db.with_name(db.name + ".wal").unlink(missing_ok=True)


def run_demo(db: Path, *, top: int = 3) -> DemoResult:
    """Mirror the simulator's demo world into ``db`` (twice: the second pull shows the no-op)."""
    from trackersim.swanlab import SimServer, build_world

    _fresh(db)
    world = build_world("demo", seed=0)
    with SimServer(world, port=0) as sim:
        cloud = SwanLabCloud(
            projects=tuple(world.projects()),
            host=sim.url,
            api_key=Secret(sim.api_key),
            source_name=SOURCE,
        )
        settings = Settings(db=db, sources=(cloud,), env={})
        first = pull(settings)
        second = pull(settings)
    with Warehouse(db, read_only=True) as wh:
        totals = wh.query(_TOTALS)
        leaderboard = pl.concat(
            [wh.query(_LEADERBOARD, [p, top]) for p in sorted(world.projects())]
        )
    return DemoResult(db, first, second, totals, leaderboard)

"""``swansync demo``: the whole tool on the built-in simulated SwanLab cloud, no account needed.

Starts the simulator on 127.0.0.1, mirrors its demo world into a DuckDB file, stops the simulator,
and returns what landed (the CLI prints it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from swansync.config import Secret, Settings
from swansync.sync import PullSummary, pull
from swansync.warehouse import Warehouse

# Per project: the runs ranked by the best value of the project's headline metric (an accuracy
# when there is one, higher is better; else a loss, lower is better).
_LEADERBOARD = """
WITH headline AS (
    SELECT project, key,
           NOT regexp_matches(lower(key), 'loss|err') AS higher_is_better,
           row_number() OVER (PARTITION BY project ORDER BY
               regexp_matches(lower(key), 'acc') DESC, regexp_matches(lower(key), 'loss') DESC,
               count(*) DESC, key) AS pick
    FROM summaries WHERE key NOT LIKE '\\_\\_swanlab\\_\\_%' ESCAPE '\\'
    GROUP BY project, key
), best AS (
    SELECT m.project, m.run_id, h.key,
           CASE WHEN h.higher_is_better THEN max(m.value) FILTER (WHERE isfinite(m.value))
                ELSE min(m.value) FILTER (WHERE isfinite(m.value)) END AS best,
           h.higher_is_better
    FROM metrics m JOIN headline h ON h.project = m.project AND h.key = m.key AND h.pick = 1
    GROUP BY m.project, m.run_id, h.key, h.higher_is_better
), ranked AS (
    SELECT b.project, r.name AS run, r.state, b.key AS metric, round(b.best, 4) AS best,
           row_number() OVER (PARTITION BY b.project ORDER BY
               CASE WHEN b.higher_is_better THEN -b.best ELSE b.best END NULLS LAST) AS rank
    FROM best b JOIN runs r ON r.project = b.project AND r.run_id = b.run_id
    WHERE r.deleted_at IS NULL AND b.best IS NOT NULL
)
SELECT project, rank, run, state, metric, best FROM ranked WHERE rank <= ? ORDER BY project, rank
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


def run_demo(db: Path, *, top: int = 3) -> DemoResult:
    """Mirror the simulator's demo world into ``db`` (twice: the second pull shows the no-op)."""
    from swansync.sim import SimServer, build_world

    world = build_world("demo", seed=0)
    with SimServer(world, port=0) as sim:
        settings = Settings(
            db=db,
            host=sim.url,
            api_key=Secret(sim.api_key),
            projects=tuple(world.projects()),
            source_name="demo-sim",
            env={},
        )
        first = pull(settings)
        second = pull(settings)
    with Warehouse(db, read_only=True) as wh:
        totals = wh.query(_TOTALS)
        leaderboard = wh.query(_LEADERBOARD, [top])
    return DemoResult(db, first, second, totals, leaderboard)

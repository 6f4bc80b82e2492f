"""Progress events of a real pull (library level, not the rendering): in order, runs counted as
they are fetched rather than when their batch commits, and totals known before the work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.world import PROJECT, Scale, grow, make_world
from swansync.config import Settings
from swansync.metric_sync import BATCH_RUNS
from swansync.sync import pull
from tests.support.settings import cloud
from trackersim.swanlab import SimServer

SCALE = Scale(runs=20, keys=3, steps=50, running=2)  # every series dense from step 0


def collect(settings: Settings) -> tuple[Any, list[tuple[str, dict[str, Any]]]]:
    events: list[tuple[str, dict[str, Any]]] = []
    summary = pull(settings, progress=lambda event, **data: events.append((event, data)))
    return summary, events


def names(events: list[tuple[str, dict[str, Any]]]) -> list[str]:
    return [e if e != "phase" else f"phase:{d['name']}" for e, d in events]


def test_events_in_order_with_totals_up_front(tmp_path: Path) -> None:
    world = make_world(SCALE)
    with SimServer(world, port=0) as sim:
        settings = Settings(
            db=tmp_path / "w.duckdb",
            sources=(cloud(sim, projects=(PROJECT,), source_name=None),),
            workers=2,
            serving=tmp_path / "serving.duckdb",
            env={},
        )
        summary, events = collect(settings)
        assert summary.status == "ok"
        seq = names(events)

        # The phases, in order, each announced before its work.
        phases = [n for n in seq if n.startswith("phase:")]
        assert phases == [
            "phase:listing",
            "phase:summaries",
            "phase:metrics",
            "phase:views",
            "phase:publish",
            "phase:done",
        ]
        assert seq[0] == "targets" and events[0][1]["projects"] == 1
        assert seq.index("phase:listing") < seq.index("listed") < seq.index("phase:summaries")
        assert seq.index("phase:metrics") < seq.index("project") < seq.index("fetched")
        assert seq.index("project_done") < seq.index("phase:views")

        # Totals before any run is fetched: every run, and exactly the points that will land.
        (project,) = [d for e, d in events if e == "project"]
        assert project["runs_to_fetch"] == SCALE.runs
        assert project["points_expected"] == SCALE.points

        # Runs advance as they are fetched: a whole batch is counted before it commits.
        fetched = [d for e, d in events if e == "fetched"]
        assert len(fetched) == SCALE.runs and not any(d["failed"] for d in fetched)
        assert sum(d["points"] for d in fetched) == summary.rows["metrics"] == SCALE.points
        assert seq.index("writing") == seq.index("committed") - 1
        assert seq[: seq.index("writing")].count("fetched") == BATCH_RUNS
        committed = [d for e, d in events if e == "committed"]
        assert sum(d["runs"] for d in committed) == SCALE.runs
        assert sum(d["points"] for d in committed) == SCALE.points
        sizes = [d["total"] for e, d in events if e == "bytes"]
        assert len(sizes) == SCALE.runs and sizes == sorted(sizes) and sizes[-1] <= summary.bytes

        # An incremental pull announces just the new points of the runs that grew.
        grow(world, SCALE)
        again, events = collect(settings)
        (project,) = [d for e, d in events if e == "project"]
        new_points = SCALE.running * SCALE.grow_steps * SCALE.keys
        assert project["runs_to_fetch"] == SCALE.running
        assert project["points_expected"] == again.rows["metrics"] == new_points

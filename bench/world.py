"""The bench world: ``build_world("bench")`` plus a few RUNNING runs that can grow later.

The preset makes only FINISHED runs, so ``running`` of the ``runs`` are added through the
world's public ``add_run`` (same keys, steps and tick as the preset's runs); the total stays
``runs x keys x steps`` points. Growing those runs afterwards is the "~1 % new points" scenario.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

from trackersim.swanlab import World, build_world

PROJECT = "alice/bench"


@dataclass(frozen=True)
class Scale:
    runs: int = 200
    keys: int = 20
    steps: int = 2500
    running: int = 20  # of ``runs``; these grow for the incremental scenario
    grow_fraction: float = 0.01  # new points as a fraction of all points

    @property
    def points(self) -> int:
        return self.runs * self.keys * self.steps

    @property
    def grow_steps(self) -> int:
        """Steps each running run grows so that all of them add ~``grow_fraction`` points."""
        if self.running == 0:
            return 0
        return max(1, round(self.points * self.grow_fraction / (self.running * self.keys)))

    def times(self, factor: int) -> Scale:
        """The same world with ``factor`` times the runs (and running runs)."""
        return replace(self, runs=self.runs * factor, running=self.running * factor)

    def as_dict(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "keys": self.keys,
            "steps": self.steps,
            "points": self.points,
            "running": self.running,
            "grow_steps": self.grow_steps,
        }


def make_world(scale: Scale, seed: int = 0) -> World:
    finished = scale.runs - scale.running
    if finished < 1 or scale.running < 0:
        raise ValueError(f"need 0 <= running < runs, got running={scale.running}")
    world = build_world("bench", seed=seed, runs=finished, keys=scale.keys, steps=scale.steps)
    keys = tuple(f"metric/{k:03d}" for k in range(scale.keys))
    for i in range(scale.running):
        world.add_run(
            PROJECT,
            name=f"bench-running-{i:04d}",
            state="RUNNING",
            ticks=scale.steps,
            tick_ms=100,
            keys=keys,
            config={"index": finished + i, "lr": 10 ** -(1 + i % 4)},
            metadata={},
            requirements=None,
        )
    return world


def warm(world: World) -> float:
    """Compute every series' summary statistics once; the seconds it took.

    The simulator computes a series' min/max/last lazily, from all its points, on the first
    summaries request, and caches it; a real server keeps summaries as the run logs. Warming
    first means no measured client pays that one-off cost (the full pull asks for summaries
    before any other measurement would)."""
    started = time.perf_counter()
    with world.lock:
        for project in world.projects():
            for rid in world.runs(project):
                for series in world.run(rid).scalar_series():
                    series.stats()
    return time.perf_counter() - started


def world_extras(world: World) -> dict[str, Any]:
    """Consoles and media of the bench project: the bench pulls with the default ``--media
    list``, so whatever is here is pulled (and the raw serve floor reads the consoles too)."""
    with world.lock:
        runs = [world.run(rid) for rid in world.runs(PROJECT)]
        counts = [r.log_count() for r in runs]
        items = sum(s.count_at(t) for r in runs for s in r.media_series() for t in s.steps())
    return {
        "console_runs": sum(1 for n in counts if n),
        "console_lines": sum(counts),
        "media_items": items,
        "media_mode": "list",
    }


def running_runs(world: World) -> list[str]:
    with world.lock:
        return [rid for rid in world.runs(PROJECT) if world.run(rid).state == "RUNNING"]


def grow(world: World, scale: Scale) -> int:
    """Grow every running run by ``scale.grow_steps``; the number of new points."""
    added = 0
    for rid in running_runs(world):
        world.grow(rid, scale.grow_steps)
        added += scale.grow_steps * scale.keys
    return added


def export_columns(world: World, only: set[str] | None = None) -> list[list[dict[str, Any]]]:
    """Per run (every run, or those in ``only``), the export columns a client sends for all its
    scalar keys (for the raw serve baseline), in the wire format of spec 3.7."""
    out: list[list[dict[str, Any]]] = []
    with world.lock:
        proj = world.project(PROJECT)
        for rid in world.runs(PROJECT):
            if only is not None and rid not in only:
                continue
            run = world.run(rid)
            ref = {
                "projectId": proj.cuid,
                "experimentId": run.cuid,
                "createdAt": run.created_ms // 1000,
                "experimentName": run.name,
            }
            out.append([{**ref, "key": s.key} for s in run.scalar_series()])
    return out

"""The parquet history export: read instead of windows for a finished run when the server has
one (Range pieces, faults on the file route, refused URLs), exact either way."""

from __future__ import annotations

from pathlib import Path

import pytest

import swansync
from trackersim.wandb import Faults, SimServer, World, build_world

from .compare import compare
from .conftest import SOURCE, settings
from .expected import STATES, TERMINAL, expected

PROJECTS = ("alice/quirks", "alice/sweep")
FILES = "GET /_files/parquet"


@pytest.fixture
def exported() -> World:
    world = build_world("small", seed=0, parquet_export=True, parquet_rows_per_file=15)
    for rid in world.runs():
        if world.run(rid).state != "running":
            world.export(rid)
    return world


def finished_with_history(world: World) -> set[str]:
    return {
        r
        for p in PROJECTS
        for r in world.runs(p)
        if STATES[world.run(r).state] in TERMINAL and world.run(r).line_count()
    }


def test_finished_runs_are_read_from_their_export(exported: World, db: Path) -> None:
    with SimServer(exported) as sim:
        summary = swansync.pull(settings(sim, db, PROJECTS))
        assert summary.status == "ok", summary.failures
        counts = {k: n for k, (n, _) in sim.counters.snapshot().items()}
        finished = finished_with_history(exported)
        assert counts["RunParquetHistory"] == len(finished)
        assert counts[FILES] > len(finished)  # several files (15 rows each), Range pieces
        running = [r for p in PROJECTS for r in exported.runs(p) if r not in finished]
        assert counts["HistoryPage"] <= len(running)
        assert (
            compare(db, expected(exported.truth(), sim.url, projects=set(PROJECTS)), SOURCE) == []
        )


@pytest.mark.parametrize("action", ["reset_body", "truncate", "html_200", "429", "reset"])
def test_a_fault_on_a_file_is_retried(exported: World, db: Path, action: str) -> None:
    with SimServer(exported) as sim:
        sim.faults = Faults(operations=[FILES], script=[action] * 3, retry_after=0)
        summary = swansync.pull(settings(sim, db, ("alice/quirks",)))
        assert summary.status == "ok", summary.failures
        assert sim.faults.script == []
        want = expected(exported.truth(), sim.url, projects={"alice/quirks"})
        assert compare(db, want, SOURCE) == []


def test_refused_urls_fall_back_to_windows(exported: World, db: Path) -> None:
    with SimServer(exported) as sim:
        sim.faults = Faults(expire_urls=True)
        summary = swansync.pull(settings(sim, db, ("alice/quirks",)))
        assert summary.status == "ok", summary.failures
        counts = {k: n for k, (n, _) in sim.counters.snapshot().items()}
        assert counts["HistoryPage"] >= len(
            finished_with_history(exported) & set(exported.runs("alice/quirks"))
        )
        want = expected(exported.truth(), sim.url, projects={"alice/quirks"})
        assert compare(db, want, SOURCE) == []


def test_a_server_without_exports_is_read_in_windows(
    sim: SimServer, world: World, db: Path
) -> None:
    summary = swansync.pull(settings(sim, db, ("alice/quirks",)))
    assert summary.status == "ok"
    assert FILES not in sim.counters.snapshot()
    assert compare(db, expected(world.truth(), sim.url, projects={"alice/quirks"}), SOURCE) == []

"""Pulls from the simulated W&B server, held against its truth through the conventions, and the
requests they cost (the simulator's per-operation counters)."""

from __future__ import annotations

from pathlib import Path

import swansync
from trackersim.wandb import SimServer, World

from .compare import compare
from .conftest import SOURCE, settings, spy_source
from .expected import expected

LISTING = {"GetProject", "GetProjects", "Runs"}
PROJECTS = ("alice/quirks", "alice/sweep", "vision-lab/detr")


def ops(sim: SimServer) -> dict[str, int]:
    return {k: v[0] for k, v in sim.counters.snapshot().items()}


def test_full_pull_is_exact_and_a_second_makes_only_listing_requests(
    sim: SimServer, world: World, db: Path
) -> None:
    summary = swansync.pull(settings(sim, db))
    assert summary.status == "ok", summary.failures
    assert compare(db, expected(world.truth(), sim.url), SOURCE) == []
    assert ops(sim)["HistoryPage"] >= len(world.runs()) - 3  # every run with history
    sim.counters.reset()
    summary = swansync.pull(settings(sim, db))
    assert summary.status == "ok"
    assert set(ops(sim)) <= LISTING, ops(sim)
    assert ops(sim)["GetProject"] == len(world.projects())
    assert summary.rows["metrics"] == 0
    assert compare(db, expected(world.truth(), sim.url), SOURCE) == []


def test_time_moves_then_pull_is_exact_and_reads_only_new_steps(
    sim: SimServer, world: World, db: Path
) -> None:
    swansync.pull(settings(sim, db, PROJECTS))
    deleted: set[str] = set()
    for seed in range(1, 5):
        before = {r: world.run(r).ticks for r in world.runs()}
        done = world.tick(seed)
        deleted |= {line.split()[1] for line in done if line.startswith("delete ")}
        sim.counters.reset()
        summary = swansync.pull(settings(sim, db, PROJECTS))
        assert summary.status == "ok", (done, summary.failures)
        grown = [
            r for p in PROJECTS for r in world.runs(p) if world.run(r).ticks != before.get(r, 0)
        ]
        # one window per run with new steps (few new steps each), none for the others
        assert ops(sim).get("HistoryPage", 0) == len(grown), (done, ops(sim))
        want = expected(world.truth(), sim.url, projects=set(PROJECTS))
        in_scope = deleted & {r for p in PROJECTS for r in world.runs(p, include_deleted=True)}
        assert compare(db, want, SOURCE, deleted=in_scope) == [], done


def test_a_grown_run_is_read_from_its_last_step(sim: SimServer, world: World, db: Path) -> None:
    swansync.pull(settings(sim, db, PROJECTS))
    run = world.run(world.runs("alice/quirks")[0])  # kitchen-sink: running, 260 steps
    assert (run.state, run.ticks) == ("running", 260)
    world.grow(run.name, 30)
    source, sent = spy_source(sim, PROJECTS)
    try:
        summary = swansync.pull(settings(sim, db, PROJECTS), sources=[source])
    finally:
        source.close()
    assert summary.status == "ok", summary.failures
    windows = [v for op, v in sent if op == "HistoryPage"]
    assert [(w["run"], w["minStep"], w["maxStep"], w["pageSize"]) for w in windows] == [
        (run.name, 260, 290, 30)
    ]
    assert {op for op, _ in sent} == LISTING - {"GetProjects"} | {
        "HistoryPage",
        "RunEvents",
        "RunFiles",  # its output.log's new tail, its new media files' URLs
    }
    assert summary.rows["metrics"] > 0
    assert compare(db, expected(world.truth(), sim.url, projects=set(PROJECTS)), SOURCE) == []


def test_a_heartbeat_alone_costs_no_history_window(sim: SimServer, world: World, db: Path) -> None:
    swansync.pull(settings(sim, db, PROJECTS))
    world.heartbeat(world.runs("alice/quirks")[0])
    sim.counters.reset()
    summary = swansync.pull(settings(sim, db, PROJECTS))
    assert summary.status == "ok"
    assert "HistoryPage" not in ops(sim)
    assert ops(sim).get("RunEvents", 0) == 1  # system metrics have no step window
    assert compare(db, expected(world.truth(), sim.url, projects=set(PROJECTS)), SOURCE) == []


def test_every_run_commits_its_cursor(sim: SimServer, world: World, db: Path) -> None:
    """The source sets a run's cursor while it reads ahead in ``summaries``; the sync commits
    the value the record holds with the run's rows (the contract this source relies on)."""
    import json

    import duckdb

    swansync.pull(settings(sim, db, ("alice/quirks",)))
    with duckdb.connect(str(db), read_only=True) as con:
        rows = dict(con.execute("SELECT run_id, cursor FROM _swansync.run_state").fetchall())
    truth = {r["run_id"]: r for r in world.truth(history=False)["runs"] if not r["deleted"]}
    assert set(rows) == {r for r, t in truth.items() if t["project"] == "alice/quirks"}
    for rid, cursor in rows.items():
        state = json.loads(cursor)
        assert state["m"][2:] == [
            truth[rid]["history_line_count"],
            truth[rid]["last_step"] if truth[rid]["last_step"] is not None else -1,
        ]


def test_full_re_reads_every_series_and_stays_exact(sim: SimServer, world: World, db: Path) -> None:
    swansync.pull(settings(sim, db, ("alice/quirks",)))
    sim.counters.reset()
    summary = swansync.pull(settings(sim, db, ("alice/quirks",), full=True))
    assert summary.status == "ok", summary.failures
    with_history = [r for r in world.runs("alice/quirks") if world.run(r).line_count()]
    assert ops(sim)["HistoryPage"] >= len(with_history)  # read again, not from the cursor
    assert summary.rows["metrics"] > 0
    assert compare(db, expected(world.truth(), sim.url, projects={"alice/quirks"}), SOURCE) == []


def test_no_system_sends_no_run_events_and_system_later_catches_up(
    sim: SimServer, world: World, db: Path
) -> None:
    """``--no-system`` mirrors no system metrics, so their only request, ``RunEvents``, is not
    sent (first pull, and a pull after a run grew); a later pull with system metrics reads them
    for every run that has some, changed or not, and the warehouse is exact."""
    summary = swansync.pull(settings(sim, db, PROJECTS, system=False))
    assert summary.status == "ok", summary.failures
    assert ops(sim).get("HistoryPage", 0) > 0
    assert "RunEvents" not in ops(sim), ops(sim)
    world.grow(world.runs("alice/quirks")[0], 30)
    sim.counters.reset()
    summary = swansync.pull(settings(sim, db, PROJECTS, system=False))
    assert summary.status == "ok", summary.failures
    assert ops(sim).get("HistoryPage", 0) == 1
    assert "RunEvents" not in ops(sim), ops(sim)
    sim.counters.reset()
    summary = swansync.pull(settings(sim, db, PROJECTS))
    assert summary.status == "ok", summary.failures
    assert "HistoryPage" not in ops(sim)  # only the system metrics were missing
    assert ops(sim).get("RunEvents", 0) > 0
    assert compare(db, expected(world.truth(), sim.url, projects=set(PROJECTS)), SOURCE) == []
    sim.counters.reset()
    swansync.pull(settings(sim, db, PROJECTS))
    assert set(ops(sim)) <= LISTING, ops(sim)

"""History at full resolution: step windows (EXCLUSIVE upper bound, never sampled), paged in
several windows, huge and sparse runs, and Relay paging of runs and projects."""

from __future__ import annotations

import itertools
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

import swansync
from swansync.errors import ApiError
from swansync.sources.wandb.cloud.paging import iter_relay
from trackersim.wandb import SimServer, World, build_world

from .compare import compare
from .conftest import SOURCE, settings, spy_source
from .expected import expected


def windows(sent: list[tuple[str, Any]]) -> dict[str, list[tuple[int, int, int]]]:
    out: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    for op, v in sent:
        if op == "HistoryPage":
            out[v["run"]].append((v["minStep"], v["maxStep"], v["pageSize"]))
    return out


def pull(sim: SimServer, db: Path, projects: tuple[str, ...], **kw: Any) -> dict[str, Any]:
    source, sent = spy_source(sim, projects, **kw)
    try:
        summary = swansync.pull(settings(sim, db, projects), sources=[source])
    finally:
        source.close()
    assert summary.status == "ok", summary.failures
    return windows(sent)


def test_all_history_paged_in_small_windows(sim: SimServer, world: World, db: Path) -> None:
    projects = ("alice/quirks", "vision-lab/detr")
    got = pull(sim, db, projects, page_rows=7)
    truth = world.truth(history=False)
    for run in truth["runs"]:
        if run["project"] not in projects or run["deleted"] or run["last_step"] is None:
            continue
        ws = got[run["run_id"]]
        assert len(ws) >= run["history_line_count"] // 7, run["display_name"]
        assert ws[0][0] == 0 and ws[-1][1] == run["last_step"] + 1  # from 0 to lastStep, [lo, hi)
        assert all(a[1] == b[0] for a, b in itertools.pairwise(ws))  # no gap, no overlap
        assert all(size == hi - lo for lo, hi, size in ws)  # samples = width: never sampled
    assert compare(db, expected(world.truth(), sim.url, projects=set(projects)), SOURCE) == []


@pytest.mark.slow
def test_a_huge_run_and_a_sparse_one(db: Path) -> None:
    world = build_world("small", seed=1)
    huge = world.add_run("alice/big", display_name="huge", ticks=30_000, state="finished")
    sparse = world.add_run("alice/big", display_name="sparse", ticks=200_000, key_names=())
    from trackersim.wandb import factory

    world.run(sparse).keys.append(factory.key(7, "rare", every=1000))
    with SimServer(world) as sim:
        got = pull(sim, db, ("alice/big",))
        assert len(got[huge]) == 30  # 30,000 rows in windows of ~1,000
        assert len(got[sparse]) == 1  # 200 rows over 200,000 steps: one wide window
        assert compare(db, expected(world.truth(), sim.url, projects={"alice/big"}), SOURCE) == []


@pytest.mark.parametrize("style", ["offset", "keyset"])
def test_runs_over_several_pages_while_runs_come(world: World, db: Path, style: str) -> None:
    world.options.update({"cursor_style": style, "runs_added_per_page": 2})
    with SimServer(world) as sim:
        projects = ("alice/sweep",)  # 120 runs: two pages of 100
        swansync.pull(settings(sim, db, projects))
        world.options.update({"runs_added_per_page": 0})
        summary = swansync.pull(settings(sim, db, projects))
        assert summary.status == "ok"
        assert compare(db, expected(world.truth(), sim.url, projects=set(projects)), SOURCE) == []


def test_every_project_of_an_entity_over_pages(sim: SimServer, world: World, db: Path) -> None:
    from swansync.sources.wandb.cloud import listing

    listing.PROJECT_PAGE, old = 4, listing.PROJECT_PAGE
    try:
        summary = swansync.pull(settings(sim, db, (), entities=("alice",)))
    finally:
        listing.PROJECT_PAGE = old
    assert summary.status == "ok"
    assert sim.counters.requests("GetProjects") == 4  # 14 projects, 4 a page
    alice = {p for p in world.projects() if p.startswith("alice/")}
    assert compare(db, expected(world.truth(), sim.url, projects=alice), SOURCE) == []


def test_a_repeated_cursor_is_an_error_not_a_loop() -> None:
    page = {"edges": [{"cursor": "c1", "node": {"id": 1}}], "pageInfo": {"hasNextPage": True}}
    calls = []

    def fetch(cursor: str | None) -> dict[str, Any]:
        calls.append(cursor)
        return page

    with pytest.raises(ApiError, match="repeated cursor 'c1'"):
        list(iter_relay(fetch, what="runs", route="Runs"))
    assert calls == [None, "c1"]

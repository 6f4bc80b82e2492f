"""`swansync pull` against the simulated cloud: exactness, no-op cost, time, faults, failures."""

from __future__ import annotations

import math

import pytest

from swansync.errors import AuthError
from swansync.sync import pull
from tests.support.settings import cloud
from trackersim.swanlab import Faults

from .compare import compare
from .conftest import settings_for


def run_list_pages(sim) -> int:
    return sum(math.ceil(max(1, len(sim.world.runs(p))) / 100) for p in sim.world.projects())


def test_small_world_mirrors_exactly(sim_small, tmp_path):
    s = settings_for(sim_small, tmp_path / "w.duckdb")
    summary = pull(s)
    assert summary.status == "ok", summary.failures
    assert compare(s.db, sim_small.world.truth(), "sim") == []


def test_second_pull_is_a_cheap_noop(sim_small, tmp_path):
    s = settings_for(sim_small, tmp_path / "w.duckdb")
    pull(s)
    before = sim_small.counters.requests()
    first = sim_small.counters.snapshot()
    second = pull(s)
    used = sim_small.counters.requests() - before
    projects = len(sim_small.world.projects())
    assert second.rows["metrics"] == 0
    world = sim_small.world
    running = [r for r in (world.run(i) for i in world.runs()) if r.state == "RUNNING"]
    with_media = [r for r in running if r.media_series()]
    # The budget: run-list pages + one lookup per project + login + one summaries call;
    # and what issue 16 adds: one console page per running run, one media probe per running
    # run with media (a finished run that is mirrored costs nothing).
    budget = run_list_pages(sim_small) + projects + 2 + len(running) + len(with_media)
    assert used <= budget
    snap = sim_small.counters.snapshot()
    assert snap["GET /api/house/metrics/log"][0] - first["GET /api/house/metrics/log"][0] == len(
        running
    )
    assert compare(s.db, sim_small.world.truth(), "sim") == []


def test_time_moves_and_next_pull_equals_truth(sim_small, tmp_path):
    s = settings_for(sim_small, tmp_path / "w.duckdb")
    pull(s)
    world = sim_small.world
    for seed in range(3):
        world.tick(seed)
        summary = pull(s)
        assert summary.status == "ok", summary.failures
        assert compare(s.db, world.truth(), "sim") == [], f"after tick {seed}"


def test_faults_are_retried_to_an_exact_result(sim_small, tmp_path):
    s = settings_for(sim_small, tmp_path / "w.duckdb", retries=8)
    sim_small.faults = Faults(rate_429=0.07, rate_5xx=0.07, rate_reset=0.06, retry_after=0, seed=3)
    summary = pull(s)
    sim_small.faults = Faults()
    assert summary.status == "ok", summary.failures
    assert compare(s.db, sim_small.world.truth(), "sim") == []


def test_wrong_key_is_an_auth_error_without_the_key(sim_small, tmp_path):
    from swansync.config import Secret

    s = settings_for(sim_small, tmp_path / "w.duckdb")
    bad = s.with_overrides(sources=(cloud(sim_small, api_key=Secret("x" * 21)),))
    with pytest.raises(AuthError) as e:
        pull(bad)
    assert not bad.db.exists()  # refused before anything landed: no new warehouse left
    assert "x" * 21 not in str(e.value)
    assert sim_small.api_key not in str(e.value)


def test_filtered_pull_lands_only_matching_runs_and_deletes_nothing(sim_small, tmp_path):
    s = settings_for(sim_small, tmp_path / "w.duckdb")
    pull(s)
    truth = sim_small.world.truth(metrics=False)
    finished = {
        r
        for r, st, d in zip(
            truth["runs"]["run_id"], truth["runs"]["state"], truth["runs"]["deleted"], strict=True
        )
        if st == "FINISHED" and not d
    }
    other = tmp_path / "f.duckdb"
    filtered = settings_for(sim_small, other, filters=("state=FINISHED",))
    assert pull(filtered).status == "ok"
    from swansync.warehouse import Warehouse

    with Warehouse(other, read_only=True) as wh:
        got = {r[0] for r in wh.rows("SELECT run_id FROM runs")}
    assert got == finished
    # A filtered pull into the full warehouse never marks the unmatched runs deleted.
    pull(settings_for(sim_small, s.db, filters=("state=FINISHED",)))
    with Warehouse(s.db, read_only=True) as wh:
        assert wh.rows("SELECT count(*) FROM runs WHERE deleted_at IS NOT NULL") == [(0,)]

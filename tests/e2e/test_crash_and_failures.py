"""Kill -9 a pull at many points, pull again: the warehouse equals the truth, no duplicates.
One run failing for good: exit 1, the rest landed, the failure listed. (Hostile demo worlds.)"""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from swansync.sync import pull
from trackersim.swanlab import Faults, SimServer, build_world

from .compare import compare
from .conftest import settings_for, start_pull


def _kill_after(sim, proc, n_requests, deadline_s=120.0):
    """SIGKILL ``proc`` once the simulator has answered ``n_requests`` more requests."""
    target = sim.counters.requests() + n_requests
    end = time.monotonic() + deadline_s
    while sim.counters.requests() < target and proc.poll() is None:
        if time.monotonic() > end:
            proc.kill()
            pytest.fail("the pull made no progress")
        time.sleep(0.005)
    killed = proc.poll() is None
    if killed:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    proc.stderr.close()
    return killed


@pytest.mark.slow
def test_sigkill_at_many_points_then_pull_equals_truth(tmp_path):
    world = build_world("demo", seed=1, hostile=True)
    with SimServer(world, port=0) as sim:
        kills = 0
        for i, n in enumerate([2, 6, 15, 40, 80, 120]):
            db = tmp_path / f"w{i}.duckdb"
            kills += _kill_after(sim, start_pull(sim, db), n)
            summary = pull(settings_for(sim, db))
            assert summary.status == "ok", summary.failures
            assert compare(db, world.truth(), "sim") == [], f"killed after {n} requests"
        assert kills >= 4  # most kills landed mid-pull, not after it ended


@pytest.mark.slow
def test_sigkill_during_incremental_pull(tmp_path):
    world = build_world("demo", seed=2, hostile=True)
    with SimServer(world, port=0) as sim:
        db = tmp_path / "w.duckdb"
        pull(settings_for(sim, db))
        for n in (3, 10, 25):
            for seed in range(2):
                world.tick(100 * n + seed)
            _kill_after(sim, start_pull(sim, db), n)
            summary = pull(settings_for(sim, db))
            assert summary.status == "ok", summary.failures
            assert compare(db, world.truth(), "sim") == [], f"killed after {n} requests"


def test_one_run_failing_for_good(tmp_path):
    world = build_world("demo", seed=3, hostile=True)
    with SimServer(world, port=0) as sim:
        victim = world.runs(world.projects()[0])[0]
        sim.faults = Faults(fail_runs={victim: 500})
        db = tmp_path / "w.duckdb"
        proc = start_pull(sim, db)
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 1, err.decode()
        report = json.loads(out)
        assert report["status"] == "partial"
        assert {f["run_id"] for f in report["failures"]} == {victim}
        assert sim.api_key not in out.decode() + err.decode()
        # Everything else landed: the truth minus the broken run, which is listed (its row is
        # there, from the run list) but whose detail and metrics could not be read.
        truth = world.truth()
        for table in ("runs", "run_config", "metrics", "summaries", "metric_keys", "logs", "media"):
            cols = truth[table]
            keep = [i for i, r in enumerate(cols["run_id"]) if r != victim]
            truth[table] = {c: [v[i] for i in keep] for c, v in cols.items()}
        problems = compare(db, truth, "sim")
        assert all(victim in p or "unexpected" in p for p in problems), problems
        assert not [p for p in problems if "missing" in p or "want" in p]
        # The run is retried by the next pull once upstream is healthy again.
        sim.faults = Faults()
        assert pull(settings_for(sim, db)).status == "ok"
        assert compare(db, world.truth(), "sim") == []

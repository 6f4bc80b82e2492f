"""Ctrl-C and SIGTERM during `swansync pull`: a real process, real signals. The pull stops at
its next transaction boundary, says so in one line, records `interrupted` and exits 130 / 143;
the next pull completes the mirror exactly.

Synchronised without sleeps: the simulator holds one metric download until the test has seen
the child's "received" line, so the signal always lands mid-pull, with a fetch in flight."""

from __future__ import annotations

import signal
from collections import Counter
from pathlib import Path

import pytest

from swansync.config import Settings
from swansync.sync import pull
from tests.schedule.test_sim import stored_counts, truth_counts
from tests.support.processes import HoldOne, swansync_child
from tests.support.settings import cloud
from trackersim.swanlab import SimServer, build_world

PROJECT = "alice/mnist-sweep"  # 112 runs in the small world


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_the_pull_at_a_transaction_boundary(tmp_path: Path, sig, code) -> None:
    world = build_world("small", seed=0)
    hold = HoldOne(nth=20)  # after the first batch of 16 runs committed
    db = tmp_path / "w.duckdb"
    with SimServer(world, port=0, faults=hold) as sim:
        args = ["pull", "--project", PROJECT, "--workers", "1", "--no-system"]
        args += ["--host", sim.url, "--db", str(db)]
        with swansync_child(args, {"SWANLAB_API_KEY": sim.api_key}, hold=hold) as child:
            assert hold.held.wait(timeout=300), "the pull never reached the held download"
            child.proc.send_signal(sig)
            said = child.wait_line("received")
            assert said, child.err
            hold.release.set()  # the fetch in flight completes; nothing new starts
            out = child.finish()
        err = child.err
        assert child.proc.returncode == code, (out, err)
        assert "Traceback" not in err
        assert [line for line in child.seen if signal.Signals(sig).name in line] == [said], err
        assert "pull #1 interrupted" in out

        counts, dupes, log = stored_counts(db)
        assert [status for _, status in log] == ["interrupted"]
        assert dupes == 0
        truth = Counter(
            {
                (r, k): n
                for (r, k), n in truth_counts(world.truth(), {PROJECT}).items()
                if not k.startswith("__swanlab__")
            }
        )
        runs_truth = {r for r, _ in truth}
        runs_stored = {r for r, _ in counts}
        # Stopped mid-pull: more than the first batch, far from everything, and every run that
        # landed is whole (its points and bookmarks committed together).
        assert 16 < len(runs_stored) < len(runs_truth) - 50
        for r in runs_stored:
            assert {k: n for (rr, k), n in counts.items() if rr == r} == {
                k: n for (rr, k), n in truth.items() if rr == r
            }, r

        # The next pull carries on and completes the mirror.
        settings = Settings(
            db=db,
            sources=(cloud(sim, projects=(PROJECT,), source_name=None),),
            system=False,
            env={},
        )
        assert pull(settings).status == "ok"
    counts, dupes, log = stored_counts(db)
    assert (counts, dupes) == (truth, 0)
    assert [status for _, status in log] == ["interrupted", "ok"]


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_second_signal_stops_at_once(tmp_path: Path, sig, code) -> None:
    """The first signal waits for the fetch in flight; the second does not: the process ends
    while that fetch is still held (for minutes), says so in one line, records `interrupted`
    and keeps what committed."""
    world = build_world("small", seed=0)
    hold = HoldOne(nth=20)
    db = tmp_path / "w.duckdb"
    conf = tmp_path / "swansync.toml"
    conf.write_text("timeout = 900\n")  # the held request would outlast any test
    with SimServer(world, port=0, faults=hold) as sim:
        args = ["pull", "--project", PROJECT, "--workers", "1", "--no-system"]
        args += ["--host", sim.url, "--db", str(db), "--config", str(conf)]
        with swansync_child(args, {"SWANLAB_API_KEY": sim.api_key}, hold=hold) as child:
            assert hold.held.wait(timeout=300), "the pull never reached the held download"
            child.proc.send_signal(sig)
            assert child.wait_line("received"), child.err
            child.proc.send_signal(sig)  # the held fetch is never released while the child lives
            child.finish(timeout=120)  # generous: the held request would take 900 s
        err = child.err
        assert child.proc.returncode == code, err
        assert "Traceback" not in err
        name = signal.Signals(sig).name
        lines = [line for line in child.seen if name in line]
        assert len(lines) == 2 and "again" in lines[1], err
        counts, dupes, log = stored_counts(db)
        assert dupes == 0
        assert [status for _, status in log] == ["interrupted"], log
    # What committed stays, whole: every run that landed has all its points.
    truth = truth_counts(world.truth(), {PROJECT})
    for r in {r for r, _ in counts}:
        assert {k: n for (rr, k), n in counts.items() if rr == r} == {
            k: n for (rr, k), n in truth.items() if rr == r and not k.startswith("__swanlab__")
        }, r

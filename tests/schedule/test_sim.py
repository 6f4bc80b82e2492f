"""The scheduler against the simulated SwanLab cloud: real pulls, a few cycles, and SIGTERM
arriving in the middle of a pull in a real ``swansync schedule`` process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from swansync.config import load_settings
from swansync.schedule import JobOutcome
from swansync.warehouse import Warehouse
from swansync.warehouse.snapshot import snapshot_info
from tests.support.settings import cloud
from trackersim.swanlab import SimServer, build_world

from .helpers import Daemon, assert_ok_until_stopped, fast, job, settings, wait_for


def truth_counts(truth: dict[str, Any], projects: set[str]) -> Counter[tuple[str, str]]:
    m = truth["metrics"]
    return Counter(
        (r, k) for p, r, k in zip(m["project"], m["run_id"], m["key"], strict=True) if p in projects
    )


def stored_counts(db: Path) -> tuple[Counter[tuple[str, str]], int, list[tuple[Any, ...]]]:
    with Warehouse(db, read_only=True) as wh:
        counts = Counter(
            {
                (r, k): n
                for r, k, n in wh.rows("SELECT run_id, key, count(*) FROM metrics GROUP BY ALL")
            }
        )
        dupes = wh.rows(
            "SELECT count(*) FROM (SELECT source, project, run_id, key, step FROM metrics "
            "GROUP BY ALL HAVING count(*) > 1)"
        )[0][0]
        log = wh.rows("SELECT id, status FROM _swansync.sync_log ORDER BY id")
    return counts, int(dupes), log


@pytest.mark.slow
def test_schedule_runs_a_few_cycles_against_the_simulator(tmp_path):
    world = build_world("small", seed=0)
    project = "vision-lab/detr"
    truth = world.truth(metrics=False)
    runs = truth["runs"]
    running = next(
        r
        for p, r, st in zip(runs["project"], runs["run_id"], runs["state"], strict=True)
        if p == project and st == "RUNNING"
    )
    serving = tmp_path / "serving.duckdb"
    grown = threading.Event()

    def after_pull(o: JobOutcome) -> None:
        if len(d.outcomes) < 3:
            world.grow(running, 40)  # the next cycle must pick this up
        else:
            grown.set()

    with SimServer(world) as sim:
        s = settings(
            tmp_path,
            job("detr", sources=(cloud(sim, projects=(project,)),)),
            serving=serving,
            workers=2,
        )
        d = Daemon(s, None, fast(0.2), on_outcome=after_pull)
        with d:
            wait_for(grown.is_set, timeout=120, what="three scheduled pulls")
        final_truth = world.truth()
    outcomes = d.outcomes
    assert_ok_until_stopped(outcomes)
    counts, dupes, log = stored_counts(s.db)
    assert dupes == 0
    assert counts == truth_counts(final_truth, {project})
    assert counts[(running, next(k for r, k in counts if r == running))] > 0
    ok_ids = [i for i, st in log if st == "ok"]
    assert len(ok_ids) >= 3
    assert [o.sync_id for o in outcomes if o.ok] == ok_ids
    assert snapshot_info(serving)["sync_id"] == ok_ids[-1]


def _start(cmd: list[Any], env: dict[str, str], **kw: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw
    )


def _get(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=10) as r:
        data: dict[str, Any] = json.loads(r.read())
        return data


@pytest.mark.slow
def test_sigterm_mid_pull_stops_cleanly_with_no_half_written_run(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SWANLAB_", "SWANSYNC_"))}
    env["HOME"] = str(tmp_path)  # no swanlab login file of the user's
    sim = _start(
        [sys.executable, "-m", "trackersim.swanlab", "serve", *("--world", "small", "--port", "0")],
        env,
    )
    daemon: subprocess.Popen[str] | None = None
    try:
        assert sim.stdout is not None
        ready = sim.stdout.readline().split()
        assert ready[:1] == ["READY"], sim.stderr.read() if sim.stderr else ""
        url, key = ready[1], ready[2]
        project = "alice/mnist-sweep"
        config = tmp_path / "swansync.toml"
        config.write_text(
            f'db = "w.duckdb"\nserving = "serving.duckdb"\nhost = "{url}"\nworkers = 1\n'
            f'apply_views = false\n\n[[jobs]]\nname = "sweep"\nprojects = ["{project}"]\n'
            'every = "1h"\n',
            encoding="utf-8",
        )
        s = load_settings(config_file=config, env={})
        daemon = _start(
            [sys.executable, "-m", "swansync", "-v", "schedule", "--config", str(config)],
            {**env, "SWANLAB_API_KEY": key},
            cwd=tmp_path,
        )

        def downloads() -> int:
            counters = _get(f"{url}/_sim/counters")
            return sum(c["requests"] for name, c in counters.items() if "/_files/" in name)

        # Mid-pull: metric files of ~10 of the project's 112 runs are downloaded (one worker).
        wait_for(lambda: downloads() >= 10 or daemon.poll() is not None, timeout=120)
        assert daemon.poll() is None, daemon.stderr.read() if daemon.stderr else ""
        daemon.send_signal(signal.SIGTERM)
        _, err = daemon.communicate(timeout=120)
        assert daemon.returncode == 0, err[-3000:]
        assert key not in err
        pulls = [
            json.loads(line.split(": ", 1)[1])
            for line in err.splitlines()
            if '"event": "pull"' in line
        ]
        assert [p["status"] for p in pulls] == ["interrupted"], err[-3000:]
        truth = truth_counts(_get(f"{url}/_sim/truth"), {project})

        counts, dupes, log = stored_counts(s.db)
        assert dupes == 0
        assert [st for _, st in log] == ["interrupted"]
        # Each run is either untouched (before the pull) or complete (after it): never half.
        by_run_truth: dict[str, Counter[str]] = {}
        for (r, k), n in truth.items():
            by_run_truth.setdefault(r, Counter())[k] = n
        by_run_stored: dict[str, Counter[str]] = {}
        for (r, k), n in counts.items():
            by_run_stored.setdefault(r, Counter())[k] = n
        done = [r for r in by_run_truth if r in by_run_stored]
        for r, stored in by_run_stored.items():
            assert stored == by_run_truth[r], r
        assert 0 < len(done) < len(by_run_truth), "the signal did not land mid-pull"
        assert not serving_exists(tmp_path)  # an interrupted pull publishes nothing

        # The next run (--once, as cron users do) completes the mirror exactly.
        config.write_text(config.read_text().replace("workers = 1", "workers = 4"))
        again = subprocess.run(
            [sys.executable, "-m", "swansync", "schedule", "--once", "--config", str(config)],
            env={**env, "SWANLAB_API_KEY": key},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert again.returncode == 0, again.stderr[-3000:]
        counts, dupes, log = stored_counts(s.db)
        assert (counts, dupes) == (truth, 0)
        assert [st for _, st in log] == ["interrupted", "ok"]
        assert snapshot_info(tmp_path / "serving.duckdb")["sync_id"] == 2
    finally:
        for proc in (daemon, sim):
            if proc is None:
                continue
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=30)  # reaps it and closes its pipes


def serving_exists(folder: Path) -> bool:
    return (folder / "serving.duckdb").exists()

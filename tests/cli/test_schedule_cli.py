"""`swansync schedule` as a process: exit codes on signals and what it logs by default."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from tests.cli.test_interrupt import PROJECT
from tests.schedule.test_sim import stored_counts
from tests.support.processes import HoldOne, clean_env, swansync_child
from trackersim.swanlab import SimServer, build_world


def write_config(tmp_path: Path, url: str, projects: list[str], every: str = "1h") -> Path:
    config = tmp_path / "swansync.toml"
    jobs = "".join(
        f'[[jobs]]\nname = "j{i}"\nsources.swanlab.projects = ["{p}"]\nevery = "{every}"\n\n'
        for i, p in enumerate(projects)
    )
    config.write_text(
        f'db = "{tmp_path / "w.duckdb"}"\nworkers = 1\n\n[sources.swanlab]\nhost = "{url}"\n\n'
        f"{jobs}",
        encoding="utf-8",
    )
    return config


def test_once_stopped_by_a_signal_exits_130_like_pull(tmp_path: Path) -> None:
    hold = HoldOne(nth=20)
    with SimServer(build_world("small", seed=0), port=0, faults=hold) as sim:
        config = write_config(tmp_path, sim.url, [PROJECT])
        args = ["schedule", "--once", "--config", str(config)]
        with swansync_child(args, {"SWANLAB_API_KEY": sim.api_key}, hold=hold) as child:
            assert hold.held.wait(timeout=300), "the pull never reached the held download"
            child.proc.send_signal(signal.SIGINT)
            assert child.wait_line("received"), child.err
            hold.release.set()
            child.finish()
    assert child.proc.returncode == 130, child.err
    assert '"status": "interrupted"' in child.err
    assert [status for _, status in stored_counts(tmp_path / "w.duckdb")[2]] == ["interrupted"]


def test_once_logs_one_line_per_pull_by_default(tmp_path: Path) -> None:
    with SimServer(build_world("small", seed=0), port=0) as sim:
        config = write_config(tmp_path, sim.url, ["alice/scratch-00", "alice/scratch-01"])
        result = subprocess.run(
            [sys.executable, "-m", "swansync", "schedule", "--once", "--config", str(config)],
            env=clean_env(SWANLAB_API_KEY=sim.api_key),
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 2 and all('"event": "pull"' in line for line in lines), result.stderr


def test_the_daemon_keeps_apscheduler_quiet_with_v_and_stops_with_0(tmp_path: Path) -> None:
    with SimServer(build_world("small", seed=0), port=0) as sim:
        config = write_config(tmp_path, sim.url, ["alice/scratch-00"])
        args = ["-v", "schedule", "--config", str(config)]
        with swansync_child(args, {"SWANLAB_API_KEY": sim.api_key}) as child:
            assert child.wait_line('"event": "pull"'), child.err
            child.proc.send_signal(signal.SIGTERM)
            child.finish()
    assert child.proc.returncode == 0, child.err
    assert "apscheduler" not in child.err, child.err

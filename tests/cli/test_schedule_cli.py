"""`swansync schedule` as a process: exit codes on signals and what it logs by default."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.cli.test_interrupt import PROJECT, HoldOne, lines_of, wait_line
from tests.schedule.test_sim import stored_counts
from trackersim.swanlab import SimServer, build_world

ENV = {k: v for k, v in os.environ.items() if not k.startswith(("SWANLAB_", "SWANSYNC_"))}


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
        child = subprocess.Popen(
            [sys.executable, "-m", "swansync", "schedule", "--once", "--config", str(config)],
            env={**ENV, "SWANLAB_API_KEY": sim.api_key},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert hold.held.wait(timeout=300), "the pull never reached the held download"
            err_lines = lines_of(child.stderr)  # type: ignore[arg-type]
            seen: list[str] = []
            child.send_signal(signal.SIGINT)
            assert wait_line(err_lines, "received", seen), "".join(seen)
            hold.release.set()
            child.wait(timeout=300)
            while (line := err_lines.get(timeout=60)) != "":
                seen.append(line)
        finally:
            hold.release.set()
            if child.poll() is None:
                child.kill()  # our own child, by its handle
                child.wait(timeout=60)
            for pipe in (child.stdout, child.stderr):
                if pipe is not None:
                    pipe.close()
    err = "".join(seen)
    assert child.returncode == 130, err
    assert '"status": "interrupted"' in err
    assert [status for _, status in stored_counts(tmp_path / "w.duckdb")[2]] == ["interrupted"]


def test_once_logs_one_line_per_pull_by_default(tmp_path: Path) -> None:
    with SimServer(build_world("small", seed=0), port=0) as sim:
        config = write_config(tmp_path, sim.url, ["alice/scratch-00", "alice/scratch-01"])
        result = subprocess.run(
            [sys.executable, "-m", "swansync", "schedule", "--once", "--config", str(config)],
            env={**ENV, "SWANLAB_API_KEY": sim.api_key},
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
        child = subprocess.Popen(
            [sys.executable, "-m", "swansync", "-v", "schedule", "--config", str(config)],
            env={**ENV, "SWANLAB_API_KEY": sim.api_key},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            err_lines = lines_of(child.stderr)  # type: ignore[arg-type]
            seen: list[str] = []
            assert wait_line(err_lines, '"event": "pull"', seen), "".join(seen)
            child.send_signal(signal.SIGTERM)
            child.wait(timeout=300)
            while (line := err_lines.get(timeout=60)) != "":
                seen.append(line)
        finally:
            if child.poll() is None:
                child.kill()  # our own child, by its handle
                child.wait(timeout=60)
            for pipe in (child.stdout, child.stderr):
                if pipe is not None:
                    pipe.close()
    err = "".join(seen)
    assert child.returncode == 0, err
    assert "apscheduler" not in err, err

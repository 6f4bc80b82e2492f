"""Issue 13's "done when": four ``swansync pull`` processes write one lake at once -- two on
disjoint halves of the projects, two on all of them, one SIGKILLed mid-pull and re-run -- against
a simulated SwanLab cloud that injects faults; the lake ends equal to the truth with no key twice,
and a reader process querying the lake throughout never errors and never sees a half-applied pull.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.compare import compare
from trackersim.swanlab import Faults, SimServer, build_world

from .conftest import REPO, Lake
from .test_pull import _migrated, _zero_sign_loose, duplicates  # noqa: F401 (autouse fixture)


@pytest.fixture
def sim() -> Iterator[Any]:
    world = build_world("small", seed=0)
    with SimServer(world, port=0) as server:
        yield server


def _pull(
    sim: Any,
    lake: Lake,
    projects: list[str],
    tmp: Path,
    name: str,
    kill: tuple[int, str] | None = None,
) -> subprocess.Popen[bytes]:
    """``swansync pull`` of ``projects`` into the lake in a process of its own, SIGKILLed at its
    ``kill`` = (n, before|after) lake transaction; the default retry budget meets the faults."""
    env = {k: v for k, v in lake.env.items() if not k.startswith(("SWANLAB_", "SWANSYNC_"))}
    env["SWANLAB_API_KEY"] = sim.api_key
    env["PYTHONPATH"] = str(REPO)
    cfg = tmp / f"{name}.toml"
    cfg.write_text("backoff = 0.01\nretries = 5\napply_views = false\n", encoding="utf-8")
    head = ["tests.lake.killpoint", str(kill[0]), kill[1], "--"] if kill else ["swansync"]
    cmd = [sys.executable, "-m", *head, "pull", "--host", sim.url]
    cmd += ["--db", "ducklake:postgres:" + lake.catalog, "--data-path", lake.data_path]
    cmd += ["--source-name", "sim", "--workers", "2", "--json", "--config", str(cfg)]
    for p in projects:
        cmd += ["--project", p]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp)


def _ok(proc: subprocess.Popen[bytes]) -> None:
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err.decode(errors="replace")[-2000:]
    assert json.loads(out)["status"] == "ok"


def _killed(proc: subprocess.Popen[bytes]) -> None:
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == -signal.SIGKILL, err.decode(errors="replace")[-2000:]


def test_four_workers_with_faults_and_kills_and_a_reader(
    sim: Any, lake: Lake, tmp_path: Path
) -> None:
    uri = "ducklake:postgres:" + lake.catalog
    projects = sorted(sim.world.projects())
    _migrated(lake)
    stop = tmp_path / "stop-reading"
    reader = subprocess.Popen(
        [sys.executable, "-m", "tests.lake.reader", uri, str(stop)],
        env={**lake.env, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
    )
    try:
        sim.faults = Faults.hostile(rate=0.1, seed=13, drip_ms=1)
        # Round 1: disjoint halves, and two workers on everything, both killed mid-pull: one
        # before a commit (the block ran, COMMIT never did), one right after another commit.
        first = [
            _pull(sim, lake, projects[0::2], tmp_path, "even"),
            _pull(sim, lake, projects[1::2], tmp_path, "odd"),
            _pull(sim, lake, projects, tmp_path, "doomed", kill=(4, "before")),
            _pull(sim, lake, projects, tmp_path, "late", kill=(3, "after")),
        ]
        for proc in first[:2]:
            _ok(proc)
        for proc in first[2:]:
            _killed(proc)
        # Round 2: the world grows; the killed workers are re-run beside two overlapping ones.
        sim.world.tick(0)
        second = [
            _pull(sim, lake, projects, tmp_path, "doomed"),
            _pull(sim, lake, projects, tmp_path, "late"),
            _pull(sim, lake, projects[:2], tmp_path, "front"),
            _pull(sim, lake, projects[1:], tmp_path, "back"),
        ]
        for proc in second:
            _ok(proc)
        injected = dict(sim.faults.injected)
        sim.faults = Faults()
    finally:
        stop.touch()
        out, err = reader.communicate(timeout=300)
    assert reader.returncode == 0, err.decode(errors="replace")[-2000:]
    seen = json.loads(out)
    assert sum(injected.values()) > 0, "no fault was drawn: the test proves nothing"
    assert seen["errors"] == []
    assert seen["torn"] == []
    assert seen["nonempty"] > 0, seen  # the reader did read while data was there
    assert compare(uri, sim.world.truth(), "sim") == []
    assert duplicates(uri) == {}

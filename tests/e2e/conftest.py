"""Fixtures: a simulated cloud in this process (hostile: ``small`` is, and the ``demo`` worlds
used here are built with ``hostile=True``), settings pointing at it, and a CLI pull."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from swansync.config import Secret, Settings
from trackersim.swanlab import SimServer, build_world


@pytest.fixture
def sim_small() -> Iterator[Any]:
    world = build_world("small", seed=0)
    with SimServer(world, port=0) as sim:
        yield sim


def settings_for(sim: Any, db: Path, **kw: Any) -> Settings:
    kw.setdefault("projects", tuple(sim.world.projects()))
    return Settings(
        db=db,
        host=sim.url,
        api_key=Secret(sim.api_key),
        source_name="sim",
        apply_views=False,
        backoff=0.01,
        env={},
        **kw,
    )


def start_pull(sim: Any, db: Path, *extra: str, retries: int = 3) -> subprocess.Popen[bytes]:
    """``swansync pull`` of every project of ``sim`` in a child process (``--json`` output).

    The key travels in the environment (``ps`` would show a flag); a config file sets fast
    backoff so that retries cost milliseconds."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SWANLAB_", "SWANSYNC_"))}
    env["SWANLAB_API_KEY"] = sim.api_key
    cfg = db.parent / f"{db.stem}.toml"
    cfg.write_text(f"backoff = 0.01\nretries = {retries}\napply_views = false\n", encoding="utf-8")
    cmd = [
        sys.executable,
        "-m",
        "swansync",
        "pull",
        "--host",
        sim.url,
        "--db",
        str(db),
        "--source-name",
        "sim",
        "--workers",
        "2",
        "--json",
        "--config",
        str(cfg),
        *extra,
    ]
    for p in sim.world.projects():
        cmd += ["--project", p]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

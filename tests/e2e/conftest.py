"""Fixtures: a simulated cloud in this process and settings pointing at it."""

from __future__ import annotations

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

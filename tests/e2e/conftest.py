"""Fixtures: a simulated cloud in this process and settings pointing at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from swansync.config import Settings
from tests.support.settings import sim_settings
from trackersim.swanlab import SimServer, build_world


@pytest.fixture
def sim_small() -> Iterator[Any]:
    world = build_world("small", seed=0)
    with SimServer(world, port=0) as sim:
        yield sim


def settings_for(sim: Any, db: Path, **kw: Any) -> Settings:
    return sim_settings(sim, db, **kw)

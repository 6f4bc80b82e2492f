"""Fixtures every test folder may use; helpers that are not fixtures live in tests/support/."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from tests.support.fake_source import FakeRun, FakeSource
from trackersim.swanlab import SimServer, World, build_world


@pytest.fixture
def serve_world() -> Iterator[Callable[..., SimServer]]:
    """``serve_world("small", seed=0, **options)`` (or ``serve_world(world)``): a simulated
    SwanLab cloud on 127.0.0.1 and a free port, stopped when the test ends."""
    with ExitStack() as stack:

        def start(world: str | World = "small", *, seed: int = 0, **options: Any) -> SimServer:
            w = build_world(world, seed=seed) if isinstance(world, str) else world
            w.options.update(options)
            return stack.enter_context(SimServer(w, port=0))

        yield start


@pytest.fixture
def fake_source() -> FakeSource:
    """An in-memory source: a finished run with two keys, a running one, one without metrics."""
    return FakeSource(
        [
            FakeRun("a", ["loss", "acc"], 50),
            FakeRun("b", ["loss"], 30, state="RUNNING"),
            FakeRun("c", [], 0),
        ]
    )

"""Fixtures for the simulator tests: worlds, a running server and a logged-in client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from trackersim.swanlab import SimServer, World, build_world

from .simclient import Client


@pytest.fixture(scope="module")
def small_world() -> World:
    """A shared small world: tests using it must not move time."""
    return build_world("small", seed=0)


@pytest.fixture(scope="module")
def small_sim(small_world: World) -> Iterator[SimServer]:
    with SimServer(small_world, port=0) as sim:
        yield sim


@pytest.fixture
def client(small_sim: SimServer) -> Iterator[Client]:
    c = Client(small_sim)
    yield c
    c.close()


@pytest.fixture
def fresh() -> Iterator[tuple[World, SimServer, Client]]:
    """A private small world + server + client, for tests that move time or set faults."""
    world = build_world("small", seed=0)
    with SimServer(world, port=0) as sim:
        c = Client(sim)
        yield world, sim, c
        c.close()

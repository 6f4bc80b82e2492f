"""Fixtures for the W&B simulator tests: worlds, a running server and a GraphQL client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from trackersim.wandb import SimServer, World, build_world

from .client import Gql


@pytest.fixture(scope="module")
def small_world() -> World:
    """A shared small world: tests using it must not move time."""
    return build_world("small", seed=0)


@pytest.fixture(scope="module")
def small_sim(small_world: World) -> Iterator[SimServer]:
    with SimServer(small_world, port=0) as sim:
        yield sim


@pytest.fixture
def gql(small_sim: SimServer) -> Iterator[Gql]:
    client = Gql(small_sim)
    yield client
    client.close()


@pytest.fixture
def fresh() -> Iterator[tuple[World, SimServer, Gql]]:
    """A private small world + server + client, for tests that move time or set faults."""
    world = build_world("small", seed=0)
    with SimServer(world, port=0) as sim:
        client = Gql(sim)
        yield world, sim, client
        client.close()

"""Fixtures for the W&B cloud source: a private simulated W&B server per test (tests move its
time and set its faults) and settings that pull from it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from swansync.config import Secret, Settings
from swansync.sources.wandb.cloud.source import WandbCloudSource
from swansync.sources.wandb.plugin import WandbCloud
from trackersim.wandb import SimServer, World, build_world

SOURCE = "sim"


def cloud(sim: SimServer, projects: tuple[str, ...] | None = None, **kw: Any) -> WandbCloud:
    kw.setdefault("source_name", SOURCE)
    kw.setdefault("api_key", Secret(sim.api_key))
    return WandbCloud(
        projects=tuple(sim.world.projects()) if projects is None else projects,
        host=sim.url,
        **kw,
    )


def settings(
    sim: SimServer, db: Path, projects: tuple[str, ...] | None = None, **kw: Any
) -> Settings:
    cloud_kw = {k: kw.pop(k) for k in ("entities", "api_key", "source_name") if k in kw}
    kw.setdefault("apply_views", False)
    kw.setdefault("backoff", 0.01)
    kw.setdefault("env", {})
    return Settings(db=db, sources=(cloud(sim, projects, **cloud_kw),), **kw)


def spy_source(
    sim: SimServer, projects: tuple[str, ...] | None = None, **kw: Any
) -> tuple[WandbCloudSource, list[tuple[str, Any]]]:
    """A source for ``sim`` whose GraphQL requests are recorded as (operation, variables)."""
    kw.setdefault("backoff", 0.01)
    source = WandbCloudSource(
        sim.url,
        sim.api_key,
        name=SOURCE,
        projects=tuple(sim.world.projects()) if projects is None else projects,
        **kw,
    )
    sent: list[tuple[str, Any]] = []
    real = source.client.http.request

    def request(method: str, url: str, *args: Any, **kws: Any) -> Any:
        body = json.loads(kws["data"])
        sent.append((body["operationName"], body["variables"]))
        return real(method, url, *args, **kws)

    source.client.http.request = request  # type: ignore[method-assign]
    return source, sent


@pytest.fixture
def world() -> World:
    return build_world("small", seed=0)


@pytest.fixture
def sim(world: World) -> Iterator[SimServer]:
    with SimServer(world, port=0) as server:
        yield server


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "wh.duckdb"

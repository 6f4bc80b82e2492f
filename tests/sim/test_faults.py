"""Fault injection: 429 + Retry-After, 5xx bodies, dropped connections, slowness, per-run
permanent failures, route limits, determinism."""

from __future__ import annotations

import time

import pytest
import requests

from trackersim.errors import SimConfigError
from trackersim.swanlab import Faults, SimServer, World

from .simclient import Client, run_named, run_ref


def test_429_with_retry_after(fresh: tuple[World, SimServer, Client]) -> None:
    _, sim, c = fresh
    sim.faults = Faults(rate_429=1.0, retry_after=3)
    resp = c.get("/project/alice", page=1, size=10)
    assert resp.status_code == 429
    assert resp.headers["Retry-After"] == "3"
    assert set(resp.json()) == {"code", "message"} and resp.headers["traceid"]


def test_5xx_bodies_and_login_untouched(fresh: tuple[World, SimServer, Client]) -> None:
    _, sim, c = fresh
    sim.faults = Faults(rate_5xx=1.0, seed=5)
    statuses = {c.get("/project/alice", page=1, size=10).status_code for _ in range(30)}
    assert statuses == {500, 502, 503}
    resp = c.get("/project/alice/quirks")
    assert resp.json()["code"] == "INTERNAL_ERROR"
    fresh_client = Client(sim)  # login is not a data route: it still works
    try:
        assert fresh_client.session.cookies.get("sid")
    finally:
        fresh_client.close()


def test_dropped_connection(fresh: tuple[World, SimServer, Client]) -> None:
    _, sim, c = fresh
    sim.faults = Faults(rate_reset=1.0)
    with pytest.raises(requests.ConnectionError):
        c.get("/project/alice", page=1, size=10)
    sim.faults = Faults()
    assert c.get("/project/alice", page=1, size=10).status_code == 200


def test_route_limits_and_download_faults(fresh: tuple[World, SimServer, Client]) -> None:
    world, sim, c = fresh
    sim.faults = Faults(rate_5xx=1.0, routes=["POST /api/house/metrics/scalar/export"])
    assert c.get("/project/alice", page=1, size=10).status_code == 200
    rid = run_named(world, "alice/quirks", "kitchen-sink")
    ref = run_ref(world, rid)
    body = {"projectId": ref["projectId"], "columns": [{**ref, "key": "loss"}]}
    assert c.post("/house/metrics/scalar/export", body).status_code >= 500
    sim.faults = Faults()
    cos = c.ok(c.post("/house/metrics/scalar/export", body))["cosKey"]
    url = c.ok(c.post("/files/presigned/get", {"paths": [cos]}))["urls"][0]
    sim.faults = Faults(rate_429=1.0, routes=["GET /_files/"])
    with requests.Session() as plain:
        assert plain.get(url).status_code == 429
    sim.faults = Faults(routes=["POST /api/login/api_key"], rate_5xx=1.0)
    with requests.Session() as s:
        resp = s.post(sim.url + "/api/login/api_key", headers={"authorization": sim.api_key})
        assert resp.status_code >= 500


def test_fail_runs_is_permanent_for_that_run_only(fresh: tuple[World, SimServer, Client]) -> None:
    world, sim, c = fresh
    bad = run_named(world, "alice/quirks", "kitchen-sink")
    good = run_named(world, "alice/quirks", "long-ish")
    sim.faults = Faults(fail_runs={bad: 500})
    for _ in range(3):
        assert c.get(f"/project/alice/quirks/runs/{bad}").status_code == 500
        body = {"experiments": [run_ref(world, bad)], "limit": 10, "cursor": ""}
        assert c.post("/house/metrics/scalar/keys", body).status_code == 500
    slug = world.run(bad).slug
    sim.faults = Faults(fail_runs={str(slug): 503})
    assert c.get(f"/project/alice/quirks/runs/{slug}").status_code == 503
    assert c.get(f"/project/alice/quirks/runs/{good}").status_code == 200


def test_faults_are_deterministic_from_seed(fresh: tuple[World, SimServer, Client]) -> None:
    _, sim, c = fresh

    def pattern() -> list[int]:
        return [c.get("/project/alice", page=1, size=10).status_code for _ in range(25)]

    sim.faults = Faults(rate_429=0.3, rate_5xx=0.3, seed=42)
    first = pattern()
    sim.faults = Faults(rate_429=0.3, rate_5xx=0.3, seed=42)
    assert pattern() == first
    assert 200 in first and 429 in first and any(s >= 500 for s in first)


def test_slow_responses(fresh: tuple[World, SimServer, Client]) -> None:
    _, sim, c = fresh
    sim.faults = Faults(slow_ms=150)
    t0 = time.perf_counter()
    assert c.get("/project/alice/quirks").status_code == 200
    assert time.perf_counter() - t0 >= 0.15


def test_counters_count_requests_and_bytes(fresh: tuple[World, SimServer, Client]) -> None:
    _, sim, c = fresh
    sim.counters.reset()
    r1 = c.get("/project/alice/quirks")
    r2 = c.get("/project/alice/mnist-sweep")
    route = "GET /api/project/{ws}/{proj}"
    assert sim.counters.requests(route) == 2
    assert sim.counters.bytes(route) == len(r1.content) + len(r2.content)
    assert sim.counters.snapshot()[route] == (2, len(r1.content) + len(r2.content))
    assert sim.counters.requests() == 2
    sim.counters.reset()
    assert sim.counters.requests() == 0 and sim.counters.snapshot() == {}


def test_bad_fault_settings() -> None:
    with pytest.raises(SimConfigError):
        Faults.from_dict({"rate_teapot": 1})

"""Fault injection at the byte level: every action, scripts, operation limits, per-run failures."""

from __future__ import annotations

import base64
import http.client
import json
import socket

import pytest
import requests

from trackersim.errors import SimConfigError
from trackersim.wandb import Faults, SimServer, World

from .client import Gql, named

VIEWER = "query Viewer { viewer { id } }"
RUNS = 'query Runs { project(name: "quirks", entityName: "alice") { runCount } }'


def _raw(sim: SimServer, query: str) -> tuple[int, dict[str, str], bytes, bool]:
    """(status, headers, body bytes as read until EOF, connection closed) via a raw socket."""
    body = json.dumps({"query": query}).encode()
    auth = "Basic " + base64.b64encode(f"api:{sim.api_key}".encode()).decode()
    head = (
        f"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Authorization: {auth}\r\nContent-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", sim.port), timeout=5) as s:
        s.sendall(head + body)
        data = b""
        closed = False
        while True:
            try:
                chunk = s.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                closed = True
                break
            data += chunk
            if b"\r\n\r\n" in data:
                top, _, rest = data.partition(b"\r\n\r\n")
                length = int(dict(_headers(top)).get("content-length", "0"))
                if len(rest) >= length:
                    s.settimeout(0.3)
    if not data:
        return 0, {}, b"", closed
    top, _, rest = data.partition(b"\r\n\r\n")
    status = int(top.split(b" ", 2)[1])
    return status, dict(_headers(top)), rest, closed


def _headers(top: bytes) -> list[tuple[str, str]]:
    lines = top.decode().split("\r\n")[1:]
    return [(k.strip().lower(), v.strip()) for k, _, v in (line.partition(":") for line in lines)]


def test_429_with_and_without_retry_after(fresh: tuple[World, SimServer, Gql]) -> None:
    _, sim, gql = fresh
    sim.faults = Faults(rate_429=1.0, retry_after=3)
    resp = gql.post(RUNS)
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "3"
    assert resp.json()["errors"][0]["message"]
    assert gql.post(VIEWER).status_code == 200  # Viewer is spared unless named
    sim.faults = Faults(rate_429=1.0, retry_after=None)
    assert "Retry-After" not in gql.post(RUNS).headers


def test_5xx_and_html_pages(fresh: tuple[World, SimServer, Gql]) -> None:
    _, sim, gql = fresh
    sim.faults = Faults(rate_5xx=1.0, seed=5)
    assert {gql.post(RUNS).status_code for _ in range(30)} == {500, 502, 503, 504}
    sim.faults = Faults(rate_proxy_502=1.0)
    resp = gql.post(RUNS)
    assert resp.status_code == 502 and resp.headers["Content-Type"] == "text/html"
    assert b"nginx" in resp.content
    sim.faults = Faults(rate_html_200=1.0)
    resp = gql.post(RUNS)
    assert resp.status_code == 200 and resp.text.startswith("<!DOCTYPE html>")
    with pytest.raises(json.JSONDecodeError):
        resp.json()


def test_connection_faults(fresh: tuple[World, SimServer, Gql]) -> None:
    _, sim, gql = fresh
    sim.faults = Faults(script=["reset"])
    with pytest.raises(requests.ConnectionError):
        gql.post(RUNS)
    sim.faults = Faults(script=["reset_headers"])
    status, headers, body, closed = _raw(sim, RUNS)
    assert status == 200 and int(headers["content-length"]) > 0 and body == b"" and closed
    sim.faults = Faults(script=["reset_body"])
    status, headers, body, closed = _raw(sim, RUNS)
    assert 0 < len(body) < int(headers["content-length"]) and closed
    sim.faults = Faults(script=["truncate"])
    status, headers, body, closed = _raw(sim, RUNS)
    assert status == 200 and len(body) == int(headers["content-length"]) and not closed
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)  # a clean, complete-looking answer that is cut short
    sim.faults = Faults(script=["drip"], drip_bytes=3, drip_ms=0)
    assert gql.post(RUNS).json()["data"]["project"]["runCount"] == 14


def test_requests_sees_a_short_body_after_a_mid_body_reset(
    fresh: tuple[World, SimServer, Gql],
) -> None:
    _, sim, gql = fresh
    sim.faults = Faults(script=["reset_body"])
    with pytest.raises(
        (
            requests.ConnectionError,
            requests.exceptions.ChunkedEncodingError,
            http.client.IncompleteRead,
        )
    ):
        gql.post(RUNS)


def test_script_operation_limits_and_failing_runs(fresh: tuple[World, SimServer, Gql]) -> None:
    world, sim, gql = fresh
    sim.faults = Faults(script=["429", "ok", "5xx"], operations=["Runs"])
    assert gql.post(VIEWER).status_code == 200  # not a listed operation: no script consumed
    assert [gql.post(RUNS).status_code for _ in range(4)][:2] == [429, 200]
    assert sim.faults.script == []
    sim.faults = Faults(rate_429=1.0, operations=["Viewer"])
    assert gql.post(VIEWER).status_code == 429 and gql.post(RUNS).status_code == 200
    bad = named(world, "gappy")
    sim.faults = Faults(fail_runs={bad.name: 500})
    q = (
        'query R($n: String!) { project(name: "quirks", entityName: "alice") {'
        " run(name: $n) { name } } }"
    )
    assert gql.post(q, {"n": bad.name}).status_code == 500
    assert gql.post(q, {"n": named(world, "resumed").name}).status_code == 200
    with pytest.raises(SimConfigError, match="unknown fault settings"):
        Faults.from_dict({"rate_teapot": 1})
    with pytest.raises(SimConfigError, match="unknown scripted fault"):
        Faults(script=["teapot"])


def test_rates_are_deterministic_from_the_seed() -> None:
    a = Faults(rate_429=0.3, rate_5xx=0.3, seed=7)
    b = Faults(rate_429=0.3, rate_5xx=0.3, seed=7)
    assert [a.decide("Runs") for _ in range(50)] == [b.decide("Runs") for _ in range(50)]
    assert {a.decide("Runs")[0] for _ in range(200)} == {"ok", "429", "5xx"}


def test_counters_count_every_answer_by_operation(fresh: tuple[World, SimServer, Gql]) -> None:
    _, sim, gql = fresh
    sim.counters.reset()
    gql.post(VIEWER)
    gql.post(RUNS)
    gql.post(RUNS)
    gql.post("{ viewer { id } }")
    gql.session.post(sim.url + "/graphql", data=b"x", timeout=5)
    snap = sim.counters.snapshot()
    assert {k: v[0] for k, v in snap.items()} == {
        "Viewer": 1,
        "Runs": 2,
        "<anonymous>": 1,
        "<invalid>": 1,
    }
    assert sim.counters.bytes("Runs") > 0 and sim.counters.requests() == 5

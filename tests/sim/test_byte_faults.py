"""Byte-level faults: each kind breaks an answer the way a real network, proxy or object store
does, per route class, deterministically; expired URLs stay expired; page shifts repeat items."""

from __future__ import annotations

import http.client
import socket
from typing import Any

import pytest
import requests

from trackersim.errors import SimConfigError
from trackersim.swanlab import Faults, SimServer, World
from trackersim.swanlab.faults import KINDS

from .simclient import Client, run_named, run_ref

Q = "alice/quirks"


def export_url(c: Client, world: World) -> str:
    rid = run_named(world, Q, "long-ish")
    ref = run_ref(world, rid)
    body = {"projectId": ref["projectId"], "columns": [{**ref, "key": "loss"}]}
    cos = c.ok(c.post("/house/metrics/scalar/export", body))["cosKey"]
    return str(c.ok(c.post("/files/presigned/get", {"paths": [cos]}))["urls"][0])


def raw_get(sim: SimServer, path: str) -> tuple[int, dict[str, str], bytes, BaseException | None]:
    """GET with http.client: status, headers, the bytes that arrived, and how reading ended."""
    conn = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=30)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        headers = {k.lower(): v for k, v in resp.getheaders()}
        try:
            return resp.status, headers, resp.read(), None
        except http.client.IncompleteRead as e:
            return resp.status, headers, e.partial, e
    finally:
        conn.close()


@pytest.fixture
def csv_path(fresh: tuple[World, SimServer, Client]) -> str:
    world, sim, c = fresh
    url = export_url(c, world)
    return url.removeprefix(sim.url)


def test_truncated_bodies(fresh: tuple[World, SimServer, Client], csv_path: str) -> None:
    _, sim, _ = fresh
    _, _, whole, error = raw_get(sim, csv_path)
    assert error is None and len(whole) > 10_000
    sim.faults = Faults(rate_truncate_chunked=1.0)
    _, headers, got, error = raw_get(sim, csv_path)
    assert headers["transfer-encoding"] == "chunked"
    assert isinstance(error, http.client.IncompleteRead) and 0 < len(got) < len(whole)
    assert whole.startswith(got)
    sim.faults = Faults(rate_truncate_length=1.0)
    _, headers, got, error = raw_get(sim, csv_path)
    assert int(headers["content-length"]) == len(whole) > len(got) > 0
    assert isinstance(error, http.client.IncompleteRead)


@pytest.mark.parametrize("kind", ["reset_headers", "reset_body"])
def test_resets_after_the_headers_and_mid_body(
    fresh: tuple[World, SimServer, Client], csv_path: str, kind: str
) -> None:
    _, sim, _ = fresh
    sim.faults = Faults.from_dict({f"rate_{kind}": 1.0})
    # issue 10's error: urllib3 retries requests, not the reading of a body
    with pytest.raises(requests.exceptions.ChunkedEncodingError, match="reset by peer"):
        requests.get(sim.url + csv_path, timeout=30)
    conn = socket.create_connection(("127.0.0.1", sim.port), timeout=30)
    try:
        conn.sendall(f"GET {csv_path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        got = b""
        with pytest.raises(ConnectionResetError):
            while data := conn.recv(65536):
                got += data
    finally:
        conn.close()


def test_a_reset_after_the_headers_leaves_a_200(
    fresh: tuple[World, SimServer, Client], csv_path: str
) -> None:
    """The status line arrived: only reading the body fails."""
    _, sim, _ = fresh
    sim.faults = Faults(rate_reset_headers=1.0)
    with requests.get(sim.url + csv_path, timeout=30, stream=True) as resp:
        assert resp.status_code == 200
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            resp.content  # noqa: B018


def test_slow_drip_delivers_the_whole_body(
    fresh: tuple[World, SimServer, Client], csv_path: str
) -> None:
    _, sim, _ = fresh
    _, _, whole, _ = raw_get(sim, csv_path)
    sim.faults = Faults(rate_drip=1.0, drip_ms=1)
    status, _, got, error = raw_get(sim, csv_path)
    assert status == 200 and error is None and got == whole
    assert sim.faults.injected["drip"] == 1


def test_html_pages(fresh: tuple[World, SimServer, Client]) -> None:
    _, sim, c = fresh
    sim.faults = Faults(rate_html_200=1.0)
    resp = c.get("/project/alice", page=1, size=10)
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/html")
    assert resp.text.startswith("<!DOCTYPE html>")
    with pytest.raises(ValueError):
        resp.json()
    sim.faults = Faults(rate_html_502=1.0)
    resp = c.get("/project/alice", page=1, size=10)
    assert resp.status_code == 502 and "nginx" in resp.text


def test_expired_url_needs_a_fresh_presign(fresh: tuple[World, SimServer, Client]) -> None:
    world, sim, c = fresh
    url = export_url(c, world)
    sim.faults = Faults(rate_expired=1.0)
    assert c.get("/project/alice", page=1, size=10).status_code == 200  # JSON routes: no expiry
    with requests.Session() as plain:
        first = plain.get(url, timeout=30)
        assert first.status_code == 403 and b"Request has expired" in first.content
        sim.faults = Faults(rate_expired=0.0)
        sim.faults.expire(url.split("signature=")[1])  # the same URL stays expired
        assert plain.get(url, timeout=30).status_code == 403
        fresh_url = export_url(c, world)
        assert plain.get(fresh_url, timeout=30).status_code == 200


def test_faults_per_route_class(fresh: tuple[World, SimServer, Client], csv_path: str) -> None:
    _, sim, c = fresh
    sim.faults = Faults(classes={"download": {"rate_html_502": 1.0}})
    assert c.get("/project/alice", page=1, size=10).status_code == 200
    assert raw_get(sim, csv_path)[0] == 502
    sim.faults = Faults(rate_html_502=1.0, classes={"download": {"rate_html_502": 0.0}})
    assert c.get("/project/alice", page=1, size=10).status_code == 502
    assert raw_get(sim, csv_path)[0] == 200
    sim.faults = Faults(classes={"login": {"rate_html_502": 1.0}})
    assert c.get("/project/alice", page=1, size=10).status_code == 200
    with requests.Session() as s:
        login = s.post(sim.url + "/api/login/api_key", headers={"authorization": sim.api_key})
        assert login.status_code == 502 and "nginx" in login.text
    with pytest.raises(SimConfigError):
        Faults(classes={"teapot": {}})
    with pytest.raises(SimConfigError):
        Faults(classes={"json": {"rate_teapot": 1.0}})


def test_hostile_faults_cover_every_kind_deterministically(
    fresh: tuple[World, SimServer, Client],
) -> None:
    def draws(faults: Faults) -> list[str]:
        out: list[str] = []
        for i in range(400):
            klass: Any = "download" if i % 2 else "json"
            out.append(faults.decide("GET /x", True, f"request {i // 3}", klass).action)
        return out

    first = draws(Faults.hostile(rate=0.5, seed=7))
    assert first == draws(Faults.hostile(rate=0.5, seed=7))
    assert first != draws(Faults.hostile(rate=0.5, seed=8))
    assert set(first) == {"ok", *KINDS}
    json_actions = {a for i, a in enumerate(first) if i % 2 == 0}
    assert "expired" not in json_actions  # only downloads expire
    assert 0.3 < first.count("ok") / len(first) < 0.7


def test_page_shift_repeats_an_item(fresh: tuple[World, SimServer, Client]) -> None:
    world, sim, c = fresh
    project = "alice/mnist-sweep"
    before = set(world.runs(project))
    first = c.ok(c.get(f"/project/{project}/runs", page=1, size=50))["list"]
    sim.faults = Faults(rate_page_shift=1.0)
    second = c.ok(c.get(f"/project/{project}/runs", page=2, size=50))["list"]
    assert second[0]["cuid"] == first[-1]["cuid"]  # the run pushed down by the new one
    added = set(world.runs(project)) - before
    assert len(added) == 1 and sim.faults.injected["page_shift"] == 1
    assert c.ok(c.get(f"/project/{project}/runs", page=1, size=50))["list"][0]["cuid"] in added
    # Page 1 never shifts (nothing was listed yet); other routes never do.
    c.get(f"/project/{project}/runs", page=1, size=50)
    c.get(f"/project/{project}", page=2)
    assert len(world.runs(project)) == len(before) + 1

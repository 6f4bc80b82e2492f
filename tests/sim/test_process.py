"""The subprocess form (`python -m trackersim.swanlab serve`) and the loopback control routes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest
import requests

from trackersim.swanlab import SimServer, build_world


def _serve(*extra: str) -> Iterator[tuple[str, str, subprocess.Popen[str]]]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "trackersim.swanlab",
            "serve",
            "--world",
            "small",
            "--port",
            "0",
            "--seed",
            "1",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().split()
        assert line[0] == "READY", line
        yield line[1], line[2], proc
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def served() -> Iterator[tuple[str, str, subprocess.Popen[str]]]:
    yield from _serve()


def test_serve_friendly_and_faults_through_control_routes() -> None:
    for url, key, _ in _serve("--friendly"):
        with requests.Session() as s:
            info = s.get(url + "/_sim/info").json()
            assert info["options"]["csv_bom"] is False
            assert "alice/hostile.v2+x_-" not in info["projects"]
            faults = {"seed": 2, "classes": {"json": {"rate_html_200": 1.0}}}
            assert s.post(url + "/_sim/faults", json=faults).json()["ok"]
            assert s.post(url + "/_sim/faults", json={"rate_teapot": 1}).status_code == 400
            login = s.post(url + "/api/login/api_key", headers={"authorization": key})
            assert login.status_code == 200  # the login is not a json-class route
            page = s.get(url + "/api/project/alice", params={"page": 1, "size": 10})
            assert page.headers["Content-Type"].startswith("text/html")
            info = s.get(url + "/_sim/info").json()
            assert info["injected"] == {"html_200": 1}
            assert info["faults"]["classes"] == {"json": {"rate_html_200": 1.0}}


def test_serve_control_routes_and_sigterm(served: tuple[str, str, subprocess.Popen[str]]) -> None:
    url, key, proc = served
    assert url.startswith("http://127.0.0.1:") and len(key) == 21
    local = build_world("small", seed=1)
    with requests.Session() as s:
        login = s.post(url + "/api/login/api_key", headers={"authorization": key})
        assert login.status_code == 200
        truth = s.get(url + "/_sim/truth", params={"metrics": "False"}).json()
        assert truth["runs"]["run_id"] == local.truth(metrics=False)["runs"]["run_id"]
        sink = next(
            r
            for r, n in zip(truth["runs"]["run_id"], truth["runs"]["name"], strict=True)
            if n == "kitchen-sink"
        )
        before = truth["summaries"]["last_step"][truth["summaries"]["run_id"].index(sink)]
        assert s.post(url + "/_sim/grow", json={"run_id": sink, "steps": 7}).json()["ok"]
        after = s.get(url + "/_sim/truth", params={"metrics": "False"}).json()
        assert (
            after["summaries"]["last_step"][after["summaries"]["run_id"].index(sink)] == before + 7
        )
        assert s.post(url + "/_sim/finish", json={"run_id": sink, "state": "ABORTED"}).ok
        new = s.post(url + "/_sim/add_run", json={"project": "alice/quirks", "name": "x"}).json()
        assert new["result"].startswith("c")
        assert s.post(url + "/_sim/add_key", json={"run_id": new["result"], "key": "k"}).ok
        assert s.post(
            url + "/_sim/config", json={"run_id": new["result"], "key": "a.b", "value": 1}
        ).ok
        assert s.post(url + "/_sim/tick", json={"seed": 3}).ok
        assert s.post(url + "/_sim/delete", json={"run_id": new["result"]}).ok
        assert s.post(url + "/_sim/grow", json={"run_id": "nope"}).status_code == 404
        assert s.post(url + "/_sim/faults", json={"rate_429": 1.0}).ok
        assert s.get(url + "/api/project/alice").status_code == 429
        assert s.post(url + "/_sim/faults", json={}).ok
        assert s.post(url + "/_sim/options", json={"path_style": "slash"}).ok
        counters = s.get(url + "/_sim/counters").json()
        assert counters["POST /api/login/api_key"]["requests"] == 1
        assert s.post(url + "/_sim/options", json={"nope": 1}).status_code == 400
    os.kill(proc.pid, signal.SIGTERM)
    assert proc.wait(timeout=10) == 0


def _local_non_loopback_ip() -> str | None:
    """This machine's outbound IPv4 address (UDP connect sends no packet), if it has one."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.connect(("192.0.2.1", 9))
            ip = str(sock.getsockname()[0])
    except OSError:
        return None
    return None if ip.startswith("127.") or ip == "0.0.0.0" else ip


def test_control_routes_refuse_non_loopback() -> None:
    ip = _local_non_loopback_ip()
    if ip is None:
        pytest.skip("no non-loopback interface to connect from")
    world = build_world("bench", runs=1, keys=1, steps=1)
    with SimServer(world, host=ip) as sim, requests.Session() as s:
        resp = s.get(sim.url + "/_sim/info")
        assert resp.status_code == 403 and resp.json()["code"] == "FORBIDDEN"
        assert s.post(sim.url + "/_sim/grow", json={"run_id": world.runs()[0]}).status_code == 403
        login = s.post(sim.url + "/api/login/api_key", headers={"authorization": sim.api_key})
        assert login.status_code == 200  # the API itself is served to anyone who can reach it
    with SimServer(world) as sim, requests.Session() as s:
        assert s.get(sim.url + "/_sim/info").json()["world"] == "bench"

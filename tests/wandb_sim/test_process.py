"""``python -m trackersim.wandb serve`` and the loopback control routes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest
import requests

from trackersim.wandb import SimServer, build_world


@pytest.fixture
def served() -> Iterator[tuple[str, str, subprocess.Popen[str]]]:
    cmd = [sys.executable, "-m", "trackersim.wandb", "serve", "--world", "small", "--port", "0"]
    proc = subprocess.Popen(
        [*cmd, "--seed", "1", "-q"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
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


def test_serve_control_routes_and_sigterm(served: tuple[str, str, subprocess.Popen[str]]) -> None:
    url, key, proc = served
    assert url.startswith("http://127.0.0.1:") and key.startswith("local-")
    local = build_world("small", seed=1)
    with requests.Session() as s:
        viewer = s.post(
            url + "/graphql", json={"query": "{ viewer { username } }"}, auth=("api", key)
        )
        assert viewer.json() == {"data": {"viewer": {"username": "alice"}}}
        truth = s.get(url + "/_sim/truth", params={"history": "0"}).json()
        assert [r["run_id"] for r in truth["runs"]] == [
            r["run_id"] for r in local.truth(history=False)["runs"]
        ]
        sink = next(r for r in truth["runs"] if r["display_name"] == "kitchen-sink")
        assert s.post(url + "/_sim/grow", json={"run_id": sink["run_id"], "steps": 7}).json()["ok"]
        after = s.get(url + "/_sim/truth", params={"history": "0"}).json()
        grown = next(r for r in after["runs"] if r["run_id"] == sink["run_id"])
        assert grown["last_step"] == sink["last_step"] + 7
        assert s.post(url + "/_sim/heartbeat", json={"run_id": sink["run_id"]}).ok
        assert s.post(url + "/_sim/finish", json={"run_id": sink["run_id"], "state": "crashed"}).ok
        new = s.post(
            url + "/_sim/add_run", json={"project": "alice/quirks", "display_name": "x"}
        ).json()
        rid = new["result"]
        assert s.post(url + "/_sim/add_key", json={"run_id": rid, "key": "k", "kind": "string"}).ok
        assert s.post(url + "/_sim/set_config", json={"run_id": rid, "key": "a.b", "value": 1}).ok
        assert s.post(url + "/_sim/set_tags", json={"run_id": rid, "tags": ["t"]}).ok
        assert s.post(url + "/_sim/set_summary", json={"run_id": rid, "key": "s", "value": 2}).ok
        assert s.post(url + "/_sim/set_state", json={"run_id": rid, "state": "preempting"}).ok
        assert s.post(url + "/_sim/export", json={"run_id": rid}).ok
        assert isinstance(s.post(url + "/_sim/tick", json={"seed": 3}).json()["result"], list)
        assert s.post(url + "/_sim/delete_run", json={"run_id": rid}).ok
        assert s.post(url + "/_sim/grow", json={"run_id": "nope"}).status_code == 404
        assert s.post(url + "/_sim/grow", json={"run": "x"}).status_code == 400
        assert s.post(url + "/_sim/teleport", json={}).status_code == 404
        assert s.post(url + "/_sim/faults", json={"rate_429": 1.0}).ok
        assert (
            s.post(
                url + "/graphql", json={"query": "query Runs { viewer { id } }"}, auth=("api", key)
            ).status_code
            == 429
        )
        assert s.post(url + "/_sim/faults", json={}).ok
        assert s.post(url + "/_sim/options", json={"time_format": "zulu"}).ok
        assert s.post(url + "/_sim/options", json={"nope": 1}).status_code == 400
        counters = s.get(url + "/_sim/counters").json()
        assert counters["Runs"]["requests"] == 1 and counters["<anonymous>"]["requests"] == 1
        assert s.post(url + "/_sim/counters/reset", json={}).ok
        assert s.get(url + "/_sim/counters").json() == {}
        info = s.get(url + "/_sim/info").json()
        assert info["world"] == "small" and info["options"]["time_format"] == "zulu"
        full = s.get(url + "/_sim/truth").json()
        assert {"__float__": "nan"} in [p["value"] for p in full["history"]]
    os.kill(proc.pid, signal.SIGTERM)
    assert proc.wait(timeout=10) == 0


def _local_non_loopback_ip() -> str | None:
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
        assert s.get(sim.url + "/_sim/info").status_code == 403
        assert s.post(sim.url + "/_sim/tick", json={"seed": 1}).status_code == 403
        viewer = s.post(
            sim.url + "/graphql", json={"query": "{ viewer { id } }"}, auth=("api", sim.api_key)
        )
        assert viewer.status_code == 200

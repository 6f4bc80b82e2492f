"""Test helpers for the simulator tests: a tiny logged-in client and reference builders."""

from __future__ import annotations

import csv
import io
from typing import Any

import requests

from trackersim.swanlab import SimServer, World


class Client:
    """A minimal OpenAPI client for tests: logs in, keeps the sid cookie."""

    def __init__(self, sim: SimServer) -> None:
        self.sim = sim
        self.api = sim.url + "/api"
        self.session = requests.Session()
        resp = self.session.post(
            self.api + "/login/api_key", headers={"authorization": sim.api_key}, timeout=10
        )
        resp.raise_for_status()
        self.session.cookies.set("sid", resp.json()["sid"])

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.session.get(self.api + path, params=params, timeout=30)

    def post(self, path: str, body: Any) -> requests.Response:
        return self.session.post(self.api + path, json=body, timeout=30)

    def ok(self, resp: requests.Response) -> Any:
        assert resp.status_code == 200, (resp.status_code, resp.text[:300])
        return resp.json()

    def close(self) -> None:
        self.session.close()


def run_ref(world: World, run_id: str) -> dict[str, Any]:
    run = world.run(run_id)
    ref: dict[str, Any] = {
        "projectId": run.project.cuid,
        "experimentId": run.cuid,
        "createdAt": run.created_ms // 1000,
    }
    if run.root is not None:
        ref["rootProId"] = run.root.project.cuid
        ref["rootExpId"] = run.root.cuid
    return ref


def run_named(world: World, project: str, name: str) -> str:
    for rid in world.runs(project):
        if world.run(rid).name == name:
            return rid
    raise LookupError(name)


def csv_rows(resp: requests.Response) -> list[list[str]]:
    """An export CSV as rows, read the way a careful client must: UTF-8 with an optional BOM,
    any line ending, quoted fields (hostile worlds use all of them)."""
    assert resp.status_code == 200, (resp.status_code, resp.text[:300])
    text = resp.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def ms(cell: str) -> int:
    """A millisecond timestamp cell, written as an integer or as a float (``1.7E12``)."""
    value = float(cell)
    assert value.is_integer(), cell
    return int(value)

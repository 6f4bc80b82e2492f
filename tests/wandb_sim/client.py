"""A tiny GraphQL client for the simulator tests (plain requests, HTTP Basic api:<key>)."""

from __future__ import annotations

from typing import Any

import requests

from trackersim.wandb import SimServer, World
from trackersim.wandb.model import Run


class Gql:
    def __init__(self, sim: SimServer, key: str | None = None) -> None:
        self.sim = sim
        self.session = requests.Session()
        self.session.auth = ("api", sim.api_key if key is None else key)

    def post(self, query: str, variables: dict[str, Any] | None = None, **extra: Any) -> Any:
        body: dict[str, Any] = {"query": query, "variables": variables or {}, **extra}
        return self.session.post(self.sim.url + "/graphql", json=body, timeout=30)

    def data(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        """The ``data`` of a successful answer (fails the test on any error)."""
        resp = self.post(query, variables)
        assert resp.status_code == 200, resp.text[:500]
        body = resp.json()
        assert "errors" not in body, body["errors"]
        return body["data"]

    def errors(self, query: str, variables: dict[str, Any] | None = None) -> list[str]:
        resp = self.post(query, variables)
        assert resp.status_code == 200, resp.text[:500]
        return [e["message"] for e in resp.json().get("errors", [])]

    def close(self) -> None:
        self.session.close()


RUN_FIELDS = """
  id name displayName state config summaryMetrics systemMetrics createdAt heartbeatAt tags
  group jobType sweepName commit readOnly description notes host projectId historyLineCount
  historyKeys user { name username }
"""


def runs_page(
    gql: Gql, project: str, *, first: int = 50, after: str | None = None, **args: Any
) -> Any:
    entity, name = project.split("/")
    query = (
        "query Runs($p: String!, $e: String!, $c: String, $n: Int, $o: String, $f: JSONString) {"
        " project(name: $p, entityName: $e) { runCount(filters: $f)"
        " runs(filters: $f, after: $c, first: $n, order: $o) {"
        " edges { cursor node { name state createdAt heartbeatAt } }"
        " pageInfo { endCursor hasNextPage } } } }"
    )
    variables = {"p": name, "e": entity, "c": after, "n": first, **args}
    return gql.data(query, variables)["project"]


def all_runs(gql: Gql, project: str, first: int = 7, **args: Any) -> list[str]:
    out: list[str] = []
    after = None
    for _ in range(1000):
        page = runs_page(gql, project, first=first, after=after, **args)["runs"]
        out.extend(e["node"]["name"] for e in page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            return out
        after = page["edges"][-1]["cursor"]
    raise AssertionError("paging did not end")


def run_query(fields: str) -> str:
    return (
        "query Run($p: String!, $e: String!, $r: String!) {"
        f" project(name: $p, entityName: $e) {{ run(name: $r) {{ {fields} }} }} }}"
    )


def run_vars(world_run: Any) -> dict[str, str]:
    return {"p": world_run.project.name, "e": world_run.project.entity, "r": world_run.name}


def named(world: World, display_name: str) -> Run:
    for run in world.run_map.values():
        if run.display_name == display_name and not run.deleted:
            return run
    raise AssertionError(f"no run named {display_name!r}")

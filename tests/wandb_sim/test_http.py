"""The GraphQL endpoint over HTTP: credentials, errors, projects, runs and run fields."""

from __future__ import annotations

import json

import pytest
import requests

from trackersim.wandb import SimServer, World

from .client import RUN_FIELDS, Gql, all_runs, named, run_query, run_vars

VIEWER = (
    "query Viewer { viewer { id entity username email flags teams { edges { node { name } } } } }"
)


def test_viewer_and_credentials(small_sim: SimServer, gql: Gql) -> None:
    viewer = gql.data(VIEWER)["viewer"]
    assert viewer["entity"] == viewer["username"] == "alice"
    assert [e["node"]["name"] for e in viewer["teams"]["edges"]] == ["vision-lab"]
    url = small_sim.url + "/graphql"
    body = {"query": VIEWER}
    wrong_user = requests.post(url, json=body, auth=("alice", small_sim.api_key), timeout=10)
    for resp in (
        requests.post(url, json=body, timeout=10),
        requests.post(url, json=body, auth=("api", "local-" + "x" * 40), timeout=10),
        wrong_user,
        requests.post(url, json=body, headers={"Authorization": "Basic !!"}, timeout=10),
        requests.post(url, json=body, headers={"Authorization": "Bearer x"}, timeout=10),
    ):
        assert resp.status_code == 401
        assert resp.json()["errors"][0]["message"]
        assert small_sim.api_key not in resp.text


def test_bad_bodies_and_unknown_routes(small_sim: SimServer, gql: Gql) -> None:
    url = small_sim.url + "/graphql"
    resp = gql.session.post(url, data=b"not json", timeout=10)
    assert resp.status_code == 400 and "errors" in resp.json()
    assert gql.session.post(url, json={"variables": {}}, timeout=10).status_code == 400
    assert gql.post("query Q { viewer { id } }", operationName=5).status_code == 400
    resp = gql.session.get(small_sim.url + "/graphql", timeout=10)
    assert resp.status_code == 404
    # a base URL with a path prefix: POST <prefix>/graphql works too
    resp = gql.session.post(small_sim.url + "/sub/graphql", json={"query": VIEWER}, timeout=10)
    assert resp.status_code == 200 and resp.json()["data"]["viewer"]["username"] == "alice"


def test_unknown_operation_fields_are_graphql_errors(gql: Gql) -> None:
    resp = gql.post("query UpsertBucket { upsertBucket { id } }")
    assert resp.status_code == 200
    assert resp.json() == {
        "errors": [{"message": 'Cannot query field "upsertBucket" on type "Query".'}],
        "data": None,
    }
    assert gql.errors("mutation M { viewer { id } }")
    # a field the real schema may lack is an error until an option says otherwise
    assert gql.errors('query { project(name: "quirks") { run(name: "x") { updatedAt } } }')


def test_projects_page_through_every_project(small_world: World, gql: Gql) -> None:
    query = (
        "query GetProjects($entity: String, $cursor: String, $perPage: Int = 50) {"
        " models(entityName: $entity, after: $cursor, first: $perPage) {"
        " pageInfo { __typename endCursor hasNextPage }"
        " edges { node { __typename id name entityName createdAt isBenchmark"
        " user { id name username email admin flags entity deletedAt"
        " apiKeys { edges { node { id name description } } } teams { edges { node { name } } } }"
        " } } } }"
    )
    names: list[str] = []
    cursor = None
    while True:
        page = gql.data(query, {"entity": "alice", "cursor": cursor, "perPage": 4})["models"]
        names += [e["node"]["name"] for e in page["edges"]]
        assert page["pageInfo"]["__typename"] == "PageInfo"
        if not page["pageInfo"]["hasNextPage"]:
            break
        cursor = page["pageInfo"]["endCursor"]
    assert names == [p.split("/")[1] for p in small_world.projects("alice")]
    node = gql.data(query, {"entity": "vision-lab"})["models"]["edges"][0]["node"]
    assert node["entityName"] == "vision-lab" and node["isBenchmark"] is False
    assert node["user"]["apiKeys"]["edges"][0]["node"]["name"] == "default"
    empty = gql.data(query, {"entity": "nobody"})["models"]
    assert empty == {
        "pageInfo": {"__typename": "PageInfo", "endCursor": None, "hasNextPage": False},
        "edges": [],
    }


def test_server_features_are_all_off(gql: Gql) -> None:
    q = "query ServerFeaturesQuery { serverInfo { features { name isEnabled } } }"
    assert gql.data(q) == {"serverInfo": {"features": []}}


def test_project_lookup(gql: Gql) -> None:
    q = (
        "query GetProject($name: String!, $entity: String!) {"
        " project(name: $name, entityName: $entity) { id name createdAt } }"
    )
    got = gql.data(q, {"name": "quirks", "entity": "alice"})["project"]
    assert got["name"] == "quirks" and got["createdAt"] == "2025-01-01T00:00:00"
    assert gql.data(q, {"name": "nope", "entity": "alice"}) == {"project": None}


def test_runs_listing_counts_and_cursors(small_world: World, gql: Gql) -> None:
    want = small_world.runs("alice/sweep")
    assert all_runs(gql, "alice/sweep", first=7) == want  # +created_at by default
    assert all_runs(gql, "alice/sweep", first=200) == want
    q = (
        'query { project(name: "sweep", entityName: "alice") { runCount'
        " runs(first: 0) { edges { cursor } pageInfo { hasNextPage } } } }"
    )
    got = gql.data(q)["project"]
    assert (
        got["runCount"] == 120
        and got["runs"]["edges"] == []
        and got["runs"]["pageInfo"]["hasNextPage"]
    )
    assert gql.errors(
        'query { project(name: "sweep", entityName: "alice") {'
        ' runs(after: "zz") { edges { cursor } } } }'
    )
    assert gql.errors(
        'query { project(name: "sweep", entityName: "alice") {'
        " runs(first: -1) { edges { cursor } } } }"
    )
    deleted = [r for r in small_world.run_map.values() if r.deleted]
    assert deleted and not set(r.name for r in deleted) & set(all_runs(gql, "alice/quirks"))


def test_run_fields(small_world: World, gql: Gql) -> None:
    run = named(small_world, "kitchen-sink")
    got = gql.data(run_query(RUN_FIELDS), run_vars(run))["project"]["run"]
    assert got["name"] == run.name and got["displayName"] == "kitchen-sink"
    assert got["state"] == "running" and got["projectId"] == str(run.project.internal_id)
    config = json.loads(got["config"])
    assert config["batch_size"] == {"value": 64, "desc": None} and "_wandb" in config
    summary = json.loads(got["summaryMetrics"])  # bare NaN/Infinity tokens are accepted here
    assert summary["_step"] == run.ticks - 1 and "_wandb" in summary
    assert json.loads(got["systemMetrics"])["system.cpu"] > 0
    assert got["historyKeys"]["lastStep"] == run.ticks - 1
    assert got["historyKeys"]["keys"]["samples/img"]["typeCounts"][0]["type"] == "image-file"
    assert got["historyKeys"]["keys"]["train/loss"]["typeCounts"] == [
        {"type": "number", "count": 260}
    ]
    assert got["user"] == {"name": "Alice Liu", "username": "alice"}
    assert got["tags"] == ["quirks", "a/b", "ünï code", "Quirks"]
    empty = named(small_world, "pending-empty")
    got = gql.data(run_query("historyKeys historyLineCount systemMetrics"), run_vars(empty))
    assert got["project"]["run"] == {
        "historyKeys": None,
        "historyLineCount": 0,
        "systemMetrics": "{}",
    }
    nothing = gql.data(run_query("name"), {**run_vars(run), "r": "nosuchid"})
    assert nothing == {"project": {"run": None}}


@pytest.mark.parametrize(
    ("option", "expected"),
    [("bare", "NaN"), ("string", '"NaN"'), ("null", "null")],
)
def test_nonfinite_spelling_options(
    fresh: tuple[World, SimServer, Gql], option: str, expected: str
) -> None:
    world, _, gql = fresh
    world.options.update(
        {"history_nonfinite": option, "summary_nonfinite": option, "sampled_nonfinite": option}
    )
    run = named(world, "kitchen-sink")
    rows = gql.data(run_query("history(minStep: 7, maxStep: 8)"), run_vars(run))["project"]["run"][
        "history"
    ]
    assert f'"train/loss": {expected}' in rows[0]
    summary = gql.data(run_query("summaryMetrics"), run_vars(named(world, "summary-edits")))
    assert f'"nan_metric": {expected}' in summary["project"]["run"]["summaryMetrics"]
    spec = json.dumps({"keys": ["_step", "train/loss"], "minStep": 13, "maxStep": 13})
    resp = gql.post(
        run_query("sampledHistory(specs: [$s])").replace(
            "$r: String!", "$r: String!, $s: JSONString!"
        ),
        {**run_vars(run), "s": spec},
    )
    spelled = {"bare": "Infinity", "string": '"Infinity"', "null": "null"}[option]
    assert f'"train/loss":{spelled}' in resp.text


def test_time_format_and_updated_at_options(fresh: tuple[World, SimServer, Gql]) -> None:
    world, _, gql = fresh
    run = named(world, "gappy")
    world.options.update({"time_format": "zulu", "run_updated_at": True})
    got = gql.data(run_query("createdAt heartbeatAt updatedAt"), run_vars(run))["project"]["run"]
    assert got["createdAt"].endswith("Z") and got["updatedAt"].endswith("Z")

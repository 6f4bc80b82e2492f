"""Run files of the simulator: the ``files`` listing (names, pattern, pages), signed direct URLs
with Range, hostile console bytes whose truth is what the contract stores, media files whose
bytes match the digest their history value records, and a listed file that is gone."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from trackersim.wandb import Faults, SimServer, World, build_world

from .client import Gql, named, run_vars

FILES = """query RunFiles($e: String!, $p: String!, $r: String!, $names: [String], $after: String,
  $first: Int, $pattern: String) {
  project(name: $p, entityName: $e) { run(name: $r) { fileCount
    files(names: $names, after: $after, first: $first, pattern: $pattern) {
      edges { cursor node { id name url directUrl sizeBytes mimetype updatedAt md5 } }
      pageInfo { endCursor hasNextPage } } } } }"""


@pytest.fixture
def served() -> Iterator[tuple[World, Gql]]:
    world = build_world("small", seed=0)
    with SimServer(world) as sim:
        gql = Gql(sim)
        yield world, gql
        gql.close()


def listing(gql: Gql, world: World, **args: Any) -> dict[str, Any]:
    run = named(world, "kitchen-sink")
    got: dict[str, Any] = gql.data(FILES, {**run_vars(run), **args})["project"]["run"]
    return got


def test_files_list_the_console_and_every_media_file(served: tuple[World, Gql]) -> None:
    world, gql = served
    run = named(world, "kitchen-sink")
    truth = [m for m in world.truth()["media_items"] if m["run_id"] == run.name]
    first = listing(gql, world, first=5)
    names = [e["node"]["name"] for e in first["files"]["edges"]]
    assert first["fileCount"] == 1 + len(truth) and first["files"]["pageInfo"]["hasNextPage"]
    after = first["files"]["edges"][-1]["cursor"]
    rest = listing(gql, world, first=100, after=after)["files"]["edges"]
    names += [e["node"]["name"] for e in rest]
    assert names == ["output.log", *sorted(m["name"] for m in truth)]
    picked = listing(gql, world, names=["output.log", "nope"])["files"]["edges"]
    assert [e["node"]["name"] for e in picked] == ["output.log"]
    tables = listing(gql, world, pattern="%.table.json")["files"]["edges"]
    assert tables and all(e["node"]["name"].startswith("media/table/") for e in tables)


def test_media_files_hold_the_bytes_their_values_record(served: tuple[World, Gql]) -> None:
    world, gql = served
    run = named(world, "kitchen-sink")
    truth = {m["name"]: m for m in world.truth()["media_items"] if m["run_id"] == run.name}
    assert {m["kind"] for m in truth.values()} == {"image", "table"}
    assert any(m["missing"] for m in truth.values())
    for edge in listing(gql, world, names=sorted(truth))["files"]["edges"]:
        node = edge["node"]
        item = truth[node["name"]]
        got = requests.get(node["directUrl"], timeout=30)  # no credentials needed
        if item["missing"]:
            assert got.status_code == 404
            continue
        assert got.status_code == 200 and len(got.content) == item["bytes"] == node["sizeBytes"]
        assert hashlib.sha256(got.content).hexdigest() == item["sha256"]


def test_the_console_is_hostile_and_its_truth_is_the_contract(served: tuple[World, Gql]) -> None:
    world, gql = served
    run = named(world, "kitchen-sink")
    node = listing(gql, world, names=["output.log"])["files"]["edges"][0]["node"]
    data = requests.get(node["directUrl"], timeout=30).content
    assert b"\r\n" in data and b"\xff" in data and not data.endswith(b"\n")  # running: cut
    lines = data.split(b"\n")[:-1]
    assert max(len(x) for x in lines) > 1 << 20
    truth = [t for t in world.truth()["logs"] if t["run_id"] == run.name]
    assert [t["seq"] for t in truth] == list(range(1, len(lines) + 1))
    assert truth[0]["text"] == lines[0].decode().rstrip("\r")
    assert any("\ufffd" in t["text"] for t in truth)
    assert any("line cut at 1 MiB" in t["text"] for t in truth)
    tail = requests.get(node["directUrl"], headers={"Range": "bytes=100-"}, timeout=30)
    assert tail.status_code == 206 and tail.content == data[100:]
    world.grow(run.name, 5)
    grown = requests.get(node["directUrl"], timeout=30).content
    assert grown.startswith(data[: data.rindex(b"\n") + 1])  # whole lines never change
    world.finish(run.name)
    assert requests.get(node["directUrl"], timeout=30).content.endswith(b"\n")


def test_direct_urls_expire(served: tuple[World, Gql]) -> None:
    world, gql = served
    node = listing(gql, world, names=["output.log"])["files"]["edges"][0]["node"]
    gql.sim.faults = Faults(expire_urls=True)
    assert requests.get(node["directUrl"], timeout=30).status_code == 400
    gql.sim.faults = Faults()
    bad = node["directUrl"].replace("signature=", "signature=0")
    assert requests.get(bad, timeout=30).status_code == 403

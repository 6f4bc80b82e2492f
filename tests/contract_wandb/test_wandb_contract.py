"""Contract tests: the REAL wandb 0.31.0 SDK reads the simulated W&B server and gets the truth.

One driver subprocess per scenario reads through ``wandb.Api`` (projects and runs over several
pages, config, summary, system metrics, last step, full ``scan_history``, the system stream);
``compare.compare_all`` then holds every value against ``world.truth()``. Other scenarios pin
filters and order, the SDK's lossy keyed scan, sampled history, the parquet path, faults and a
wrong key. These tests are why the simulator can be trusted as an oracle.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.contract_wandb.compare import compare_all, decode, same
from tests.contract_wandb.sdk_env import DriverResult, run_driver
from trackersim.wandb import Faults, SimServer, World, build_world

pytestmark = [pytest.mark.contract, pytest.mark.slow]

READ_ALL = {"read_all": True, "project_page": 5, "run_page": 7, "scan_page": 97}


@dataclass
class Read:
    world: World
    sim: SimServer
    result: DriverResult
    truth: dict[str, Any]
    python: Path


def sdk_read(
    python: Path, world: World, sim: SimServer, workdir: Path, plan: dict[str, Any]
) -> Read:
    result = run_driver(python, sim.url, sim.api_key, workdir, plan)
    assert result.data["auth"] == "ok", result.output[-2000:]
    return Read(world, sim, result, world.truth(), python)


@pytest.fixture(scope="module")
def small(wandb_python: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Read]:
    world = build_world("small", seed=0)
    with SimServer(world, port=0) as sim:
        yield sdk_read(wandb_python, world, sim, tmp_path_factory.mktemp("small"), READ_ALL)


def _run(truth: dict[str, Any], name: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [
        r for r in truth["runs"] if r["display_name"] == name and not r["deleted"]
    ]
    assert found, f"no run named {name!r}"
    return found[0]


def _path(run: dict[str, Any]) -> str:
    return f"{run['project']}/{run['run_id']}"


# -- the world, read whole ------------------------------------------------------------------------
def test_small_world_reads_exactly_as_truth(small: Read) -> None:
    report = compare_all(small.result.data, small.truth)
    assert not report.problems, report.summary()
    truth = small.truth
    # not vacuous: every quirk was really compared
    assert report.checked > 10_000
    values = [p["value"] for p in truth["history"]]
    floats = [v for v in values if isinstance(v, float)]
    assert any(math.isnan(v) for v in floats) and math.inf in floats and -math.inf in floats
    assert len(truth["media"]) > 20 and len(truth["system"]) > 100
    assert {"crashed", "failed", "killed", "preempted", "preempting", "pending", "running"} <= {
        r["state"] for r in truth["runs"]
    }
    dump = small.result.data
    assert len(dump["projects"]["alice"]) > 10  # several pages of 5
    assert dump["runs"]["alice/sweep"]["len"] == 120  # many pages of 7


def test_the_read_used_the_expected_operations(small: Read) -> None:
    ops = small.sim.counters.snapshot()
    for name in ("Viewer", "GetDefaultEntity", "GetViewer", "GetProjects", "Runs", "Run"):
        assert ops.get(name, (0, 0))[0] > 0, (name, ops)
    for name in ("RunHistoryKeys", "RunParquetHistory"):
        assert ops.get(name, (0, 0))[0] > 0, (name, ops)
    assert ops["HistoryPage"][0] > ops["RunParquetHistory"][0]  # windows of 97 steps
    assert ops["RunFullHistory"][0] > 0  # the system stream
    assert set(ops) <= {
        "Viewer",
        "GetViewer",
        "GetDefaultEntity",
        "GetProjects",
        "Runs",
        "Run",
        "RunHistoryKeys",
        "RunParquetHistory",
        "HistoryPage",
        "RunFullHistory",
    }, ops


# -- filters and order ----------------------------------------------------------------------------
Pred = Callable[[dict[str, Any]], bool]
FILTERS: list[tuple[str, dict[str, Any], Pred]] = [
    ("state", {"state": "crashed"}, lambda r: r["state"] == "crashed"),
    (
        "state-in",
        {"state": {"$in": ["running", "crashed"]}},
        lambda r: r["state"] in ("running", "crashed"),
    ),
    ("tag", {"tags": "a/b"}, lambda r: "a/b" in r["tags"]),
    (
        "tags-nin",
        {"tags": {"$nin": ["sweep", "ünï"]}},
        lambda r: not {"sweep", "ünï"} & set(r["tags"]),
    ),
    ("config", {"config.lr": 0.001}, lambda r: r["config"]["lr"] == 0.001),
    (
        "config-value",
        {"config.batch_size.value": {"$gte": 32}},
        lambda r: r["config"]["batch_size"] >= 32,
    ),
    (
        "config-nested",
        {"config.optimizer.name": "adam"},
        lambda r: r["config"]["optimizer"]["name"] == "adam",
    ),
    ("config-null", {"config.dropout": None}, lambda r: r["config"]["dropout"] is None),
    (
        "or-and",
        {"$or": [{"$and": [{"state": "finished"}, {"group": "g-1"}]}, {"jobType": "eval"}]},
        lambda r: (r["state"] == "finished" and r["group"] == "g-1") or r["job_type"] == "eval",
    ),
    (
        "created-window",
        {"createdAt": {"$gt": "2025-01-01T05:00:00", "$lt": "2025-01-01T09:00:00"}},
        lambda r: (
            "2025-01-01T05:00:00"
            < r["created_at"].strftime("%Y-%m-%dT%H:%M:%S")
            < "2025-01-01T09:00:00"
        ),
    ),
    (
        "regex",
        {"display_name": {"$regex": "^sweep-00[0-9]$"}},
        lambda r: r["display_name"] < "sweep-010",
    ),
    (
        "summary",
        {"summary_metrics.train/loss": {"$lt": 2.03}},
        lambda r: r["summary"]["train/loss"] < 2.03,
    ),
    ("sweep-exists", {"sweep": {"$ne": None}}, lambda r: r["sweep"] is not None),
]


ORDERS = ["+created_at", "-created_at", "-heartbeat_at", "+config.lr.value"]
ORDERS += ["-summary_metrics.train/loss"]


@pytest.fixture(scope="module")
def extras(small: Read, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One more SDK session on the module's world (before time moves): run lookups, filtered
    and ordered listings, keyed scans and sampled history, as the tests below ask for them."""
    truth = small.truth
    gone = next(r for r in truth["runs"] if r["deleted"])
    gappy, sink = _path(_run(truth, "gappy")), _path(_run(truth, "kitchen-sink"))
    sweep = "alice/sweep"
    plan = {
        "fetch": [_path(gone), sink, "alice/quirks/nosuchid"],
        "listings": [
            {"project": sweep, "filters": f, "per_page": 13, "lazy": bool(i % 2)}
            for i, (_, f, _) in enumerate(FILTERS)
        ]
        + [{"project": sweep, "order": o, "per_page": 11} for o in ORDERS],
        "keyed": [
            {"run": gappy, "keys": ["a", "b"], "page_size": 100},
            {"run": gappy, "keys": ["a"], "page_size": 100},
            {"run": gappy, "keys": ["b"], "min_step": 50, "max_step": 300},
        ],
        "sampled": [
            {"run": sink, "samples": 40},
            {"run": sink, "samples": 30, "keys": ["train/loss", "train/acc"]},
            {"run": sink, "samples": 10_000, "keys": ["train/loss"]},
        ],
    }
    workdir = tmp_path_factory.mktemp("extras")
    data = run_driver(small.python, small.sim.url, small.sim.api_key, workdir, plan).data
    out: dict[str, Any] = decode(data)
    return out


def test_deleted_runs_are_gone_for_the_sdk(small: Read, extras: dict[str, Any]) -> None:
    fetched = extras["fetch"]
    assert [f["ok"] for f in fetched] == [False, True, False]
    # the SDK wraps its RunNotFoundError into a CommError (normalize_exceptions)
    assert fetched[0]["error_type"] == fetched[2]["error_type"] == "CommError"
    assert "Could not find run" in fetched[0]["message"]
    gone = next(r for r in small.truth["runs"] if r["deleted"])
    listed = small.result.data["runs"]["alice/quirks"]["runs"]
    assert gone["run_id"] not in {r["run_id"] for r in listed}


def test_filters_select_what_the_truth_says(small: Read, extras: dict[str, Any]) -> None:
    project = "alice/sweep"
    runs = [r for r in small.truth["runs"] if r["project"] == project and not r["deleted"]]
    for (name, _, pred), got in zip(FILTERS, extras["listings"][: len(FILTERS)], strict=True):
        assert "error" not in got, (name, got)
        want = [r["run_id"] for r in runs if pred(r)]
        assert want and len(want) < len(runs), f"filter {name} does not discriminate"
        assert got["rows"]["ids"] == want, name  # default order +created_at
        assert got["rows"]["len"] == len(want), name


def test_orders_and_pages(small: Read, extras: dict[str, Any]) -> None:
    project = "alice/sweep"
    runs = [r for r in small.truth["runs"] if r["project"] == project and not r["deleted"]]
    keys: dict[str, Callable[[dict[str, Any]], Any]] = {
        "created_at": lambda r: r["created_at"].timestamp(),
        "heartbeat_at": lambda r: r["heartbeat_at"].timestamp(),
        "config.lr.value": lambda r: r["config"]["lr"],
        "summary_metrics.train/loss": lambda r: r["summary"]["train/loss"],
    }
    for order, got in zip(ORDERS, extras["listings"][len(FILTERS) :], strict=True):
        key = keys[order[1:]]
        sign = -1 if order[0] == "-" else 1  # ties keep run-id order in both directions
        ordered = sorted(runs, key=lambda r: (sign * key(r), r["run_id"]))
        assert got["rows"]["ids"] == [r["run_id"] for r in ordered], order


# -- history reads --------------------------------------------------------------------------------
def test_keyed_scan_returns_only_rows_holding_every_key(
    small: Read, extras: dict[str, Any]
) -> None:
    """The SDK's documented lossy behaviour: scan_history(keys=[a, b]) drops rows missing a key.
    'gappy' logs a every 3 steps and b every 5 from step 1: both only where s%3==0, s%5==1."""
    run = _run(small.truth, "gappy")
    points = [p for p in small.truth["history"] if p["run_id"] == run["run_id"]]
    steps = {k: [p["step"] for p in points if p["key"] == k] for k in ("a", "b")}
    both, only_a, b_window = (item["rows"] for item in extras["keyed"])
    assert [r["_step"] for r in both] == sorted(set(steps["a"]) & set(steps["b"]))
    assert len(both) < len(steps["a"]) and all(set(r) == {"_step", "a", "b"} for r in both)
    assert [r["_step"] for r in only_a] == steps["a"]
    assert [r["_step"] for r in b_window] == [s for s in steps["b"] if 50 <= s < 300]
    values = {(p["key"], p["step"]): p["value"] for p in points}
    for row in both + only_a + b_window:
        for k in ("a", "b"):
            if k in row:
                assert same(row[k], values[(k, row["_step"])])


def test_sampled_history_is_a_subset_of_the_truth(small: Read, extras: dict[str, Any]) -> None:
    run = _run(small.truth, "kitchen-sink")
    points = {
        (p["key"], p["step"]): p["value"]
        for p in small.truth["history"]
        if p["run_id"] == run["run_id"]
    }
    full, two_keys, loss = (item["rows"] for item in extras["sampled"])
    assert 2 <= len(full) <= 40 and 2 <= len(two_keys) <= 30
    assert full[0]["_step"] == 0 and full[-1]["_step"] == run["last_step"]
    for row in full:
        for k, v in row.items():
            if not k.startswith("_"):
                assert same(v, points[(k, row["_step"])]), (k, row["_step"])
    for row in two_keys:
        assert set(row) == {"_step", "train/loss", "train/acc"}
    # inside sampledHistory objects non-finite values are spelled as strings (default option)
    by_step = {r["_step"]: r["train/loss"] for r in loss}
    assert (by_step[7], by_step[13], by_step[21]) == ("NaN", "Infinity", "-Infinity")


def test_bare_nan_in_the_envelope_breaks_keyed_scans(wandb_python: Path, tmp_path: Path) -> None:
    """Why sampled_nonfinite defaults to "string": bare tokens in the GraphQL envelope make
    the SDK's Go core fail (spec 4.8); inside history row strings they are fine."""
    world = build_world("small", seed=0, sampled_nonfinite="bare")
    run = _run(world.truth(history=False), "kitchen-sink")
    plan = {
        "keyed": [
            {"run": _path(run), "keys": ["train/loss"], "max_step": 30},
            {"run": _path(run), "keys": ["train/acc"], "max_step": 30},
        ]
    }
    with SimServer(world) as sim:
        data = run_driver(wandb_python, sim.url, sim.api_key, tmp_path, plan).data
    broken, fine = data["keyed"]
    assert "error" in broken, broken
    assert "rows" in fine and len(fine["rows"]) == 15


# -- time moves -----------------------------------------------------------------------------------
def test_reads_match_the_truth_after_time_moves(small: Read, tmp_path: Path) -> None:
    """Grow, finish, heartbeat, add a key and runs, edit config/tags/summary, delete a run; the
    SDK's second read matches the new truth. (Mutates the module's world: keep it last.)"""
    world, before = small.world, small.truth
    sink = _run(before, "kitchen-sink")
    resumed = _run(before, "resumed")
    sweep_runner = next(
        r for r in before["runs"] if r["project"] == "alice/sweep" and r["state"] == "running"
    )
    world.grow(sink["run_id"], 40)
    world.add_key(resumed["run_id"], "late/new-key")
    world.grow(resumed["run_id"], 15)
    world.finish(sweep_runner["run_id"], "crashed")
    world.set_config(_run(before, "sweep-010")["run_id"], "optimizer.name", "lion")
    world.set_tags(_run(before, "sweep-011")["run_id"], ["retagged"])
    world.set_summary(_run(before, "sweep-012")["run_id"], "best", {"acc": 0.5})
    world.delete_run(_run(before, "sweep-013")["run_id"])
    added = world.add_run("alice/quirks", display_name="fresh")
    world.add_run("vision-lab/brand-new", display_name="first")
    only = ["alice/quirks", "alice/sweep", "vision-lab/brand-new"]
    plan = {**READ_ALL, "only": only, "lazy": False}  # the full fragment in the listing
    after = sdk_read(small.python, world, small.sim, tmp_path, plan)
    report = compare_all(after.result.data, after.truth, rawconfig=False)
    assert not report.problems, report.summary()
    # the second read really saw time move
    runs = {r["run_id"]: r for p in after.result.data["runs"].values() for r in p["runs"]}
    assert runs[sink["run_id"]]["last_step"] == sink["last_step"] + 40
    assert any("late/new-key" in row for row in runs[resumed["run_id"]]["history"])
    assert runs[sweep_runner["run_id"]]["state"] == "crashed"
    assert added in runs and "vision-lab/brand-new" in after.result.data["runs"]


# -- credentials, faults, pages that shift, parquet ------------------------------------------------
def test_wrong_key_fails_like_the_real_sdk(small: Read, tmp_path: Path) -> None:
    sim = small.sim
    wrong = "local-" + "w" * 40
    sim.counters.reset()
    data = run_driver(small.python, sim.url, wrong, tmp_path, {"auth_only": True}).data
    assert data["auth"] == "failed" and data["error_type"] == "AuthenticationError", data
    assert sim.counters.snapshot() == {"Viewer": (1, sim.counters.bytes("Viewer"))}  # no retry
    good = run_driver(small.python, sim.url, sim.api_key, tmp_path, {"auth_only": True}).data
    assert good["auth"] == "ok" and good["viewer"]["username"] == "alice"
    assert good["viewer"]["teams"] == ["vision-lab"]


def test_the_sdk_rides_out_transient_faults(wandb_python: Path, tmp_path: Path) -> None:
    """429 (Retry-After 0) and a connection reset before the answer are retried (a 5xx is too,
    after a 2 s+ backoff: the unit tests cover its shape instead of waiting here)."""
    world = build_world("small", seed=0)
    run = _run(world.truth(history=False), "gappy")
    plan = {
        "keyed": [{"run": _path(run), "keys": ["a"]}],
        "listings": [{"project": "alice/quirks"}],
    }
    faults = Faults(script=["429", "reset", "429"], retry_after=0, operations=["Run", "Runs"])
    with SimServer(world, faults=faults) as sim:
        data = run_driver(wandb_python, sim.url, sim.api_key, tmp_path, plan).data
        assert faults.script == []  # every scripted fault was served
        runs_and_run = sim.counters.requests("Run") + sim.counters.requests("Runs")
    assert "rows" in data["keyed"][0] and len(data["keyed"][0]["rows"]) == 200
    assert data["listings"][0].get("rows", {}).get("len") == 14, data["listings"]
    assert runs_and_run == 2 + 3


def test_a_broken_200_is_an_sdk_error_not_a_retry(wandb_python: Path, tmp_path: Path) -> None:
    """A 200 whose body is HTML, cut short under a lying Content-Length, or whose connection
    drops after the headers or mid-body fails the call at once: the SDK's core retries on the
    status and on connection errors, not on a body it could not read or parse."""
    world = build_world("small", seed=0)
    actions = ["html_200", "truncate", "reset_body", "reset_headers"]
    plan = {"listings": [{"project": "alice/quirks"}] * len(actions) + [{"project": "alice/empty"}]}
    with SimServer(world, faults=Faults(script=list(actions), operations=["Runs"])) as sim:
        data = run_driver(wandb_python, sim.url, sim.api_key, tmp_path, plan).data
        assert sim.counters.requests("Runs") == len(actions) + 1  # no retries
    for action, got in zip(actions, data["listings"], strict=False):
        assert "error" in got, (action, got)
    assert data["listings"][-1]["rows"]["len"] == 0


@pytest.mark.parametrize("style", ["offset", "keyset"])
def test_runs_created_while_paging(wandb_python: Path, tmp_path: Path, style: str) -> None:
    """Newest-first paging while runs are being created: offset cursors shift (a run is listed
    twice); keyset cursors do not (the new runs, newer than the cursor, are not seen)."""
    world = build_world("small", seed=0, cursor_style=style, runs_added_per_page=1)
    before = world.runs("alice/sweep")
    plan = {"listings": [{"project": "alice/sweep", "order": "-created_at", "per_page": 25}]}
    with SimServer(world) as sim:
        data = run_driver(wandb_python, sim.url, sim.api_key, tmp_path, plan).data
    ids = data["listings"][0]["rows"]["ids"]
    if style == "offset":
        assert len(ids) > len(set(ids)) and set(ids) == set(before)
    else:
        assert ids == list(reversed(before))


def test_parquet_exports_and_live_rows_read_as_truth(wandb_python: Path, tmp_path: Path) -> None:
    """Finished runs exported to parquet (several files), a running one half exported: the SDK
    reads the files (Range requests for keyed scans) plus the live tail, and gets the truth."""
    world = build_world("small", seed=0, parquet_export=True, parquet_rows_per_file=60)
    truth = world.truth(history=False)
    gappy, resumed = _run(truth, "gappy"), _run(truth, "resumed")
    world.export(gappy["run_id"])
    world.export(resumed["run_id"])
    world.grow(resumed["run_id"], 30)  # a live tail after the export
    plan = {
        "keyed": [
            {"run": _path(gappy), "keys": ["a"]},
            {"run": _path(resumed), "keys": ["train/loss"]},
        ],
        "sampled": [],
        "read_all": True,
        "only": ["alice/quirks"],
    }
    with SimServer(world) as sim:
        data = run_driver(wandb_python, sim.url, sim.api_key, tmp_path, plan).data
        files = sim.counters.requests("GET /_files/parquet")
    truth = world.truth()
    runs = {r["run_id"]: r for r in data["runs"]["alice/quirks"]["runs"]}
    want = {
        (p["key"], p["step"]): p["value"]
        for p in truth["history"]
        if p["run_id"] == gappy["run_id"]
    }
    got = decode(runs[gappy["run_id"]]["history"])
    got_points = {
        (k, r["_step"]): v
        for r in got
        for k, v in r.items()
        if not k.startswith("_") and v is not None
    }
    # rows read from parquet hold every column: a key missing from a row comes back as None
    assert all(set(r) >= {"a", "b", "all-nan"} for r in got)
    assert got_points.keys() == want.keys()
    assert all(same(got_points[k], want[k]) for k in want)
    assert files > 0
    a_steps = [
        p["step"] for p in truth["history"] if p["run_id"] == gappy["run_id"] and p["key"] == "a"
    ]
    keyed_a = decode(data["keyed"][0]["rows"])
    assert [r["_step"] for r in keyed_a if r.get("a") is not None] == a_steps
    # unlike the live path, a keyed scan served from parquet yields every stored row (not
    # every step: steps without a row stay absent), with None where the key is missing
    all_steps = sorted({p["step"] for p in truth["history"] if p["run_id"] == gappy["run_id"]})
    assert [r["_step"] for r in keyed_a] == all_steps


def test_the_sdk_lists_a_runs_files(wandb_python: Path, tmp_path: Path) -> None:
    """``run.files()`` of the real SDK (its ``RunFiles`` query and fragment, paged) against the
    simulator: the console and every media file the truth names, with their sizes and md5."""
    import base64
    import hashlib

    import requests

    world = build_world("small", seed=0)
    run = _run(world.truth(history=False), "kitchen-sink")
    with SimServer(world) as sim:
        plan = {"files": [_path(run)]}
        data = run_driver(wandb_python, sim.url, sim.api_key, tmp_path, plan).data
        assert "error" not in data["files"][0], data["files"][0]
        listed = data["files"][0]["rows"]
        truth = [m for m in world.truth()["media_items"] if m["run_id"] == run["run_id"]]
        got = {f["name"]: f for f in listed["files"]}
        assert listed["count"] == len(got) == 1 + len(truth)
        assert set(got) == {"output.log", *(m["name"] for m in truth)}
        assert all(f["direct"] for f in got.values())
        for m in truth:
            assert got[m["name"]]["size"] == m["bytes"]
            if not m["missing"]:
                assert got[m["name"]]["mimetype"] in ("image/png", "application/json")
        gql = requests.post(
            sim.url + "/graphql",
            auth=("api", sim.api_key),
            json={
                "query": "query F($e: String!, $p: String!, $r: String!) { project(name: $p, "
                'entityName: $e) { run(name: $r) { files(names: ["output.log"]) '
                "{ edges { node { directUrl } } } } } }",
                "variables": {"e": "alice", "p": "quirks", "r": run["run_id"]},
            },
            timeout=30,
        ).json()
        url = gql["data"]["project"]["run"]["files"]["edges"][0]["node"]["directUrl"]
        body = requests.get(url, timeout=30).content
        md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
        assert got["output.log"]["md5"] == md5 and got["output.log"]["size"] == len(body)

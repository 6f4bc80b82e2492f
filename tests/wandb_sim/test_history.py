"""History reads: step windows, sampled history, sampling, events, parquetHistory."""

from __future__ import annotations

import json
import math
from typing import Any

from trackersim.wandb import SimServer, World
from trackersim.wandb.runs import sample

from .client import Gql, named, run_query, run_vars

SAMPLED = run_query("sampledHistory(specs: $specs)").replace(
    "$r: String!", "$r: String!, $specs: [JSONString!]!"
)


def _history(gql: Gql, run: Any, args: str) -> list[dict[str, Any]]:
    rows = gql.data(run_query(f"history({args})"), run_vars(run))["project"]["run"]["history"]
    return [json.loads(r) for r in rows]


def _sampled(gql: Gql, run: Any, *specs: dict[str, Any]) -> list[list[dict[str, Any]]]:
    variables = {**run_vars(run), "specs": [json.dumps(s) for s in specs]}
    return gql.data(SAMPLED, variables)["project"]["run"]["sampledHistory"]  # type: ignore[no-any-return]


def test_history_window_excludes_max_step(small_world: World, gql: Gql) -> None:
    run = named(small_world, "gappy")  # a every 3, b every 5 from 1, all-nan every 10 (< 50)
    rows = _history(gql, run, "minStep: 0, maxStep: 12, samples: 12")
    assert [r["_step"] for r in rows] == [0, 1, 3, 6, 9, 10, 11]  # 2, 4, 5, 7, 8: no row
    assert rows[1] == {
        "b": rows[1]["b"],
        "_step": 1,
        "_runtime": rows[1]["_runtime"],
        "_timestamp": rows[1]["_timestamp"],
    }
    assert "a" in rows[3] and "b" in rows[3]  # step 6: both keys in one row
    assert [r["_step"] for r in _history(gql, run, "minStep: 11, maxStep: 12, samples: 1")] == [11]
    assert _history(gql, run, "minStep: 12, maxStep: 12, samples: 5") == []
    # every window tiles the history exactly once
    windows = [
        _history(gql, run, f"minStep: {lo}, maxStep: {lo + 97}, samples: 97")
        for lo in range(0, 600, 97)
    ]
    assert [r["_step"] for w in windows for r in w] == [r["_step"] for r in run.rows()]


def test_sampled_history_max_step_is_inclusive_and_rows_hold_every_key(
    small_world: World, gql: Gql
) -> None:
    run = named(small_world, "gappy")
    both, only_a = _sampled(
        gql,
        run,
        {"keys": ["_step", "a", "b", "_step"], "minStep": 0, "maxStep": 36, "samples": 100},
        {"keys": ["_step", "a"], "minStep": 3, "maxStep": 9, "samples": 100},
    )
    assert both == [
        {"_step": 6, "a": both[0]["a"], "b": both[0]["b"]},
        {"_step": 21, "a": both[1]["a"], "b": both[1]["b"]},
        {"_step": 36, "a": both[2]["a"], "b": both[2]["b"]},
    ]
    assert [r["_step"] for r in only_a] == [3, 6, 9]
    small_world.options.update({"sampled_rows": "any_key"})
    try:
        (anyk,) = _sampled(gql, run, {"keys": ["_step", "a", "b"], "minStep": 0, "maxStep": 6})
    finally:
        small_world.options.update({"sampled_rows": "all_keys"})
    assert [r["_step"] for r in anyk] == [0, 1, 3, 6]
    assert anyk[1] == {"_step": 1, "b": anyk[1]["b"]}


def test_sampled_specs_are_checked(small_world: World, gql: Gql) -> None:
    run = named(small_world, "gappy")
    for spec in (
        "not json",
        json.dumps({"keys": "a"}),
        json.dumps({"keys": ["a"], "minStep": "x"}),
    ):
        variables = {**run_vars(run), "specs": [spec]}
        assert "invalid sampledHistory spec" in "".join(gql.errors(SAMPLED, variables))


def test_full_history_and_events_are_sampled(small_world: World, gql: Gql) -> None:
    run = named(small_world, "gappy")
    every = _history(gql, run, "samples: 100000")
    assert [r["_step"] for r in every] == [r["_step"] for r in run.rows()]
    some = _history(gql, run, "samples: 10")
    assert len(some) == 10 and some[0] == every[0] and some[-1] == every[-1]
    default = _history(gql, run, "")
    assert len(default) == min(500, len(every))
    sink = named(small_world, "kitchen-sink")
    events = gql.data(run_query("events(samples: 100000)"), run_vars(sink))["project"]["run"][
        "events"
    ]
    parsed = [json.loads(e) for e in events]
    assert len(parsed) == len(sink.events()) > 10
    assert all(e["_wandb"] is True and "system.cpu" in e for e in parsed)


def test_sample_keeps_first_and_last() -> None:
    rows = list(range(1000))
    assert sample(rows, 5) == [0, 250, 500, 749, 999]  # round half to even at 749.25 -> 749
    assert sample(rows, 1) == [999] and sample(rows, 0) == [] and sample(rows[:3], 10) == [0, 1, 2]


def test_kitchen_sink_rows_are_sparse_and_hostile(small_world: World, gql: Gql) -> None:
    run = named(small_world, "kitchen-sink")
    rows = _history(gql, run, "minStep: 0, maxStep: 30, samples: 30")
    assert math.isnan(rows[7]["train/loss"]) and rows[13]["train/loss"] == math.inf
    assert rows[21]["train/loss"] == -math.inf and rows[0]["loss"] == math.inf
    keys = set().union(*rows)
    assert {"Loss", "loss", "val.acc", "損失/训练", "my key", "a,b;\"c'--"} <= keys
    assert (
        rows[5]["samples/img"]["_type"] == "image-file"
        and rows[0]["grad/hist"]["_type"] == "histogram"
    )
    assert isinstance(rows[0]["epoch"], int) and isinstance(rows[0]["phase"], str)
    assert len({len(r) for r in rows}) > 3  # rows hold different key sets
    resumed = named(small_world, "resumed")
    assert _history(gql, resumed, "minStep: 0, maxStep: 1000, samples: 1000") == []
    assert _history(gql, resumed, "minStep: 0, maxStep: 1001, samples: 1001")[0]["_step"] == 1000


def test_parquet_history_without_exports_lists_every_live_step(
    small_world: World, gql: Gql
) -> None:
    run = named(small_world, "gappy")
    query = run_query("parquetHistory(liveKeys: $k) { parquetUrls liveData }").replace(
        "$r: String!", "$r: String!, $k: [String!]!"
    )
    got = gql.data(query, {**run_vars(run), "k": ["_step"]})["project"]["run"]["parquetHistory"]
    assert got["parquetUrls"] == []
    assert got["liveData"] == [{"_step": r["_step"]} for r in run.rows()]


def test_parquet_history_with_an_export(fresh: tuple[World, SimServer, Gql]) -> None:
    world, _, gql = fresh
    world.options.update({"parquet_export": True, "parquet_rows_per_file": 100})
    run = named(world, "resumed")
    world.export(run.name)
    world.grow(run.name, 7)
    query = run_query("parquetHistory(liveKeys: $k) { parquetUrls liveData }").replace(
        "$r: String!", "$r: String!, $k: [String!]!"
    )
    got = gql.data(query, {**run_vars(run), "k": ["_step", "train/loss"]})["project"]["run"]
    urls, live = got["parquetHistory"]["parquetUrls"], got["parquetHistory"]["liveData"]
    assert len(urls) == 2 and all("signature=" in u for u in urls)
    assert [r["_step"] for r in live] == list(range(1120, 1127))
    assert set(live[0]) == {"_step", "train/loss"}

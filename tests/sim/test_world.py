"""Unit tests of worlds: determinism, quirks present, time operations, truth consistency."""

from __future__ import annotations

import math
import time
from collections import Counter
from datetime import datetime
from typing import Any

import pytest

from trackersim.errors import SimConfigError, SimDataError, SimNotFound
from trackersim.swanlab import build_world
from trackersim.swanlab.model import flatten_config
from trackersim.swanlab.truth import rows

from .simclient import run_named


def test_same_seed_same_world_other_seed_other_world() -> None:
    a = build_world("small", seed=3).truth()
    b = build_world("small", seed=3).truth()
    c = build_world("small", seed=4).truth()
    assert a["runs"]["run_id"] == b["runs"]["run_id"]
    assert a["metrics"]["value"][:500] == b["metrics"]["value"][:500]
    assert a["run_config"] == b["run_config"]
    assert a["runs"]["run_id"] != c["runs"]["run_id"]


def test_unknown_preset_and_option() -> None:
    with pytest.raises(SimConfigError):
        build_world("huge")
    with pytest.raises(SimConfigError):
        build_world("small", no_such_option=True)


def test_small_has_every_quirk() -> None:
    world = build_world("small")
    truth = world.truth()
    runs = rows(truth["runs"])
    per_project = Counter(r["project"] for r in runs)
    assert max(per_project.values()) > 100
    assert {"RUNNING", "FINISHED", "CRASHED", "ABORTED"} <= {r["state"] for r in runs}
    names = Counter((r["project"], r["name"]) for r in runs)
    assert max(names.values()) >= 2  # duplicate names within a project
    assert any(r["pinned"] for r in runs) and any(r["labels"] for r in runs)
    clones = [r for r in runs if r["root_run_id"]]
    assert clones and all(r["root_project_id"] for r in clones)
    assert any(r["slug"] is None for r in runs)

    keys = rows(truth["metric_keys"])
    per_run = Counter(k["run_id"] for k in keys if k["kind"] == "SCALAR")
    assert max(per_run.values()) > 16
    assert any(k["class"] == "SYSTEM" and k["key"].startswith("__swanlab__.") for k in keys)
    assert any(k["kind"] == "MEDIA" for k in keys)
    sink = run_named(world, "alice/quirks", "kitchen-sink")
    sink_keys = {k["key"] for k in keys if k["run_id"] == sink}
    assert {"Loss", "loss"} <= sink_keys
    with_keys = {k["run_id"] for k in keys}
    assert any(r["run_id"] not in with_keys and not r["deleted"] for r in runs)  # no metrics

    values = truth["metrics"]["value"]
    assert any(math.isnan(v) for v in values)
    assert any(v == math.inf for v in values) and any(v == -math.inf for v in values)
    resumed = run_named(world, "alice/quirks", "resumed-at-100")
    assert min(s for s, _, _ in world.iter_points(resumed, "loss")) == 100
    sparse = [s for s, _, _ in world.iter_points(sink, "sparse/every5")]
    assert sparse[:3] == [0, 5, 10]

    # the same key drifts between types: numeric and text leaves, and list items as batch_size[i]
    config_rows = rows(truth["run_config"])
    batch = [r for r in config_rows if r["key"] == "batch_size"]
    assert any(r["value_double"] is not None for r in batch)
    assert any(r["value_text"] is not None for r in batch)
    assert any(r["key"].startswith("batch_size[") for r in config_rows)
    types = set()
    for cfg in truth["runs"]["config"]:
        if "batch_size" in cfg:
            types.add(type(cfg["batch_size"]).__name__)
    assert {"int", "str", "list"} <= types
    leaves = Counter(truth["run_config"]["run_id"])
    assert max(leaves.values()) >= 2000


def test_flatten_config_rules() -> None:
    cfg: dict[str, Any] = {
        "a": {"b": 1, "c": [True, None, {"d": "x"}]},
        "empty": {},
        "none": [],
        "n": None,
        "a.dotted": 2.5,
    }
    assert flatten_config(cfg) == [
        ("a.b", 1),
        ("a.c[0]", True),
        ("a.c[1]", None),
        ("a.c[2].d", "x"),
        ("empty", {}),
        ("none", []),
        ("n", None),
        ("a.dotted", 2.5),
    ]


def test_run_config_typed_columns() -> None:
    world = build_world("small")
    sink = run_named(world, "alice/quirks", "kitchen-sink")
    rc = rows(world.truth(metrics=False)["run_config"])
    mine = {r["key"]: r for r in rc if r["run_id"] == sink}
    assert mine["model.depth"]["value_double"] == 50.0 and mine["model.depth"]["value"] == "50"
    assert mine["model.act.approx"]["value_bool"] is True
    assert mine["model.act.approx"]["value_double"] is None
    assert mine["flags[2]"]["value"] == "null"
    assert mine["tags"]["value"] == "[]" and mine["extra"]["value"] == "{}"
    assert mine["描述"]["value_text"] == "中文配置 ✓ émoji 🚀"
    assert mine["matrix[1][0]"]["value_double"] == 3.0
    assert mine["mixed[2].three"]["value_double"] == 3.0
    assert mine["data.path"]["value_text"] == "/data/imagenet"


def test_grow_appends_without_changing_history() -> None:
    world = build_world("small")
    sink = run_named(world, "alice/quirks", "kitchen-sink")
    before = list(world.iter_points(sink, "loss"))
    world.grow(sink, steps=25)
    after = list(world.iter_points(sink, "loss"))
    assert len(after) == len(before) + 25
    assert after[: len(before)] == before
    assert after[-1][0] == before[-1][0] + 25
    finished = run_named(world, "alice/quirks", "huge-config")
    with pytest.raises(SimDataError):
        world.grow(finished, 5)


def test_new_sparse_key_appears_with_growth() -> None:
    world = build_world("small")
    rid = run_named(world, "alice/quirks", "just-started")

    def keys() -> set[str]:
        t = world.truth(metrics=False)["metric_keys"]
        return {k for r, k in zip(t["run_id"], t["key"], strict=True) if r == rid}

    assert "sparse/every10" not in keys()
    world.grow(rid, 10)
    assert "sparse/every10" in keys()


def test_finish_delete_config_add_run_add_key() -> None:
    world = build_world("small")
    rid = run_named(world, "alice/quirks", "kitchen-sink")
    t0 = datetime.now().astimezone()
    world.finish(rid, "CRASHED")
    runs = rows(world.truth(metrics=False)["runs"])
    row = next(r for r in runs if r["run_id"] == rid)
    assert row["state"] == "CRASHED"
    assert row["finished_at"] is not None and row["finished_at"] >= t0.replace(microsecond=0)

    world.set_config(rid, "optim.lr", 0.5)
    world.set_config(rid, "brand.new", [1])
    cfg = next(r for r in rows(world.truth(metrics=False)["runs"]) if r["run_id"] == rid)["config"]
    assert cfg["optim"]["lr"] == 0.5 and cfg["brand"] == {"new": [1]}

    world.add_key(rid, "new/key")
    assert any(p for p in world.iter_points(rid, "new/key"))
    with pytest.raises(SimDataError):
        world.add_key(rid, "new/key")

    new = world.add_run("alice/quirks", name="fresh", keys=("a", "b"))
    assert new in world.runs("alice/quirks")
    assert world.run(new).state == "RUNNING"
    other = world.add_run("newteam/newproj")
    assert "newteam/newproj" in world.projects() and other in world.runs("newteam/newproj")

    world.delete_run(rid)
    t = world.truth()
    assert rid in t["runs"]["run_id"]
    assert t["runs"]["deleted"][t["runs"]["run_id"].index(rid)] is True
    for table in ("run_config", "metric_keys", "metrics", "summaries"):
        assert rid not in t[table]["run_id"], table
    assert rid not in world.runs()
    with pytest.raises(SimNotFound):
        world.grow(rid, 1)


def test_tick_is_deterministic_given_state() -> None:
    a, b = build_world("small"), build_world("small")
    for seed in range(5):
        assert a.tick(seed) == b.tick(seed)
    ta, tb = a.truth(), b.truth()
    assert ta["metric_keys"] == tb["metric_keys"]
    assert ta["runs"]["state"] == tb["runs"]["state"]
    assert [repr(v) for v in ta["metrics"]["value"]] == [repr(v) for v in tb["metrics"]["value"]]


def test_truth_tables_consistent() -> None:
    world = build_world("small")
    t = world.truth()
    live = {r for r, d in zip(t["runs"]["run_id"], t["runs"]["deleted"], strict=True) if not d}
    scalar = {
        (r, k)
        for r, k, kind in zip(
            t["metric_keys"]["run_id"],
            t["metric_keys"]["key"],
            t["metric_keys"]["kind"],
            strict=True,
        )
        if kind == "SCALAR"
    }
    series = set(zip(t["metrics"]["run_id"], t["metrics"]["key"], strict=True))
    assert series == scalar
    assert set(zip(t["summaries"]["run_id"], t["summaries"]["key"], strict=True)) == scalar
    assert {r for r, _ in scalar} <= live
    # summaries agree with the points (NaN ignored for min/max)
    pts: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for r, k, s, v in zip(
        t["metrics"]["run_id"],
        t["metrics"]["key"],
        t["metrics"]["step"],
        t["metrics"]["value"],
        strict=True,
    ):
        pts.setdefault((r, k), []).append((s, v))
    for row in rows(t["summaries"]):
        p = pts[(row["run_id"], row["key"])]
        assert row["last_step"] == p[-1][0]
        real = [x for x in p if not math.isnan(x[1])]
        if real:
            assert row["min_value"] == min(v for _, v in real)
            assert row["max_value"] == max(v for _, v in real)
        else:
            assert row["min_value"] is None
    counts = Counter(t["runs"]["project"])
    for proj, n in zip(t["projects"]["project"], t["projects"]["run_count"], strict=True):
        assert n == counts.get(proj, 0)
    assert all(ts.tzinfo is not None for ts in t["metrics"]["ts"][:100])


def test_clone_carries_root_points() -> None:
    world = build_world("small")
    t = world.truth()
    runs = rows(t["runs"])
    clone = next(r for r in runs if r["root_run_id"])
    root = clone["root_run_id"]

    def series(rid: object) -> list[object]:
        return [
            (k, s, v)
            for r, k, s, v in zip(
                t["metrics"]["run_id"],
                t["metrics"]["key"],
                t["metrics"]["step"],
                t["metrics"]["value"],
                strict=True,
            )
            if r == rid
        ]

    assert series(clone["run_id"]) == series(root) != []


def test_bench_is_lazy_and_sized() -> None:
    t0 = time.perf_counter()
    world = build_world("bench", runs=200, keys=20, steps=2500)
    assert time.perf_counter() - t0 < 5
    assert len(world.runs()) == 200
    rid = world.runs()[-1]
    pts = list(world.iter_points(rid, "metric/019"))
    assert len(pts) == 2500 and pts[0][0] == 0 and pts[-1][0] == 2499
    small = build_world("bench", runs=3, keys=2, steps=10)
    truth = small.truth(metrics=False)
    assert "metrics" not in truth and len(truth["summaries"]["key"]) == 6


def test_add_run_rejects_unknown_fields() -> None:
    world = build_world("small")
    with pytest.raises(SimDataError):
        world.add_run("alice/quirks", colour="red")
    with pytest.raises(SimDataError):
        world.add_run("no-slash")

"""Worlds, time moves and the truth export (no HTTP)."""

from __future__ import annotations

import math

import pytest

from trackersim.errors import SimConfigError, SimDataError, SimNotFound
from trackersim.wandb import build_world
from trackersim.wandb.model import flatten, unwrap_config

from .client import named


def test_worlds_are_deterministic_from_the_seed() -> None:
    a, b, c = (
        build_world("small", seed=3),
        build_world("small", seed=3),
        build_world("small", seed=4),
    )
    assert a.runs() == b.runs() != c.runs()
    assert a.api_key == b.api_key and a.api_key.startswith("local-") and len(a.api_key) == 46
    ta, tb = a.truth(), b.truth()
    assert repr(ta["history"]) == repr(tb["history"])  # repr: NaN == NaN


@pytest.mark.parametrize("name", ["demo", "small"])
def test_truth_is_consistent_with_the_model(name: str) -> None:
    world = build_world(name, seed=0)
    truth = world.truth()
    live = [r for r in truth["runs"] if not r["deleted"]]
    assert {(p["project"], p["run_id"]) for p in truth["history"]} <= {
        (r["project"], r["run_id"]) for r in live
    }
    for run in live:
        points = [p for p in truth["history"] if p["run_id"] == run["run_id"]]
        steps = sorted({p["step"] for p in points})
        assert run["history_line_count"] == len(steps)
        assert run["last_step"] == (steps[-1] if steps else None)
        for key, kind in run["history_keys"].items():
            mine = [p for p in points if p["key"] == key]
            last = max(mine, key=lambda p: p["step"])
            if key not in world.run(run["run_id"]).summary_extra:
                got, want = run["summary"][key], last["value"]
                assert got == want or (
                    isinstance(got, float) and math.isnan(got) and math.isnan(want)
                )
            assert kind in ("number", "string", "image-file", "table-file", "histogram")
        assert run["config"] == unwrap_config(run["config_raw"])[0]
        assert "_wandb" not in run["config"] and "_wandb" in run["wandb_internal"]
    assert truth["media"] == [p for p in truth["history"] if isinstance(p["value"], dict)]
    projects = {p["path"]: p["run_count"] for p in truth["projects"]}
    assert sum(projects.values()) == len(live)


def test_small_world_has_every_quirk() -> None:
    world = build_world("small", seed=0)
    truth = world.truth()
    states = {r["state"] for r in truth["runs"]}
    assert states >= {
        "running",
        "finished",
        "crashed",
        "failed",
        "killed",
        "preempted",
        "preempting",
        "pending",
    }
    assert any(r["deleted"] for r in truth["runs"])
    zoo = next(r for r in truth["runs"] if r["display_name"] == "config-zoo")
    assert zoo["config"]["bare"] == 5 and zoo["wandb_internal"]["wandb_version"] == 1
    assert zoo["config_flat"]["nested.list[3].x"] == 3.5 and zoo["config_flat"]["empty_dict"] == {}
    assert math.isnan(zoo["config"]["nan_param"]) and "opt.lr" in zoo["config"]
    huge = next(r for r in truth["runs"] if r["display_name"] == "huge-summary")
    assert len(huge["summary"]) > 3000 and len(huge["summary"]["blob"]) == 200_000
    keys = {p["key"] for p in truth["history"]}
    assert {"Loss", "loss", "損失/训练", "my key", "val.acc", "DROP TABLE runs;--"} <= keys
    assert {p["value"]["_type"] for p in truth["media"]} == {
        "image-file",
        "table-file",
        "histogram",
    }


def test_flatten() -> None:
    assert flatten({"a": {"b": [1, {"c": 2}]}, "d": [], "e": {}}) == [
        ("a.b[0]", 1),
        ("a.b[1].c", 2),
        ("d", []),
        ("e", {}),
    ]


def test_time_moves() -> None:
    world = build_world("small", seed=0)
    sink = named(world, "kitchen-sink")
    before = world.truth(history=False)
    hb = sink.heartbeat_s
    world.grow(sink.name, 10)
    assert sink.ticks == 270 and sink.heartbeat_s > hb
    world.heartbeat(sink.name)
    world.add_key(sink.name, "late/key", kind="image", every=2)
    world.grow(sink.name, 4)
    row = world.run(sink.name).rows(270, 274)
    assert [("late/key" in r) for r in row] == [True, False, True, False]
    world.set_config(sink.name, "optimizer.name", "sgd")
    world.set_config(sink.name, "brand.new.deep", 1)
    world.set_tags(sink.name, ["x"])
    world.set_summary(sink.name, "best", 1.5)
    world.finish(sink.name, "killed")
    after = world.truth(history=False)
    run = next(r for r in after["runs"] if r["run_id"] == sink.name)
    assert run["config"]["optimizer"]["name"] == "sgd" and run["config"]["brand"] == {
        "new": {"deep": 1}
    }
    assert run["tags"] == ["x"] and run["summary"]["best"] == 1.5 and run["state"] == "killed"
    assert run["last_step"] == 273
    assert len(after["runs"]) == len(before["runs"])
    new = world.add_run("vision-lab/new-proj", display_name="n", ticks=3)
    assert world.run(f"vision-lab/new-proj/{new}").state == "running"
    world.delete_run(new)
    assert new not in world.runs() and new in world.runs(include_deleted=True)


def test_time_moves_refuse_what_cannot_happen() -> None:
    world = build_world("small", seed=0)
    done = named(world, "gappy")
    with pytest.raises(SimDataError, match="only running runs grow"):
        world.grow(done.name, 1)
    with pytest.raises(SimDataError, match="state must be one of"):
        world.finish(named(world, "kitchen-sink").name, "running")
    with pytest.raises(SimDataError, match="already has key"):
        world.add_key(done.name, "a")
    with pytest.raises(SimDataError, match="unknown run fields"):
        world.add_run("alice/quirks", colour="red")
    with pytest.raises(SimDataError, match="'entity/name'"):
        world.add_run("noslash")
    with pytest.raises(SimNotFound):
        world.grow("nosuchid", 1)
    gone = next(r for r in world.run_map.values() if r.deleted)
    with pytest.raises(SimNotFound, match="deleted"):
        world.set_tags(gone.name, [])
    with pytest.raises(SimNotFound):
        world.run("alice/sweep/" + done.name)  # right id, wrong project


def test_tick_is_deterministic_and_clock_strictly_increases() -> None:
    a, b = build_world("small", seed=0, cursor_style="keyset"), build_world("small", seed=0)
    assert a.options.cursor_style == "keyset"
    assert [a.tick(s) for s in range(5)] == [b.tick(s) for s in range(5)]
    stamps = [a.now_s() for _ in range(5)]
    assert stamps == sorted(set(stamps))


def test_presets_and_options_are_checked() -> None:
    with pytest.raises(SimConfigError, match="unknown world"):
        build_world("huge")
    with pytest.raises(SimConfigError, match="unknown parameters"):
        build_world("small", runs=3)
    with pytest.raises(SimConfigError, match="unknown simulator option"):
        build_world("small").options.update({"nope": 1})
    with pytest.raises(SimConfigError, match="must be one of"):
        build_world("small").options.update({"cursor_style": "pages"})
    with pytest.raises(SimConfigError, match="takes a bool"):
        build_world("small").options.update({"parquet_export": "yes"})


def test_bench_world_is_lazy_and_sized() -> None:
    world = build_world("bench", seed=0)
    truth = world.truth(history=False)
    assert len(truth["runs"]) == 200 and len(truth["projects"]) == 2
    finished = next(r for r in world.run_map.values() if r.state == "finished")
    assert finished.ticks == 2500 and len(finished.keys) == 20
    points = list(world.iter_history(finished.name))
    assert len(points) == 15 * 2500 + 5 * 250
    small = build_world("bench", runs=3, keys=2, steps=10, projects=1)
    assert len(small.truth()["history"]) == 3 * (10 + 1)  # k00 every 10 steps, k01 every step

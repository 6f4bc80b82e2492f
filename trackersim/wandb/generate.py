"""World presets: ``demo`` (pleasant), ``small`` (every quirk, test-sized), ``bench`` (parametric).

Everything is deterministic from the seed; history values are formulas (see history.py), so the
bench world (200 runs x 20 keys x 2,500 steps by default) is built in milliseconds and its rows
are generated only when somebody reads them.
"""

from __future__ import annotations

import random
from typing import Any

from trackersim.errors import SimConfigError
from trackersim.wandb import factory
from trackersim.wandb.factory import key
from trackersim.wandb.model import Project, User, api_key
from trackersim.wandb.options import WorldOptions
from trackersim.wandb.world import World

BASE_S = 1_735_689_600  # 2025-01-01T00:00:00Z
HOUR = 3600
PRESETS = ("demo", "small", "bench")
NAN, INF = float("nan"), float("inf")


def build_world(name: str = "small", seed: int = 0, **params: Any) -> World:
    """A world from a preset. ``params`` override preset parameters (bench: runs, keys, steps,
    projects) or set :class:`~trackersim.wandb.options.WorldOptions` fields by name."""
    option_names = set(WorldOptions().as_dict())
    opts = {k: v for k, v in params.items() if k in option_names}
    rest = {k: v for k, v in params.items() if k not in option_names}
    allowed = {"demo": {"steps"}, "small": set(), "bench": {"runs", "keys", "steps", "projects"}}
    if name not in allowed:
        raise SimConfigError(f"unknown world {name!r}; choose one of {', '.join(PRESETS)}")
    unknown = set(rest) - allowed[name]
    if unknown:
        raise SimConfigError(
            f"unknown parameters {sorted(unknown)} for world {name!r}; parameters: "
            f"{sorted(allowed[name])}, options: {sorted(option_names)}"
        )
    builders = {"demo": _demo, "small": _small, "bench": _bench}
    world = builders[name](seed, **rest)
    world.options.update(opts)
    return world


def _new_world(name: str, seed: int, teams: list[str]) -> tuple[World, random.Random]:
    rng = random.Random(f"trackersim-wandb:{name}:{seed}")
    user = User("alice", "Alice Liu", "alice@example.com", teams)
    return World(name, seed, user=user, api_key=api_key(rng)), rng


def _finalize(world: World) -> World:
    for proj in world.project_map.values():
        for run in proj.runs:
            world.register(run)
    return world


def _curves(seed: int, steps: int) -> list[Any]:
    return [
        key(seed, "train/loss"),
        key(seed, "train/acc"),
        key(seed, "val/loss", first=9, every=10),
        key(seed, "val/acc", first=9, every=10),
        key(seed, "lr"),
        key(seed, "epoch", "int", every=max(1, steps // 10)),
    ]


# -- demo -----------------------------------------------------------------------------------------
def _demo(seed: int, steps: int = 300) -> World:
    world, rng = _new_world("demo", seed, ["vision-lab"])
    plans = [
        ("alice", "mnist", 8),
        ("alice", "llm-finetune", 6),
        ("vision-lab", "detr", 5),
    ]
    t = BASE_S
    for entity, pname, n in plans:
        proj = world.add_project(entity, pname, t, f"{pname} experiments")
        for i in range(n):
            t += 3 * HOUR
            lr = rng.choice([1e-4, 3e-4, 1e-3, 3e-3])
            bs = rng.choice([32, 64, 128])
            running = i == n - 1
            run_seed = rng.getrandbits(32)
            keys = _curves(run_seed, steps)
            if i % 3 == 0:
                keys.append(key(run_seed, "predictions", "image", first=49, every=50))
            factory.make_run(
                proj,
                rng,
                display_name=f"{pname}-lr{lr:g}-bs{bs}",
                created_s=t,
                state="running" if running else rng.choice(["finished"] * 4 + ["crashed"]),
                ticks=steps // 2 if running else steps,
                keys=keys,
                config={
                    "optimizer": {"name": "adamw", "lr": lr, "betas": [0.9, 0.999]},
                    "batch_size": bs,
                    "epochs": 10,
                    "model": {"arch": rng.choice(["resnet18", "vit-s", "convnext-t"])},
                },
                tags=["baseline"] if i == 0 else (["sweep"] if i % 2 else []),
                group=f"{pname}-grid",
                job_type="train",
            )
    return _finalize(world)


# -- bench ----------------------------------------------------------------------------------------
def _bench(
    seed: int, runs: int = 200, keys: int = 20, steps: int = 2500, projects: int = 2
) -> World:
    world, rng = _new_world("bench", seed, [])
    projs = [world.add_project("alice", f"bench-{p}", BASE_S) for p in range(max(1, projects))]
    for i in range(runs):
        proj = projs[i % len(projs)]
        run_seed = rng.getrandbits(32)
        specs = []
        for k in range(keys):
            every = 1 if k % 4 else 10  # a quarter of the keys on a coarser grid
            specials = {steps // 3: NAN} if k == 0 and i % 7 == 0 else {}
            specs.append(
                key(run_seed, f"metric/k{k:02d}", first=every - 1, every=every, specials=specials)
            )
        running = i % 10 == 9
        factory.make_run(
            proj,
            rng,
            display_name=f"bench-{i:04d}",
            created_s=BASE_S + i * 60,
            state="running" if running else "finished",
            ticks=steps // 2 if running else steps,
            keys=specs,
            config={"lr": 10 ** -(1 + i % 4), "batch_size": 2 ** (4 + i % 4), "seed": i},
            tags=["bench"],
            system=i % 2 == 0,
        )
    return _finalize(world)


# -- small ----------------------------------------------------------------------------------------
def _small(seed: int) -> World:
    world, rng = _new_world("small", seed, ["vision-lab"])
    quirks = world.add_project("alice", "quirks", BASE_S, "every quirk of W&B data")
    _kitchen_sink(quirks, rng)
    _quirk_runs(quirks, rng)
    _sweep(world.add_project("alice", "sweep", BASE_S + HOUR), rng)
    world.add_project("alice", "empty", BASE_S + 2 * HOUR, None)
    detr = world.add_project("vision-lab", "detr", BASE_S + 3 * HOUR)
    for i, user in enumerate(["alice", "bob", "bob"]):
        run_seed = rng.getrandbits(32)
        factory.make_run(
            detr,
            rng,
            display_name=f"detr-{i}",
            created_s=BASE_S + (4 + i) * HOUR,
            user=user,
            ticks=80,
            keys=_curves(run_seed, 80),
            config={"backbone": "resnet50", "queries": 100},
        )
    for p in range(11):  # enough projects that listing them takes several pages
        proj = world.add_project("alice", f"p-{p:02d}", BASE_S + (10 + p) * HOUR)
        factory.make_run(
            proj,
            rng,
            display_name="only",
            created_s=proj.created_s + 60,
            ticks=5,
            key_names=("loss",),
            system=False,
        )
    return _finalize(world)


def _kitchen_sink(proj: Project, rng: random.Random) -> None:
    s = rng.getrandbits(32)
    keys = [
        key(s, "train/loss", specials={7: NAN, 13: INF, 21: -INF}),
        key(s, "train/acc", every=2),
        key(s, "val.acc", first=9, every=10),
        key(s, "損失/训练", every=3),
        key(s, "my key", every=5, specials={10: NAN}),
        key(s, "a,b;\"c'--", every=7),
        key(s, "DROP TABLE runs;--", every=13),
        key(s, "Loss", every=4),
        key(s, "loss", every=6, specials={0: INF}),
        key(s, "epoch", "int", every=50),
        key(s, "phase", "string", every=25),
        key(s, "samples/img", "image", first=5, every=20),
        key(s, "eval/table", "table", first=49, every=50),
        key(s, "grad/hist", "histogram", every=30),
        key(s, "sparse/rare", first=5, every=37, until=200),
        key(s, "late/starter", first=150),
    ]
    sink = factory.make_run(
        proj,
        rng,
        display_name="kitchen-sink",
        created_s=BASE_S + 60,
        state="running",
        ticks=260,
        keys=keys,
        config={
            "optimizer": {"name": "adamw", "lr": 3e-4, "betas": [0.9, 0.999]},
            "batch_size": 64,
            "data": {"path": "/data/imagenet", "augment": {"flip": True, "crop": [224, 224]}},
        },
        tags=["quirks", "a/b", "ünï code", "Quirks"],
        group="kitchen",
        job_type="train",
        notes="a run with 'quotes', \"double\", commas, and\nnewlines",
    )
    sink.console_long = 7


def _quirk_runs(proj: Project, rng: random.Random) -> None:
    t = BASE_S + 2 * HOUR
    s = rng.getrandbits(32)
    nan_offsets = {o: NAN for o in range(0, 50, 10)}
    factory.make_run(  # keys on different grids: gaps in _step where nothing was logged
        proj,
        rng,
        display_name="gappy",
        created_s=t,
        ticks=600,
        keys=[
            key(s, "a", every=3),
            key(s, "b", first=1, every=5),
            key(s, "all-nan", every=10, until=50, specials=nan_offsets),
        ],
        config={"grid": "3/5"},
        system=False,
    )
    factory.make_run(  # resumed: steps start at 1000
        proj,
        rng,
        display_name="resumed",
        created_s=t + 60,
        state="running",
        ticks=120,
        step_base=1000,
        key_names=("train/loss", "train/acc"),
        config={"resume": True},
    )
    factory.make_run(
        proj, rng, display_name="pending-empty", created_s=t + 120, state="pending", system=False
    )
    for i, state in enumerate(("crashed", "failed", "killed", "preempted", "preempting")):
        factory.make_run(
            proj,
            rng,
            display_name=f"state-{state}",
            created_s=t + 180 + 60 * i,
            state=state,
            ticks=30,
            key_names=("loss",),
            config={"state": state},
        )
    huge: dict[str, Any] = {f"metric_{i:04d}": i / 7 for i in range(3000)}
    huge["blob"] = "x" * 200_000
    huge["deep"] = {"l1": {"l2": {"l3": {"l4": [1, {"l5": "bottom"}]}}}}
    factory.make_run(
        proj,
        rng,
        display_name="huge-summary",
        created_s=t + 600,
        ticks=10,
        key_names=("loss",),
        summary_extra=huge,
    )
    zoo = factory.wrap(
        {
            "nested": {"a": {"b": {"c": 1}}, "list": [1, "two", None, {"x": 3.5}]},
            "none": None,
            "flag": False,
            "empty_dict": {},
            "empty_list": [],
            "学习率": 0.001,
            "opt.lr": 0.01,
            "with space": "v a l",
            "csv,\"sql';--": "special",
            "Case": 1,
            "case": 2,
            "nan_param": NAN,
            "big_int": 2**53 + 1,
        },
        {"nested": "a nested value", "学习率": "learning rate"},
    )
    zoo["bare"] = 5  # a value without the {value, desc} wrapper
    zoo["wandb_version"] = 1
    zoo["_wandb"] = factory.wandb_internals(rng, t + 660)
    factory.make_run(
        proj,
        rng,
        display_name="config-zoo",
        created_s=t + 660,
        ticks=5,
        key_names=("loss",),
        raw_config=zoo,
    )
    factory.make_run(
        proj,
        rng,
        display_name="summary-edits",
        created_s=t + 720,
        ticks=40,
        key_names=("train/loss", "val/acc"),
        summary_extra={
            "train/loss": 0.001,  # edited: differs from the last logged value
            "best/acc": 0.99,
            "nested": {"a": {"b": [1, 2]}},
            "nan_metric": NAN,
            "inf_metric": -INF,
            "media": {"_type": "image-file", "path": "media/images/x.png", "size": 10},
        },
    )
    for i in range(2):
        factory.make_run(
            proj, rng, display_name="Same Name", created_s=t + 780 + i, ticks=3, key_names=("x",)
        )
    gone = factory.make_run(
        proj, rng, display_name="deleted-run", created_s=t + 900, ticks=10, key_names=("loss",)
    )
    gone.deleted = True


def _sweep(proj: Project, rng: random.Random) -> None:
    tag_pool = ["baseline", "sweep", "a/b", "ünï"]
    for i in range(120):
        state = "finished"
        if i % 17 == 5:
            state = "crashed"
        elif i >= 115:
            state = "running"
        tags = [t for j, t in enumerate(tag_pool) if (i >> j) & 1]
        run_seed = rng.getrandbits(32)
        factory.make_run(
            proj,
            rng,
            display_name=f"sweep-{i:03d}",
            created_s=BASE_S + HOUR + 600 * (i + 1),
            state=state,
            ticks=40,
            keys=[key(run_seed, "train/loss"), key(run_seed, "val/acc", first=4, every=5)],
            config={
                "lr": [1e-4, 3e-4, 1e-3, 3e-3][i % 4],
                "batch_size": [16, 32, 64][i % 3],
                "optimizer": {
                    "name": "adam" if i % 2 else "sgd",
                    "momentum": round(0.1 * (i % 10), 1),
                },
                "dropout": None if i % 5 == 0 else 0.1 * (i % 5),
            },
            tags=tags,
            group=f"g-{i % 4}",
            job_type="train" if i % 3 else "eval",
            sweep="sw1" if i < 60 else None,
            system=i % 10 == 0,
        )

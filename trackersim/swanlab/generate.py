"""World presets: ``demo`` (pleasant), ``small`` (every quirk, test-sized), ``bench`` (parametric).

``hostile=True`` (the default for ``small``) adds the hostile project of
:mod:`trackersim.swanlab.hostile` and switches on every wire-format quirk
(:data:`~trackersim.swanlab.options.HOSTILE_OPTIONS`); ``demo`` and ``bench`` are friendly unless
asked (``make demo`` shows a readable leaderboard, benchmarks measure the plain formats).

Everything is deterministic from the seed; metric points are formulas (see series.py), so even
the 10 M point bench world is built in milliseconds.
"""

from __future__ import annotations

import random
from typing import Any

from trackersim.errors import SimConfigError
from trackersim.swanlab import factory, hostile
from trackersim.swanlab.model import Project, Run, Workspace, api_key, cuid
from trackersim.swanlab.options import HOSTILE_OPTIONS, WorldOptions
from trackersim.swanlab.world import World

BASE_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z
HOUR = 3_600_000
PRESETS = ("demo", "small", "bench")
HOSTILE_BY_DEFAULT = {"demo": False, "small": True, "bench": False}


def build_world(
    name: str = "small", seed: int = 0, *, hostile: bool | None = None, **params: Any
) -> World:
    """A world from a preset. ``params`` override preset parameters (bench: runs, keys, steps)
    or set :class:`~trackersim.swanlab.options.WorldOptions` fields by name (after ``hostile``
    set its options, so one quirk can be switched off: ``build_world("small", csv_bom=False)``).
    ``hostile`` (default: the preset's :data:`HOSTILE_BY_DEFAULT`) adds hostile data and turns
    every wire quirk on."""
    option_names = set(WorldOptions().as_dict())
    opts = {k: v for k, v in params.items() if k in option_names}
    rest = {k: v for k, v in params.items() if k not in option_names}
    allowed = {
        "demo": {"steps"},
        "small": {"sweep_runs"},
        "bench": {"runs", "keys", "steps", "log_lines", "log_width"},
    }
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
    if HOSTILE_BY_DEFAULT[name] if hostile is None else hostile:
        _harden(world, seed)
    world.options.update(opts)
    return world


def _harden(world: World, seed: int) -> None:
    """The hostile project (its own random stream: the preset's ids do not change) and every
    wire-format quirk."""
    rng = random.Random(f"swansync-sim:{world.name}:{seed}:hostile")
    t0 = BASE_MS + 5 * HOUR
    proj = _project(
        world,
        rng,
        world.user,
        hostile.PROJECT_NAME,
        t0,
        hostile.PROJECT_DESCRIPTION,
        list(hostile.LABELS),
    )
    hostile.add_hostile_project(proj, rng, t0 + 60_000)
    _finalize(world)
    world.options.update(HOSTILE_OPTIONS)


def _project(
    world: World,
    rng: random.Random,
    ws: Workspace,
    name: str,
    created_ms: int,
    description: str = "",
    labels: list[str] | None = None,
    visibility: str = "PRIVATE",
) -> Project:
    proj = Project(ws, name, cuid(rng), description, visibility, list(labels or []), created_ms, 0)
    return world.add_project(proj)


def _finalize(world: World) -> World:
    for proj in world.project_map.values():
        for run in proj.runs:
            world.register(run)
        stamps = [proj.created_ms] + [r.updated_ms for r in proj.runs]
        proj.updated_ms = max(stamps)
    return world


def _new_world(name: str, seed: int, user: str = "alice") -> tuple[World, random.Random]:
    rng = random.Random(f"swansync-sim:{name}:{seed}")
    ws = Workspace(user, user.capitalize() + " Liu" if user == "alice" else user, "PERSON")
    return World(name, seed, user=ws, api_key=api_key(rng)), rng


# -- demo -----------------------------------------------------------------------------------------
def _demo(seed: int, steps: int = 300) -> World:
    world, rng = _new_world("demo", seed)
    lab = world.add_workspace(Workspace("vision-lab", "Vision Lab", "TEAM"))
    plans = [
        (world.user, "mnist-classifier", "Small CNNs on MNIST", 10),
        (world.user, "llm-finetune", "LoRA fine-tuning of a 1B model", 8),
        (lab, "detr-coco", "DETR object detection on COCO", 7),
    ]
    t = BASE_MS
    keys = ("train/loss", "train/acc", "val/loss", "val/acc", "lr", "grad_norm")
    for ws, pname, desc, n in plans:
        proj = _project(world, rng, ws, pname, t, desc, ["demo"])
        for i in range(n):
            t += 3 * HOUR
            lr = rng.choice([1e-4, 3e-4, 1e-3, 3e-3])
            bs = rng.choice([32, 64, 128])
            state = (
                "RUNNING" if i >= n - 2 and i % 2 else rng.choice(["FINISHED"] * 4 + ["CRASHED"])
            )
            run = factory.make_run(
                proj,
                rng,
                name=f"{pname.split('-')[0]}-lr{lr:g}-bs{bs}",
                created_ms=t,
                state=state,
                ticks=steps if state != "RUNNING" else steps // 2,
                keys=keys,
                system=True,
                media=("samples/predictions",) if i % 3 == 0 else (),
                media_items=2,
                log_every=10,
                labels=["baseline"] if i == 0 else (["sweep"] if i % 2 else []),
                pinned=i == 0,
                config={
                    "optimizer": {"name": "adamw", "lr": lr, "betas": [0.9, 0.999]},
                    "batch_size": bs,
                    "epochs": 10,
                    "model": {"arch": rng.choice(["resnet18", "vit-s", "convnext-t"])},
                },
                description=f"{desc}, trial {i}",
            )
            factory.add_series(run, "val/epoch_time", every=30, shape="flat")
    return _finalize(world)


# -- bench ----------------------------------------------------------------------------------------
def _bench(
    seed: int,
    runs: int = 20,
    keys: int = 10,
    steps: int = 1000,
    log_lines: int = 0,
    log_width: int = 100,
) -> World:
    """``runs`` runs of ``keys`` keys and ``steps`` steps; with ``log_lines``, one more run
    whose console has that many lines of about ``log_width`` bytes (1 GB: 10,737,418 x 100)."""
    world, rng = _new_world("bench", seed)
    proj = _project(world, rng, world.user, "bench", BASE_MS, "benchmark project")
    names = tuple(f"metric/{k:03d}" for k in range(keys))
    for i in range(runs):
        factory.make_run(
            proj,
            rng,
            name=f"bench-{i:04d}",
            created_ms=BASE_MS + (i + 1) * 60_000,
            ticks=steps,
            tick_ms=100,
            keys=names,
            config={"index": i, "lr": 10 ** -(1 + i % 4)},
            metadata={},
            requirements=None,
        )
    if log_lines > 0:
        factory.make_run(
            proj,
            rng,
            name="console-heavy",
            created_ms=BASE_MS + (runs + 1) * 60_000,
            ticks=1,
            keys=("loss",),
            log_fixed=log_lines,
            log_width=log_width,
            metadata={},
            requirements=None,
        )
    return _finalize(world)


# -- small ----------------------------------------------------------------------------------------
def _small(seed: int, sweep_runs: int = 112) -> World:
    world, rng = _new_world("small", seed)
    alice = world.user
    lab = world.add_workspace(Workspace("vision-lab", "Vision Lab", "TEAM", role="MEMBER"))
    world.add_workspace(Workspace("empty-team", "Nobody Home", "TEAM", role="VIEWER"))
    t = BASE_MS

    sweep = _project(world, rng, alice, "mnist-sweep", t, "a sweep with > 100 runs", ["sweep"])
    states = ["FINISHED"] * 6 + ["CRASHED", "ABORTED"]
    for i in range(sweep_runs):
        t += 600_000
        bs: Any = 64 if i % 2 else 32
        if i == 7:
            bs = "64"  # type drift: str
        if i == 13:
            bs = [32, 64]  # type drift: list
        running = i in (sweep_runs - 1, sweep_runs - 3, sweep_runs - 5)
        factory.make_run(
            sweep,
            rng,
            name="baseline" if i in (0, 5) else f"sweep-{i:03d}",
            created_ms=t,
            state="RUNNING" if running else states[i % len(states)],
            ticks=rng.randint(5, 25),
            keys=("train/loss", "val/acc") if i % 10 else ("train/loss",),
            config={"lr": round(10 ** -rng.uniform(2, 4), 6), "batch_size": bs, "seed": i},
            labels=["good"] if i % 17 == 0 else [],
            pinned=i in (2, 50),
            with_slug=i != 1,  # an old run without slug
            requirements=None if i % 4 else "numpy==2.1.0\n",
            log_every=0 if i % 3 else 5,
        )

    quirks = _project(world, rng, alice, "quirks", BASE_MS + HOUR, "every odd thing in one place")
    _quirk_runs(quirks, rng, BASE_MS + 2 * HOUR)
    _project(world, rng, alice, "empty-project", BASE_MS + 3 * HOUR, "no runs yet")
    for k in range(11):
        scratch = _project(world, rng, alice, f"scratch-{k:02d}", BASE_MS + (10 + k) * HOUR)
        factory.make_run(
            scratch,
            rng,
            name=f"try-{k}",
            created_ms=BASE_MS + (10 + k) * HOUR + 60_000,
            ticks=5,
            keys=("loss",),
            config={"k": k},
        )

    detr = _project(world, rng, lab, "detr", BASE_MS + 40 * HOUR, "team project", ["cv"], "PUBLIC")
    t = BASE_MS + 41 * HOUR
    originals: list[Run] = []
    for i in range(6):
        t += HOUR
        run = factory.make_run(
            detr,
            rng,
            name=f"detr-{i}",
            created_ms=t,
            state="FINISHED" if i < 5 else "RUNNING",
            ticks=40,
            keys=("loss/total", "loss/bbox", "mAP"),
            system=i % 2 == 0,
            cluster="a100" if i % 2 else "h100",
            job="train" if i < 4 else "eval",
            username="bob" if i % 3 == 0 else "alice",
            config={"backbone": "resnet50", "epochs": 12 if i % 2 else "12", "queries": 100},
        )
        originals.append(run)
    clones = _project(world, rng, lab, "detr-clones", BASE_MS + 60 * HOUR, "cloned runs")
    for i, root in enumerate(originals[:2]):
        clone = factory.make_run(
            clones,
            rng,
            name=f"clone-of-{root.name}",
            created_ms=BASE_MS + (61 + i) * HOUR,
            ticks=root.ticks,
            config=dict(root.config),
        )
        clone.root = root
    return _finalize(world)


def _huge_config() -> dict[str, Any]:
    layers = {
        f"layer_{i:03d}": {"dim": 64 * (1 + i % 8), "act": ["relu", "gelu"][i % 2], "drop": None}
        for i in range(500)
    }
    return {"layers": layers, "schedule": [round(1 - j / 500, 4) for j in range(500)]}


def _quirk_runs(proj: Project, rng: random.Random, t0: int) -> None:
    nested = {
        "model": {
            "name": "resnet",
            "depth": 50,
            "layers": [3, 4, 6, 3],
            "dropout": None,
            "act": {"name": "gelu", "approx": True},
        },
        "optim": {"name": "adamw", "lr": 3e-4, "betas": [0.9, 0.999], "eps": 1e-8},
        "data.path": "/data/imagenet",
        "描述": "中文配置 ✓ émoji 🚀",
        "tags": [],
        "extra": {},
        "notes": None,
        "flags": [True, False, None],
        "matrix": [[1, 2], [3, 4]],
        "mixed": [1, "two", {"three": 3.0}],
        "batch_size": "256",
    }
    sink = factory.make_run(
        proj,
        rng,
        name="kitchen-sink",
        created_ms=t0,
        state="RUNNING",
        ticks=60,
        config=nested,
        keys=[f"train/k{i:02d}" for i in range(16)]
        + ["Loss", "loss", "metrics/acc@top-5 (%)", "损失/训练"],
        system=True,
        media=("samples/images", "samples/audio"),
        log_every=3,
        log_hostile=True,
        labels=["baseline", "cv"],
        pinned=True,
        cluster="a100",
        job="train",
        description="all quirks at once",
        conda="name: base\ndependencies:\n  - python=3.11\n",
    )
    nan = float("nan")
    inf = float("inf")
    factory.add_series(sink, "weird/nan_inf", specials={3: nan, 7: inf, 11: -inf, 59: nan})
    factory.add_series(sink, "sparse/every5", every=5)
    factory.add_series(sink, "late/from30", first_t=30)
    factory.add_series(sink, "all_nan", shape="flat", specials={i: nan for i in range(60)})

    specs: list[dict[str, Any]] = [
        {"name": "huge-config", "config": _huge_config(), "keys": ("loss",), "ticks": 10},
        {"name": "resumed-at-100", "step_base": 100, "keys": ("loss", "acc", "lr"), "ticks": 30},
        {"name": "no-metrics", "state": "CRASHED", "ticks": 0, "config": {"batch_size": 8}},
        {"name": "aborted-empty", "state": "ABORTED", "ticks": 0, "requirements": None},
        {"name": "baseline", "keys": ("loss",), "ticks": 12, "config": {"batch_size": [8, 16]}},
        {"name": "baseline", "keys": ("loss",), "ticks": 15, "labels": ["dup"]},
        {"name": "system-only", "state": "RUNNING", "ticks": 20, "system": True},
        {"name": "media-only", "ticks": 30, "media": ("samples/images",), "media_items": 2},
        {"name": "media-zoo", "ticks": 21, "keys": ("loss",), "log_every": 4},
        {"name": "pinned-crashed", "state": "CRASHED", "pinned": True, "ticks": 8, "keys": ("x",)},
        {"name": "just-started", "state": "RUNNING", "ticks": 3, "keys": ("loss",)},
        {"name": "long-ish", "ticks": 3000, "tick_ms": 50, "keys": ("loss", "acc")},
    ]
    for i, spec in enumerate(specs):
        run = factory.make_run(proj, rng, created_ms=t0 + (i + 1) * 60_000, **spec)
        if spec["name"] == "just-started":
            factory.add_series(run, "sparse/every10", every=10, first_t=5)
        if spec["name"] == "media-zoo":
            _media_zoo(run)


def _media_zoo(run: Run) -> None:
    """Every media kind SwanLab logs, several items per step, one key whose bytes repeat at
    every step, one item whose file is gone from storage."""
    factory.add_media(run, "zoo/images", every=5, per_step=3, vary=True, lost=frozenset({(5, 1)}))
    factory.add_media(run, "zoo/audio", every=10, per_step=2)
    factory.add_media(run, "zoo/video", every=10, kind="video")
    factory.add_media(run, "zoo/text", every=4, kind="text", per_step=2)
    factory.add_media(run, "zoo/html", every=20, kind="html")
    factory.add_media(run, "zoo/echarts", every=7, kind="echarts")
    factory.add_media(run, "zoo/3d", every=10, kind="object3d")
    factory.add_media(run, "zoo/molecule", every=20, kind="molecule")
    factory.add_media(run, "zoo/same bytes", every=3, shared=True, per_step=2)

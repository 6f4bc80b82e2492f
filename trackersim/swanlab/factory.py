"""Building blocks for worlds: runs and their series, deterministic from a ``random.Random``."""

from __future__ import annotations

import random
import zlib
from typing import Any

from trackersim.swanlab.model import Project, Run, cuid, slug
from trackersim.swanlab.series import MediaSeries, Series

# shape name -> (level, amp, tau as a fraction of the planned run length, noise)
SHAPES: dict[str, tuple[float, float, float, float]] = {
    "loss": (0.1, 2.0, 0.3, 0.05),
    "acc": (0.95, -0.85, 0.25, 0.02),
    "lr": (0.0, 1e-3, 0.5, 0.0),
    "cpu": (40.0, 0.0, 1.0, 30.0),
    "mem": (6000.0, -500.0, 0.5, 40.0),
    "flat": (1.0, 0.0, 1.0, 0.0),
    "noise": (0.0, 0.0, 1.0, 2.0),
}

COLORS = ["#528d59", "#587ad2", "#c24d46", "#9cbe5d", "#6ebad3", "#dfb142", "#6d4ba4", "#8cc5b7"]

SYSTEM_KEYS = [
    ("__swanlab__.cpu.usage", "cpu"),
    ("__swanlab__.memory.usage", "mem"),
    ("__swanlab__.gpu.0.util", "cpu"),
]


def shape_for(key: str) -> str:
    """A plausible curve for a key name."""
    low = key.lower()
    for word, shape in (("loss", "loss"), ("acc", "acc"), ("lr", "lr"), ("cpu", "cpu")):
        if word in low:
            return shape
    if "mem" in low:
        return "mem"
    return "loss" if zlib.crc32(key.encode()) % 2 else "acc"


def add_series(
    run: Run,
    key: str,
    *,
    every: int = 1,
    first_t: int = 0,
    shape: str | None = None,
    specials: dict[int, float] | None = None,
    horizon: int | None = None,
) -> Series:
    """Attach a scalar series to ``run`` (points up to the run's current ticks)."""
    level, amp, tau_frac, noise = SHAPES[shape or shape_for(key)]
    span = max(10, horizon if horizon is not None else max(run.ticks, 10))
    series = Series(
        key=key,
        seed=zlib.crc32(f"{run.seed}:{key}".encode()),
        first_t=first_t,
        every=every,
        step_base=run.step_base,
        ts0_ms=run.created_ms + 1500,
        tick_ms=run.tick_ms,
        level=level,
        amp=amp,
        tau=max(1.0, span * tau_frac),
        noise=noise,
        specials=dict(specials or {}),
        ticks=run.ticks,
    )
    run.series[key] = series
    return series


def media_kind_for(key: str) -> str:
    """A plausible media kind for a key name (``samples/audio`` is audio, ...)."""
    low = key.lower()
    for word, kind in (
        ("audio", "audio"),
        ("video", "video"),
        ("text", "text"),
        ("html", "html"),
        ("chart", "echarts"),
        ("3d", "object3d"),
        ("mol", "molecule"),
    ):
        if word in low:
            return kind
    return "image"


def add_media(
    run: Run,
    key: str,
    *,
    every: int = 10,
    first_t: int = 0,
    kind: str | None = None,
    per_step: int = 1,
    vary: bool = False,
    shared: bool = False,
    lost: frozenset[tuple[int, int]] = frozenset(),
) -> MediaSeries:
    media = MediaSeries(
        key=key,
        first_t=first_t,
        every=every,
        step_base=run.step_base,
        kind=kind or media_kind_for(key),
        per_step=per_step,
        vary=vary,
        shared=shared,
        seed=zlib.crc32(f"{run.seed}:media:{key}".encode()),
        ticks=run.ticks,
        lost=lost,
    )
    run.media[key] = media
    return media


def make_run(
    project: Project,
    rng: random.Random,
    *,
    name: str,
    created_ms: int,
    state: str = "FINISHED",
    ticks: int = 0,
    tick_ms: int = 1000,
    step_base: int = 0,
    config: dict[str, Any] | None = None,
    keys: list[str] | tuple[str, ...] = (),
    system: bool = False,
    media: list[str] | tuple[str, ...] = (),
    log_every: int = 0,
    log_hostile: bool = False,
    log_long: tuple[int, ...] = (),
    log_fixed: int | None = None,
    log_width: int = 0,
    log_gaps: int = 0,
    media_items: int = 1,
    labels: list[str] | None = None,
    pinned: bool = False,
    username: str | None = None,
    description: str = "",
    cluster: str = "",
    job: str = "",
    metadata: dict[str, Any] | None = None,
    requirements: str | None = "numpy==2.1.0\ntorch==2.5.1\n",
    conda: str | None = None,
    with_slug: bool = True,
) -> Run:
    """A run appended to ``project``; every id/value comes from ``rng``."""
    ws = project.workspace
    user = username or (ws.username if ws.type == "PERSON" else "alice")
    run = Run(
        project=project,
        cuid=cuid(rng),
        slug=slug(rng) if with_slug else None,
        name=name,
        created_ms=created_ms,
        seed=rng.getrandbits(48),
        description=description,
        state=state,
        cluster=cluster,
        job=job,
        labels=list(labels or []),
        username=user,
        user_name=user.capitalize(),
        updated_ms=created_ms,
        config=dict(config or {}),
        metadata=dict(metadata) if metadata is not None else default_metadata(rng),
        requirements=requirements,
        conda=conda,
        step_base=step_base,
        tick_ms=tick_ms,
        log_every=log_every,
        log_hostile=log_hostile,
        log_long=frozenset(log_long),
        log_fixed=log_fixed,
        log_width=log_width,
        log_gaps=log_gaps,
    )
    color = COLORS[rng.randrange(len(COLORS))]
    run.colors = (color, color)
    run.ticks = ticks
    for key in keys:
        add_series(run, key)
    if system:
        for key, shape in SYSTEM_KEYS:
            add_series(run, key, every=5, shape=shape)
    for key in media:
        add_media(run, key, per_step=media_items)
    if state != "RUNNING":
        run.finished_ms = created_ms + 2000 + ticks * tick_ms
        run.updated_ms = run.finished_ms
    if pinned:
        run.pinned_ms = created_ms + 500
    project.runs.append(run)
    return run


def default_metadata(rng: random.Random) -> dict[str, Any]:
    gpus = rng.choice([0, 1, 8])
    return {
        "hardware": {
            "cpu": {"brand": "AMD EPYC 7763", "cores": rng.choice([8, 16, 64])},
            "memory": rng.choice([32, 64, 256]),
            "gpu": {"nvidia": {"cnt": gpus, "type": ["NVIDIA A100-SXM4-80GB"] * gpus}},
        },
        "runtime": {"python_version": "3.11.9", "swanlab_version": "0.10.3"},
        "git": {"branch": "main", "commit": f"{rng.getrandbits(40):010x}"},
        "command": "python train.py",
    }

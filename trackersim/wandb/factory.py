"""Building blocks for worlds: runs with their keys, config and summary edits."""

from __future__ import annotations

import random
from typing import Any

from trackersim.wandb.history import KeySpec, SystemSpec, stable_seed
from trackersim.wandb.model import Project, Run, run_name

# word in a key name -> (start, end, tau, noise) of its curve
_CURVES = {
    "loss": (2.3, 0.1, 300.0, 0.05),
    "acc": (0.1, 0.95, 250.0, 0.02),
    "lr": (1e-3, 1e-5, 600.0, 0.0),
    "norm": (5.0, 1.0, 100.0, 0.5),
}


def key(
    run_seed: int,
    name: str,
    kind: str = "number",
    *,
    first: int = 0,
    every: int = 1,
    specials: dict[int, float] | None = None,
    until: int | None = None,
) -> KeySpec:
    """A key whose curve suits its name (loss falls, accuracy rises, ...)."""
    start, end, tau, noise = (1.0, 0.5, 200.0, 0.1)
    for word, curve in _CURVES.items():
        if word in name.lower():
            start, end, tau, noise = curve
            break
    return KeySpec(
        name=name,
        seed=stable_seed(run_seed, name),
        kind=kind,
        first=first,
        every=every,
        start=start,
        end=end,
        tau=tau,
        noise=noise,
        specials=dict(specials or {}),
        until=until,
    )


def wrap(config: dict[str, Any], desc: dict[str, str] | None = None) -> dict[str, Any]:
    """The wire form of a user config: every top-level key as ``{"value": v, "desc": d}``."""
    desc = desc or {}
    return {k: {"value": v, "desc": desc.get(k)} for k, v in config.items()}


def wandb_internals(rng: random.Random, run_start_s: int) -> dict[str, Any]:
    """What the SDK stores under ``_wandb`` in a run's config."""
    return {
        "value": {
            "cli_version": "0.31.0",
            "python_version": "3.11.7",
            "start_time": run_start_s,
            "t": {"1": [1, 5, 53, 55], "2": [1, 5, 53, 55], "3": [13, 16, 23], "4": "3.11.7"},
            "framework": rng.choice(["torch", "jax", None]),
            "is_jupyter_run": False,
            "is_kaggle_kernel": False,
        }
    }


def make_run(
    project: Project,
    rng: random.Random,
    *,
    display_name: str,
    created_s: int,
    user: str = "alice",
    state: str = "finished",
    ticks: int = 0,
    tick_s: float = 2.0,
    step_base: int = 0,
    keys: list[KeySpec] | None = None,
    key_names: list[str] | tuple[str, ...] = (),
    config: dict[str, Any] | None = None,
    raw_config: dict[str, Any] | None = None,
    summary_extra: dict[str, Any] | None = None,
    tags: list[str] | None = None,
    group: str | None = None,
    job_type: str | None = None,
    sweep: str | None = None,
    host: str | None = "gpu-node-01",
    notes: str | None = None,
    system: bool = True,
    run_id: str | None = None,
    heartbeat_s: int | None = None,
) -> Run:
    """A run appended to ``project``; ids and seeds come from ``rng``.

    ``config`` is a plain user config (wrapped for the wire, with ``_wandb`` internals added);
    ``raw_config`` is used verbatim as the wire form instead. ``key_names`` adds one number key
    per name (logged every step) after the explicit ``keys``."""
    name = run_id or run_name(rng)
    seed = rng.getrandbits(48)
    specs = list(keys or []) + [key(seed, n) for n in key_names]
    if raw_config is not None:
        wire = dict(raw_config)
    else:
        wire = wrap(dict(config or {}))
        wire["_wandb"] = wandb_internals(rng, created_s)
    runtime = int(ticks * tick_s)
    run = Run(
        project=project,
        name=name,
        display_name=display_name,
        state=state,
        created_s=created_s,
        heartbeat_s=heartbeat_s if heartbeat_s is not None else created_s + runtime + 5,
        user=user,
        config=wire,
        summary_extra=dict(summary_extra or {}),
        tags=list(tags or []),
        group=group,
        job_type=job_type,
        sweep=sweep,
        host=host,
        notes=notes,
        commit=f"{rng.getrandbits(160):040x}",
        keys=specs,
        ticks=ticks,
        step_base=step_base,
        tick_s=tick_s,
        seed=seed,
        system=SystemSpec(seed=seed, every_s=max(15.0, tick_s * 10), gpus=1) if system else None,
    )
    run.updated_s = run.heartbeat_s
    project.runs.append(run)
    return run

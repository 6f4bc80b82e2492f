"""The runs the cross-tracker test logs to SwanLab and to W&B alike (stdlib only: imported by
the generator under each SDK's python).

One project, four runs: two seeds of one configuration, a wider one with another learning
rate, and one that diverges and crashes at step 60. Keys on different step grids (every step,
every 5th, every 10th, every 40th), an integer key, a boolean key, NaN/±inf/-0.0/1e308/a
subnormal/2**53+1 in one run, and a text key (a media key on both sides). Values come from
formulas and a seeded ``random.Random`` per (run, step), so both trackers get the same floats.

Left out on purpose, because the two trackers store them differently (see
``docs/wandb-offline.md``): a ``None`` config value (SwanLab's local ``config.yaml`` writes
``{}``), tags and groups (a SwanLab log folder has none), system metrics (SwanLab 0.10's local
mode records none; the W&B runs are written with ``x_disable_stats``), a killed run (SwanLab
keeps it RUNNING for ever, W&B's offline rule makes it CRASHED).
"""

from __future__ import annotations

import math
import random
from typing import Any

PROJECT = "xtracker"
STEPS = 100
CRASH_AT = 60
TEXT_KEY = "samples/text"
NAN_KEY = "weird/nan_inf"
SPECIALS = [math.nan, math.inf, -math.inf, -0.0, 1e308, 5e-324, float(2**53 + 1), 0.5]

RUNS: list[dict[str, Any]] = [
    {"name": "baseline-s1", "seed": 1, "lr": 0.001, "depth": 4, "crash": False, "nan": False},
    {"name": "baseline-s2", "seed": 2, "lr": 0.001, "depth": 4, "crash": False, "nan": True},
    {"name": "wide-lr", "seed": 1, "lr": 0.01, "depth": 8, "crash": False, "nan": False},
    {"name": "diverged", "seed": 3, "lr": 0.1, "depth": 4, "crash": True, "nan": False},
]


def run_id(index: int) -> str:
    """The id both trackers are given (SwanLab's are 8 characters of [a-z0-9])."""
    return f"xtrun{index:03d}"


def notes(run: dict[str, Any]) -> str:
    return f"cross-tracker run {run['name']} (ünï ✓)"


def config(run: dict[str, Any]) -> dict[str, Any]:
    return {
        "lr": run["lr"],
        "seed": run["seed"],
        "optimizer": "adam",
        "model": {
            "depth": run["depth"],
            "act": "gelu",
            "layers": [64, 64],
            "pretrained": run["depth"] == 4,
        },
        "data": {"batch_size": 32, "augment": ["flip", "crop"], "name": "cifar-ü"},
    }


def rows(run: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """``(step, values)`` in step order; a text value is ``("text", str)``."""
    out: list[tuple[int, dict[str, Any]]] = []
    steps = CRASH_AT if run["crash"] else STEPS
    for step in range(steps):
        rng = random.Random(f"{run['name']}:{step}")
        rate = run["lr"] * 30
        loss = 2.0 * math.exp(-step * rate) + 0.1 + rng.random() / 100
        if run["crash"] and step > 40:
            loss = loss * (1.5 ** (step - 40))
        values: dict[str, Any] = {"train/loss": loss, "train/acc": 1.0 - loss / 2.5}
        if step % 5 == 0:
            values["train/lr"] = run["lr"] * 0.99**step
        if step % 10 == 9:
            values["val/loss"] = loss * 1.1 + rng.random() / 50
            values["val/acc"] = 1.0 - values["val/loss"] / 2.5
        if step % 40 == 0:
            values["epoch"] = step // 40
        if step % 20 == 0:
            values["flags/improved"] = step % 40 == 0
        if step % 50 == 0:
            values[TEXT_KEY] = ("text", f"step {step}: sample ✓ {rng.randint(0, 999)}")
        if run["nan"] and step % 10 == 0:
            values[NAN_KEY] = SPECIALS[(step // 10) % len(SPECIALS)]
        if run["nan"] and step == steps - 1:
            values[NAN_KEY] = math.nan  # a series that ends on NaN
        out.append((step, values))
    return out

"""Hostile data: names, keys, labels and configs that break clients built on easy assumptions.

Every string here is legal in SwanLab. Metric keys and run names hold CSV specials (the run name
labels the export's header: ``{run name}-{key}_step``), quotes, newlines, tabs, ``;``, padding,
``/``, ``%``, ``\\``, unicode and emoji, 255+ characters, case-only differences, and texts that
look like numbers or like the CSV's own ``step`` column. Project names use the specials the
create API allows (``0-9a-zA-Z-_.+``). Values include ``-0.0``, subnormals, ``1e308`` and ``2**53
+ 1`` next to NaN and the infinities.

Consoles print invalid UTF-8, control characters, multi-byte text and, in the first run, a
line longer than 1 MiB (:mod:`trackersim.swanlab.console`).

One run name is a trap for readers that skip the header as one *physical* line:
``"grid\\n1,2,3"`` puts ``1,2,3-<key>_step"...`` on the next physical line, which such a reader
takes for a data row (step 1, value 2.0). See the contract tests for what the real SDK makes of it.
"""

from __future__ import annotations

import random
from typing import Any

from trackersim.swanlab import factory
from trackersim.swanlab.model import Project

LONG = "long-" + "x" * 250 + "-end"  # 259 characters

KEYS: tuple[str, ...] = (
    "loss,comma",
    'acc"quoted"',
    "it's",
    "two\nlines",
    "tab\tkey",
    "semi;colon",
    " leading-space",
    "trailing-space ",
    "a/b/c",
    "100%",
    "50%2F50",  # looks percent-encoded
    "back\\slash",
    "损失/验证",
    "🚀/emoji",
    LONG,
    "LR",
    "lr",
    "Lr",
    "0",
    "1e5",
    "-1",
    "NaN",
    "inf",
    "step",
    "_step",
    "x_timestamp",
    "crlf\r\nkey",
    "cr\ronly",
    'all,"of"\nthem; \\ %',
    "plus+sign",
    "eq=amp&q?",
)

RUN_NAMES: tuple[str, ...] = (
    "run,comma",
    'run "quoted"',
    "it's a run",
    "two\nlines",
    "tab\trun",
    "semi;colon",
    "  padded  ",
    "a/b",
    "50% done",
    "C:\\runs\\x",
    "实验-🚀",
    "n" * 300,
    "Case",
    "case",
    "1e5",
    "NaN",
    "step",
    "-0",
    "grid\n1,2,3",
)

LABELS = ["a,b", 'q"t', "🚀 emoji", " pad ", "semi;colon"]

CONFIG: dict[str, Any] = {
    "a,b": 1,
    'q"uote': "x\"y'z",
    "new\nline": True,
    "tab\tkey": None,
    " spaced ": 0.5,
    "100%": [1, 2],
    "emoji🚀": {"inner,key": 1e-05, "deeper": {"x;y": "中文 ✓"}},
    "1e5": 100000.0,
    "step": 3,
    "LR": 0.1,
    "lr": 0.01,
    "neg_zero": -0.0,
    "tiny": 5e-324,
    "huge": 1e308,
    "int_2_53_plus_1": 2**53 + 1,
    "int64_max": 2**63 - 1,
    "big_float": 2.0**70,
    "path": "C:\\data\\train.csv",
    "html": "</script><b>&amp;</b>",
    "separators": "\u2028\u2029",
    "": "empty key",
}

# Values that need every spelling: (point index, value).
SPECIALS: dict[int, float] = {
    0: -0.0,
    1: 1e-05,
    2: 1e5,
    3: float("nan"),
    4: float("inf"),
    5: float("-inf"),
    6: 5e-324,
    7: 1e308,
    8: -1e-300,
    9: 0.30000000000000004,
    10: 2.0**53,
}


PROJECT_NAME = "hostile.v2+x_-"
PROJECT_DESCRIPTION = "every special: , \" ' ; \\ % / 🚀 中文\nsecond line\ttab"


def add_hostile_project(
    project: Project, rng: random.Random, t0: int, *, tick_ms: int = 1000
) -> None:
    """Fill ``project`` with one run per hostile name; keys spread over the runs, one run with
    every key (two export batches), one series of special values in every run."""
    n_keys = len(KEYS)
    for i, name in enumerate(RUN_NAMES):
        if name == "grid\n1,2,3":
            keys: tuple[str, ...] = ("loss",)  # steps 0.. so step 1 exists: the trap is visible
        elif i == 0:
            keys = KEYS
        else:
            keys = tuple(KEYS[(i * 3 + j) % n_keys] for j in range(4))
        run = factory.make_run(
            project,
            rng,
            name=name,
            created_ms=t0 + i * 60_000,
            state="RUNNING" if i == 1 else ("CRASHED" if i % 7 == 3 else "FINISHED"),
            ticks=11 + i % 5,
            tick_ms=tick_ms,
            keys=keys,
            config={**CONFIG, "index": i},
            labels=LABELS[: 1 + i % len(LABELS)],
            cluster="a100,h100" if i % 2 else 'gpu;"x"',
            job="train\njob" if i % 3 == 0 else "eval",
            description=f'hostile run {i}: {name!r}\nsecond line, "quoted"; tab\there',
            log_every=2,
            log_hostile=True,
            log_long=(3,) if i == 0 else (),
        )
        if i == 2:
            factory.add_media(run, 'samples/imgs, 🚀 "q"', every=3, per_step=2, vary=True)
        factory.add_series(run, "weird/spellings", shape="flat", specials=SPECIALS, horizon=20)

"""Config flattening (``run_config`` rows) on arbitrary JSON configs.

The rule the warehouse documents: one row per leaf, nested keys joined with ``.``, list items as
``[i]``; empty objects, empty lists and null are leaves. The join is lossy by design for keys that
themselves contain ``.``, ``[i]`` or are empty: ``{"a.b": 1}`` and ``{"a": {"b": 2}}`` both spell
``a.b``. We keep the natural spelling (users query ``key = 'data.path'`` for the dotted keys that
flattened configs such as Hydra's produce; escaping would break that for everyone to serve a rare
case) and define the collision: **the leaf that comes last in document order owns the row**, and
nothing is lost because ``runs.config`` keeps the whole config as JSON. These properties pin that
down: every leaf's key is present; a leaf that no other leaf spells the same way has its own
value, exactly (numbers bit for bit, -0.0 with its sign, big integers whole); colliding leaves
give one row, the last one's; and the JSON column gives the config back unchanged.
"""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import example, given, note

from swansync.sources.base import RunRecord
from swansync.sources.swanlab.conventions import unwrap_config
from swansync.transform import flatten_config, run_config_frame, to_json

from .strategies import examples, json_objects, same_double, same_json


def leaves(config: dict[str, Any]) -> list[tuple[str, Any]]:
    """Every leaf with its key, in document order (an independent walk: a stack, not recursion
    into the same helper)."""
    out: list[tuple[str, Any]] = []
    stack: list[tuple[str, Any, bool]] = [
        (str(k), v, True) for k, v in reversed(list(config.items()))
    ]
    while stack:
        key, value, _ = stack.pop()
        if isinstance(value, dict) and value:
            stack.extend((f"{key}.{k}", v, True) for k, v in reversed(list(value.items())))
        elif isinstance(value, list) and value:
            stack.extend((f"{key}[{i}]", v, True) for i, v in reversed(list(enumerate(value))))
        else:
            out.append((key, value))
    return out


def _run(config: dict[str, Any]) -> RunRecord:
    wrapped = {k: {"value": v, "desc": "", "sort": i} for i, (k, v) in enumerate(config.items())}
    # What the SwanLab source hands the sync: the server's wrappers removed.
    plain = unwrap_config(wrapped)
    record: RunRecord = {"project": "ws/p", "run_id": "r1", "config": plain}  # type: ignore[typeddict-item]
    return record  # run_config_frame reads only these fields


@examples(ci=80, fuzz=2000)
@given(json_objects(max_leaves=30))
@example({"": {"a": None}})  # the empty key is a segment like any other: ".a", not "a"
@example({"": {"a": 1}, "a": 2})  # ... else these two leaves would collide
@example({"a.b": 1, "a": {"b": 2}})  # a real collision: the last leaf owns "a.b"
@example({"a": [1], "a[0]": 2})
def test_config_leaves_round_trip(config: dict[str, Any]) -> None:
    note(json.dumps(config, ensure_ascii=True))
    want = leaves(config)
    last: dict[str, Any] = {}
    for key, value in want:
        last[key] = value  # the documented collision rule: the last leaf owns the row

    assert [k for k, _ in flatten_config(config)] == list(last)
    frame = run_config_frame("src", [_run(config)])
    rows = {r["key"]: r for r in frame.iter_rows(named=True)}
    assert frame.height == len(rows), "two rows share a key"
    assert set(rows) == set(last), "a leaf is missing, or a row is not a leaf"
    for key, value in last.items():
        row = rows[key]
        assert same_json(json.loads(row["value"]), value), (key, row["value"], value)
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if number and math.isfinite(float(value)):
            assert same_double(row["value_double"], float(value)), (key, row["value_double"])
        else:
            assert row["value_double"] is None, (key, row["value_double"])
        assert row["value_text"] == (value if isinstance(value, str) else None)
        assert row["value_bool"] == (value if isinstance(value, bool) else None)


@examples(ci=50, fuzz=500)
@given(json_objects(max_leaves=30))
def test_whole_config_is_kept_losslessly(config: dict[str, Any]) -> None:
    """Whatever the leaves lose to collisions, ``runs.config`` keeps: wrapped as the server
    sends it, unwrapped and written as JSON, the config reads back the same."""
    run = _run(config)
    assert run["config"] is not None
    back = json.loads(to_json(run["config"]) or "null")
    assert same_json(back, config)

"""Pull a served world and hold the warehouse against the truth.

:func:`problems` runs the contract comparator of the e2e suite (``tests/e2e/compare.py``) and adds
what it cannot see, because it compares with ``==``: -0.0 against 0.0 in points, summaries and
config values, ``1`` against ``1.0`` in JSON, and duplicate rows in any contract table.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from swansync.config import Settings
from swansync.warehouse import Warehouse
from tests.e2e.compare import compare
from tests.support.settings import sim_settings
from trackersim.swanlab import SimServer
from trackersim.swanlab.truth import rows

from .strategies import same_double, same_json

SOURCE = "sim"
KEYS = {
    "projects": ("project",),
    "runs": ("project", "run_id"),
    "run_config": ("run_id", "key"),
    "metric_keys": ("run_id", "key"),
    "summaries": ("run_id", "key"),
    "metrics": ("run_id", "key", "step"),
}


def settings_for(sim: SimServer, db: Path, **kw: Any) -> Settings:
    """Settings for a pull of every project of ``sim`` with retries that cost milliseconds."""
    kw.setdefault("backoff", 0.001)
    return sim_settings(sim, db, source_name=SOURCE, **kw)


def problems(db: Path, truth: dict[str, dict[str, list[Any]]]) -> list[str]:
    deleted = {r["run_id"] for r in rows(truth["runs"]) if r["deleted"]}
    if "metrics" in truth and not truth["metrics"]["run_id"]:
        # compare_points cannot join an empty truth (its columns have no type): check here.
        truth = {t: c for t, c in truth.items() if t != "metrics"}
        with Warehouse(db, read_only=True) as wh:
            extra = [r for r in wh.rows("SELECT run_id FROM metrics WHERE source = ?", [SOURCE])]
        if any(r not in deleted for (r,) in extra):
            return [f"metrics: {len(extra)} points where the truth has none"]
    out = compare(db, truth, SOURCE)
    with Warehouse(db, read_only=True) as wh:
        for table, key in KEYS.items():
            cols = ", ".join(key)
            dupes = wh.rows(
                f"SELECT {cols}, count(*) FROM {table} WHERE source = ? "
                f"GROUP BY {cols} HAVING count(*) > 1 LIMIT 3",
                [SOURCE],
            )
            out += [f"{table}: duplicated {d}" for d in dupes]
        out += _exact(wh, truth, deleted)
    return out


def _exact(wh: Warehouse, truth: dict[str, dict[str, list[Any]]], deleted: set[str]) -> list[str]:
    out: list[str] = []
    got_points = {
        (r, k, s): v
        for r, k, s, v in wh.rows(
            "SELECT run_id, key, step, value FROM metrics WHERE source = ?", [SOURCE]
        )
    }
    for p in rows(truth.get("metrics", {"run_id": []})) if "metrics" in truth else []:
        got = got_points.get((p["run_id"], p["key"], p["step"]), p["value"])
        if not same_double(got, p["value"]):
            out.append(f"metrics {p['run_id']} {p['key']!r}@{p['step']}: {p['value']!r} != {got!r}")
    sums = {
        (r, k): vals
        for r, k, *vals in wh.rows(
            "SELECT run_id, key, last_value, min_value, max_value FROM summaries WHERE source = ?",
            [SOURCE],
        )
    }
    for s in rows(truth["summaries"]):
        got_vals = sums.get((s["run_id"], s["key"]))
        if got_vals is None:
            continue  # compare() reports missing rows
        want = [s["last_value"], s["min_value"], s["max_value"]]
        if not all(same_double(a, b) for a, b in zip(want, got_vals, strict=True)):
            out.append(f"summaries {s['run_id']} {s['key']!r}: {want!r} != {got_vals!r}")
    cfg = {
        (r, k): v
        for r, k, v in wh.rows(
            "SELECT run_id, key, value FROM run_config WHERE source = ?", [SOURCE]
        )
    }
    # Leaves that spell the same key: the last one owns the row (see test_config_flatten).
    last = {(c["run_id"], c["key"]): c for c in rows(truth["run_config"])}
    for c in last.values():
        got_text = cfg.get((c["run_id"], c["key"]))
        if got_text is not None and not same_json(json.loads(got_text), json.loads(c["value"])):
            out.append(f"run_config {c['run_id']} {c['key']!r}: {c['value']} != {got_text}")
    configs = dict(wh.rows("SELECT run_id, config FROM runs WHERE source = ?", [SOURCE]))
    for r in rows(truth["runs"]):
        text = configs.get(r["run_id"])
        if text is None or r["run_id"] in deleted:
            continue
        if not same_json(json.loads(text), r["config"]):
            out.append(f"runs {r['run_id']} config: {r['config']!r} != {text}")
    return out[:20]

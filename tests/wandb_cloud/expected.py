"""What a W&B mirror must hold: the simulator's truth (``world.truth()``, plain dicts) mapped onto
the contract tables by the rules of ``swansync/sources/wandb/conventions.py``, written here a
second time on purpose (no import of the source's code), so a wrong rule there shows up as a
difference here.

Rules, as the conventions table states them:

* project = ``entity/name``; run_id = slug = the W&B run id; name = display name; description =
  notes; cluster = group; job = job type; labels = tags; username = the run's user;
* state: running/pending/preempting -> RUNNING, finished -> FINISHED, crashed/failed ->
  CRASHED, killed/preempted -> ABORTED; finished_at = the last heartbeat of a finished run;
* config = the unwrapped user config (no ``_wandb``, no ``wandb_version``), leaves flattened;
* metric keys: every history key; W&B type "number" -> SCALAR, anything else (media, text) ->
  MEDIA; ``system.*`` keys are class SYSTEM; the events stream adds its ``system.*`` keys as
  SCALAR/SYSTEM with step = the event's position;
* metrics: every number of a SCALAR key, ts = ``_timestamp`` in ms;
* summaries: per SCALAR key with points, the last point and the finite min/max (first step).
"""

from __future__ import annotations

import math
from typing import Any

STATES = {
    "running": "RUNNING",
    "pending": "RUNNING",
    "preempting": "RUNNING",
    "finished": "FINISHED",
    "crashed": "CRASHED",
    "failed": "CRASHED",
    "killed": "ABORTED",
    "preempted": "ABORTED",
}
TERMINAL = {"FINISHED", "CRASHED", "ABORTED"}


def json_safe(value: Any) -> Any:
    """How a JSON column spells what JSON cannot (NaN/inf as strings)."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    return value


def _typed(value: Any) -> tuple[Any, Any, Any]:
    if isinstance(value, bool):
        return None, None, value
    if isinstance(value, int | float):
        return float(value), None, None
    if isinstance(value, str):
        return None, value, None
    return None, None, None


def _cols(rows: list[dict[str, Any]], columns: list[str]) -> dict[str, list[Any]]:
    return {c: [r[c] for r in rows] for c in columns}


def expected(
    truth: dict[str, Any],
    host: str,
    *,
    projects: set[str] | None = None,
    runs: set[str] | None = None,
    system: bool = True,
) -> dict[str, dict[str, list[Any]]]:
    """The contract tables for the ``projects`` pulled (default: all) and, within them, the
    ``runs`` kept (default: every live run)."""
    projs = [p for p in truth["projects"] if projects is None or p["path"] in projects]
    wanted = {p["path"] for p in projs}
    live = [
        r
        for r in truth["runs"]
        if r["project"] in wanted and not r["deleted"] and (runs is None or r["run_id"] in runs)
    ]
    live_ids = {(r["project"], r["run_id"]) for r in live}
    out: dict[str, dict[str, list[Any]]] = {}
    out["projects"] = _cols(
        [
            {
                "project": p["path"],
                "project_id": p["id"],
                "workspace": p["entity"],
                "name": p["name"],
                "description": p["description"],
                "visibility": None,
                "labels": [],
                "run_count": p["run_count"],
                "created_at": p["created_at"],
                "updated_at": None,
                "url": f"{host}/{p['entity']}/{p['name']}",
            }
            for p in projs
        ],
        [
            "project",
            "project_id",
            "workspace",
            "name",
            "description",
            "visibility",
            "labels",
            "run_count",
            "created_at",
            "updated_at",
            "url",
        ],
    )
    run_rows, config_rows = [], []
    for r in live:
        state = STATES[r["state"]]
        hb = r["heartbeat_at"]
        run_rows.append(
            {
                "project": r["project"],
                "run_id": r["run_id"],
                "slug": r["run_id"],
                "name": r["display_name"],
                "description": r["notes"],
                "state": state,
                "cluster": r["group"],
                "job": r["job_type"],
                "labels": r["tags"],
                "username": r["user"],
                "created_at": r["created_at"],
                "finished_at": hb if state in TERMINAL else None,
                "config": json_safe(r["config"]),
                "url": f"{host}/{r['project']}/runs/{r['run_id']}",
                "host": r["host"],
                "deleted": False,
            }
        )
        for key, value in r["config_flat"].items():
            d, t, b = _typed(value)
            config_rows.append(
                {
                    "run_id": r["run_id"],
                    "key": key,
                    "value": json_safe(value),
                    "value_double": d,
                    "value_text": t,
                    "value_bool": b,
                }
            )
    out["runs"] = _cols(run_rows, list(run_rows[0]) if run_rows else ["project", "run_id"])
    out["run_config"] = _cols(
        config_rows, ["run_id", "key", "value", "value_double", "value_text", "value_bool"]
    )
    types = {(r["project"], r["run_id"]): r["history_keys"] for r in live}
    keys, points = [], []
    series: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for (_, rid), kinds in types.items():
        for key, kind in kinds.items():
            scalar = kind == "number"
            klass = "SYSTEM" if key.startswith("system.") else "CUSTOM"
            if klass == "SYSTEM" and not system:
                continue
            keys.append(
                {"run_id": rid, "key": key, "kind": "SCALAR" if scalar else "MEDIA", "class": klass}
            )
    scalar_keys = {
        (p, rid, k) for (p, rid), kinds in types.items() for k, t in kinds.items() if t == "number"
    }
    for h in truth.get("history", []):
        if (h["project"], h["run_id"], h["key"]) not in scalar_keys:
            continue
        if h["key"].startswith("system.") and not system:
            continue
        points.append((h["run_id"], h["key"], h["step"], float(h["value"]), h["timestamp"]))
    sys_keys: set[tuple[str, str]] = set()
    if system:
        for e in truth.get("system", []):
            if (e["project"], e["run_id"]) not in live_ids:
                continue
            sys_keys.add((e["run_id"], e["key"]))
            points.append((e["run_id"], e["key"], e["index"], float(e["value"]), e["timestamp"]))
    keys += [{"run_id": rid, "key": k, "kind": "SCALAR", "class": "SYSTEM"} for rid, k in sys_keys]
    out["metric_keys"] = _cols(keys, ["run_id", "key", "kind", "class"])
    points.sort(key=lambda p: (p[0], p[1], p[2]))
    for rid, key, step, value, _ in points:
        series.setdefault((rid, key), []).append((step, value))
    out["metrics"] = {
        "run_id": [p[0] for p in points],
        "key": [p[1] for p in points],
        "step": [p[2] for p in points],
        "value": [p[3] for p in points],
        "ts_ms": [round(p[4] * 1000) for p in points],
    }
    sums = []
    for (rid, key), pts in series.items():
        finite = [(v, s) for s, v in pts if math.isfinite(v)]
        lo = min(finite, key=lambda vs: (vs[0], vs[1])) if finite else (None, None)
        hi = max(finite, key=lambda vs: (vs[0], -vs[1])) if finite else (None, None)
        sums.append(
            {
                "run_id": rid,
                "key": key,
                "last_step": pts[-1][0],
                "last_value": pts[-1][1],
                "min_value": lo[0],
                "min_step": lo[1],
                "max_value": hi[0],
                "max_step": hi[1],
            }
        )
    out["summaries"] = _cols(
        sums,
        [
            "run_id",
            "key",
            "last_step",
            "last_value",
            "min_value",
            "min_step",
            "max_value",
            "max_step",
        ],
    )
    return out

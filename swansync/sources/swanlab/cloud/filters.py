"""Run filters pushed down to SwanLab's ``POST /project/{ws}/{proj}/runs/shows`` (spec 3.4).

What the server cannot express is left out here; the sync applies every filter client-side.
"""

from __future__ import annotations

from typing import Any

from swansync.filters import TIME_FIELDS, parse_when
from swansync.sources.base import RunFilter

# filter field -> SwanLab STABLE key (None: the server cannot filter on it)
_STABLE: dict[str, str | None] = {
    "state": "state",
    "name": "name",
    "description": "description",
    "label": "labels",
    "cluster": "cluster",
    "job": "job",
    "username": None,  # not a STABLE key the 0.10 client accepts
    "created_at": "createdAt",
    "finished_at": "finishedAt",
}
_OPS = {
    "=": "EQ",
    "!=": "NEQ",
    ">=": "GTE",
    "<=": "LTE",
    "in": "IN",
    "not in": "NOT IN",
    "~": "CONTAIN",
}


def to_swanlab(f: RunFilter) -> dict[str, Any] | None:
    """The ``runs/shows`` filter item for ``f``, or None if the server cannot express it."""
    op = _OPS.get(f.op)
    if op is None:
        return None
    values = list(f.values)
    if f.field.startswith("config."):
        kind, key = "CONFIG", f.field.split(".", 1)[1]
    elif f.field.startswith("metric."):
        if op == "CONTAIN":
            return None
        kind, key = "SCALAR", f.field.split(".", 1)[1]
    else:
        stable = _STABLE.get(f.field)
        if stable is None:
            return None
        kind, key = "STABLE", stable
        if f.field == "label":
            # Array field: the 0.7 SDK sent tags as "labels IN"; ordering ops make no sense.
            if op in ("GTE", "LTE"):
                return None
            op = {"EQ": "IN", "NEQ": "NOT IN"}.get(op, op)
        if f.field in TIME_FIELDS:
            if op not in ("GTE", "LTE"):
                return None
            when = parse_when(values[0])
            if when is None:
                return None
            values = [when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"]
    return {"key": key, "type": kind, "op": op, "value": values, "active": True}

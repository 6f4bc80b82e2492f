"""``POST .../runs/shows``: filters, sorts and groups over a project's runs (spec 3.4).

Semantics implemented (documented server behaviour where known, our choice otherwise):
* Active filters are ANDed; inactive (``"active": false``) ones are ignored.
* STABLE keys read run columns; CONFIG keys read the unwrapped config (literal top-level key,
  else dotted path); SCALAR keys compare the key's latest value. A run lacking the field fails
  every filter except NEQ / NOT IN.
* Dates (createdAt, updatedAt, finishedAt, pinnedAt) compare as instants; numbers compare
  numerically when both sides parse, else as strings; booleans match "true"/"false".
* Arrays (``labels``, list-valued config keys) support EQ/NEQ/IN/NOT IN/CONTAIN: "some item
  equals / none equals / some item in / no item in / some item contains".
* Pinned runs are never filtered out.
* Sorting: the given sorts, then the fallback ``pin DESC, pinnedAt DESC, createdAt DESC``.
* Groups nest ``{value: [...] | {...}}`` in the order of the sorted runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from trackersim.swanlab.model import Run, config_lookup, iso_ms, parse_iso_ms
from trackersim.swanlab.proto import HttpError

DATE_KEYS = {"createdAt", "updatedAt", "finishedAt", "pinnedAt"}
OPS = {"EQ", "NEQ", "GTE", "LTE", "IN", "NOT IN", "CONTAIN"}
_MISSING = object()


def stable_value(run: Run, key: str) -> Any:
    values: dict[str, Any] = {
        "state": run.state,
        "name": run.name,
        "description": run.description,
        "show": True,
        "pin": run.pinned,
        "baseline": False,
        "colors": list(run.colors),
        "cluster": run.cluster,
        "job": run.job,
        "createdAt": run.created_ms,
        "updatedAt": run.updated_ms,
        "finishedAt": run.finished_ms,
        "pinnedAt": run.pinned_ms,
        "labels": list(run.labels),
        "user.username": run.username,
        "username": run.username,
        "cuid": run.cuid,
        "slug": run.slug,
    }
    if key not in values:
        raise HttpError(400, "BAD_REQUEST", f"unknown STABLE key {key!r}")
    return values[key]


def field_value(run: Run, item: dict[str, Any]) -> Any:
    kind = str(item.get("type", "STABLE")).upper()
    key = str(item.get("key", ""))
    if kind == "STABLE":
        return stable_value(run, key)
    if kind == "CONFIG":
        found, value = config_lookup(run.config, key.removeprefix("config."))
        return value if found else _MISSING
    if kind == "SCALAR":
        series = run.data_run.series.get(key)
        stats = series.stats() if series is not None else None
        return _MISSING if stats is None else stats.last_value
    raise HttpError(400, "BAD_REQUEST", f"unknown filter type {kind!r}")


def _cmp(actual: Any, text: str, date: bool) -> int | None:
    """-1/0/1 comparing a field value with a filter string; None if incomparable."""
    if actual is None or actual is _MISSING:
        return None
    if date:
        other = parse_iso_ms(text)
        if other is None or not isinstance(actual, int):
            return None
        return (actual > other) - (actual < other)
    if isinstance(actual, bool):
        a = "true" if actual else "false"
        t = text.strip().lower()
        return (a > t) - (a < t)
    if isinstance(actual, int | float):
        try:
            other_f = float(text)
        except ValueError:
            other_f = math.nan
        if not math.isnan(other_f) and not math.isnan(float(actual)):
            return (actual > other_f) - (actual < other_f)
    a_text = actual if isinstance(actual, str) else str(actual)
    return (a_text > text) - (a_text < text)


def matches(run: Run, item: dict[str, Any]) -> bool:
    op = str(item.get("op", "EQ")).upper()
    if op not in OPS:
        raise HttpError(400, "BAD_REQUEST", f"unknown op {op!r}; use one of {sorted(OPS)}")
    raw_values = item.get("value", [])
    values = [str(v) for v in (raw_values if isinstance(raw_values, list) else [raw_values])]
    first = values[0] if values else ""
    actual = field_value(run, item)
    date = str(item.get("type", "STABLE")).upper() == "STABLE" and item.get("key") in DATE_KEYS
    if isinstance(actual, list):  # labels and other arrays
        texts = [str(x) for x in actual]
        if op == "EQ":
            return first in texts
        if op == "NEQ":
            return first not in texts
        if op == "IN":
            return any(t in values for t in texts)
        if op == "NOT IN":
            return not any(t in values for t in texts)
        if op == "CONTAIN":
            return any(first in t for t in texts)
        return False
    if op == "EQ":
        return _cmp(actual, first, date) == 0
    if op == "NEQ":
        return _cmp(actual, first, date) != 0
    if op == "GTE":
        return _cmp(actual, first, date) in (0, 1)
    if op == "LTE":
        return _cmp(actual, first, date) in (0, -1)
    if op == "IN":
        return any(_cmp(actual, v, date) == 0 for v in values)
    if op == "NOT IN":
        return not any(_cmp(actual, v, date) == 0 for v in values)
    # CONTAIN
    return actual is not _MISSING and actual is not None and first in str(actual)


def _sort_key(run: Run, item: dict[str, Any]) -> tuple[int, Any]:
    value = field_value(run, item)
    if value is None or value is _MISSING:
        return (0, "")
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, int | float):
        return (1, float(value))
    return (2, str(value))


def select(
    runs: list[Run],
    filters: list[dict[str, Any]],
    sorts: list[dict[str, Any]],
    groups: list[dict[str, Any]],
    render: Callable[[Run], dict[str, Any]],
) -> Any:
    active = [f for f in filters if isinstance(f, dict) and f.get("active", True)]
    kept = [r for r in runs if r.pinned or all(matches(r, f) for f in active)]
    # fallback sort first (stable sorts: the last applied key dominates)
    kept.sort(key=lambda r: (r.pinned, r.pinned_ms or 0, r.created_ms, r.cuid), reverse=True)
    for item in reversed([s for s in sorts if isinstance(s, dict) and s.get("active", True)]):
        desc = str(item.get("order", "ASC")).upper() == "DESC"
        kept.sort(key=lambda r, it=item: _sort_key(r, it), reverse=desc)  # type: ignore[misc]
    active_groups = [g for g in groups if isinstance(g, dict) and g.get("active", True)]
    if not active_groups:
        return [render(r) for r in kept]
    return _group(kept, active_groups, render)


def _group_label(value: Any) -> str:
    if value is None or value is _MISSING:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and not isinstance(value, bool) and value > 10**11:
        return iso_ms(value) or ""
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def _group(
    runs: list[Run], groups: list[dict[str, Any]], render: Callable[[Run], dict[str, Any]]
) -> dict[str, Any]:
    head, rest = groups[0], groups[1:]
    buckets: dict[str, list[Run]] = {}
    for run in runs:
        buckets.setdefault(_group_label(field_value(run, head)), []).append(run)
    return {
        label: (_group(members, rest, render) if rest else [render(r) for r in members])
        for label, members in buckets.items()
    }

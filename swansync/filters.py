"""``--filter EXPR``: parse run filters and match them against run records.

A source may push filters down to its upstream where it can express them (SwanLab's
``runs/shows``, W&B's run filters); the sync applies every filter client-side anyway (pinned runs
come back regardless of filters, some fields have no server-side equivalent, and ``metric.*``
filters are matched against the summaries the pull fetches once).

Grammar: ``FIELD OP VALUE[,VALUE...]`` with OP one of ``= != >= <= > < ~`` (``~`` = contains).
Several values after ``=`` mean "in", after ``!=`` "not in". FIELD is ``state``, ``name``,
``description``, ``label``, ``cluster``, ``job``, ``username``, ``created_at``, ``finished_at``,
``config.<key>`` (nested keys with dots) or ``metric.<key>`` (the key's latest value).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from swansync.errors import ConfigError
from swansync.sources.base import RunFilter, RunKey, RunRecord, SummaryRecord

_EXPR = re.compile(
    r"^\s*([A-Za-z_][\w.\-/]*|(?:config|metric)\.[^=!<>~]+?)\s*(!=|>=|<=|=|>|<|~)\s*(.*?)\s*$"
)

# field -> the RunRecord key it reads
_FIELDS: dict[str, str] = {
    "state": "state",
    "name": "name",
    "description": "description",
    "label": "labels",
    "cluster": "cluster",
    "job": "job",
    "username": "username",
    "created_at": "created_at",
    "finished_at": "finished_at",
}
_ALIASES = {
    "labels": "label",
    "tag": "label",
    "tags": "label",
    "group": "cluster",
    "user": "username",
}
TIME_FIELDS = frozenset({"created_at", "finished_at"})
_STATES = frozenset({"RUNNING", "FINISHED", "CRASHED", "ABORTED", "OFFLINE"})


def parse_filter(expr: str) -> RunFilter:
    """``state=FINISHED`` -> ``RunFilter("state", "=", ("FINISHED",))``; ConfigError if bad."""
    m = _EXPR.match(expr)
    if not m:
        raise ConfigError(
            f"bad --filter {expr!r}: expected FIELD OP VALUE, e.g. state=FINISHED or "
            "config.lr>=0.01 (OP is one of = != >= <= > < ~)"
        )
    field, op, rest = m.group(1).strip(), m.group(2), m.group(3)
    field = _ALIASES.get(field, field)
    if field.startswith(("config.", "metric.")):
        if not field.split(".", 1)[1]:
            raise ConfigError(f"bad --filter {expr!r}: no key after {field!r}")
    elif field not in _FIELDS:
        known = ", ".join([*sorted(_FIELDS), "config.<key>", "metric.<key>"])
        raise ConfigError(f"bad --filter {expr!r}: unknown field {field!r} (known: {known})")
    values = tuple(v.strip() for v in rest.split(",")) if rest else ("",)
    if len(values) > 1:
        if op == "=":
            op = "in"
        elif op == "!=":
            op = "not in"
        else:
            raise ConfigError(f"bad --filter {expr!r}: several values only work with = or !=")
    if field == "state":
        values = tuple(v.upper() for v in values)
        unknown = [v for v in values if v not in _STATES]
        if unknown:
            raise ConfigError(
                f"bad --filter {expr!r}: unknown state {unknown[0]!r} "
                f"(one of {', '.join(sorted(_STATES))})"
            )
    if field in TIME_FIELDS or field.startswith("metric.") or op in (">=", "<=", ">", "<"):
        for v in values:
            _check_value(expr, field, op, v)
    return RunFilter(field=field, op=op, values=values)


def _check_value(expr: str, field: str, op: str, value: str) -> None:
    if field in TIME_FIELDS:
        if parse_when(value) is None:
            raise ConfigError(
                f"bad --filter {expr!r}: {value!r} is not a date (YYYY-MM-DD[THH:MM])"
            )
    elif field.startswith("metric.") and op != "~" and _as_number(value) is None:
        raise ConfigError(f"bad --filter {expr!r}: {value!r} is not a number")


def parse_when(value: str) -> datetime | None:
    text = value.strip().replace("Z", "+00:00")
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _lookup_config(config: Mapping[str, Any], dotted: str) -> tuple[bool, Any]:
    if dotted in config:
        return True, config[dotted]
    node: Any = config
    for part in dotted.split("."):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        else:
            return False, None
    return True, node


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and not math.isinf(value):
        return str(int(value))
    return str(value)


def _equal(actual: Any, wanted: str) -> bool:
    if isinstance(actual, bool):
        return wanted.strip().lower() == ("true" if actual else "false")
    a, w = _as_number(actual), _as_number(wanted)
    if a is not None and w is not None:
        return a == w
    return _text(actual) == wanted


def _order(actual: Any, op: str, wanted: str) -> bool:
    a, w = _as_number(actual), _as_number(wanted)
    pair: tuple[Any, Any] = (a, w) if a is not None and w is not None else (_text(actual), wanted)
    x, y = pair
    if x != x or y != y:  # NaN compares false
        return False
    return bool({">=": x >= y, "<=": x <= y, ">": x > y, "<": x < y}[op])


def _compare(actual: Any, op: str, values: tuple[str, ...]) -> bool:
    if op in ("=", "in"):
        return any(_equal(actual, v) for v in values)
    if op in ("!=", "not in"):
        return not any(_equal(actual, v) for v in values)
    if op == "~":
        return any(v.lower() in _text(actual).lower() for v in values)
    return _order(actual, op, values[0])


def matches(
    run: RunRecord, f: RunFilter, metrics: Mapping[str, float | None] | None = None
) -> bool:
    """Whether ``run`` passes ``f``. When the data needed is unknown here (a list item without
    config, no ``metrics`` given), the run is kept: a source that cannot push a ``config.*``
    filter down lists its runs with their config, and ``metric.*`` filters are applied once the
    summaries are known."""
    if f.field.startswith("config."):
        if run["config"] is None:
            return True
        found, actual = _lookup_config(run["config"], f.field.split(".", 1)[1])
        if not found or actual is None:
            return f.op in ("!=", "not in")
        return _compare(actual, f.op, f.values)
    if f.field.startswith("metric."):
        if metrics is None:
            return True
        value = metrics.get(f.field.split(".", 1)[1])
        if value is None:
            return f.op in ("!=", "not in")
        return _compare(value, f.op, f.values)
    attr = _FIELDS[f.field]
    if f.field == "label":
        labels = run["labels"]
        if f.op in ("=", "in"):
            return any(v in labels for v in f.values)
        if f.op in ("!=", "not in"):
            return not any(v in labels for v in f.values)
        if f.op == "~":
            return any(v.lower() in lab.lower() for v in f.values for lab in labels)
        return False
    actual = run[attr]  # type: ignore[literal-required]
    if f.field in TIME_FIELDS:
        if actual is None:
            return f.op in ("!=", "not in")
        when = parse_when(f.values[0])
        if when is None:
            return False
        if f.op in ("=", "in", "!=", "not in"):
            same = any(parse_when(v) == actual or actual.date().isoformat() == v for v in f.values)
            return same if f.op in ("=", "in") else not same
        return _order(actual.timestamp(), f.op, str(when.timestamp()))
    if actual is None:
        return f.op in ("!=", "not in")
    return _compare(actual, f.op, f.values)


def select(
    runs: Sequence[RunRecord],
    filters: Sequence[RunFilter],
    summaries: Mapping[RunKey, list[SummaryRecord]] | None = None,
) -> list[RunRecord]:
    """The runs passing every filter. ``metric.<key>`` filters compare the key's last value
    from ``summaries``; without them (or for a run they do not cover) the run is kept, as
    :func:`matches` keeps it."""
    kept = []
    for run in runs:
        rows = None if summaries is None else summaries.get((run["project"], run["run_id"]))
        metrics = None if rows is None else {s["key"]: s["last_value"] for s in rows}
        if all(matches(run, f, metrics) for f in filters):
            kept.append(run)
    return kept

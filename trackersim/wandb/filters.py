"""Run filters (MongoDB-style documents), run order and Relay cursors, as the server applies them.

Filter fields: ``state name displayName/display_name group jobType/job_type host username
tags sweep duration createdAt/created_at heartbeatAt/heartbeat_at config.<key>[.value][...]
summary_metrics.<key>[...]``. Operators: ``$and $or $nor $not $eq $ne $gt $gte $lt $lte $in
$nin $all $size $exists $regex`` (``$options: "i"``). Array fields (tags) match MongoDB-style:
``{"tags": "a"}`` means "has a". Time fields compare as instants (naive strings are UTC).
Anything else — an unknown field or operator, a bad JSON document, a value of the wrong kind
for a time — is a GraphQL error, as a server that translates the filter to SQL would give.

Order: ``[+|-]created_at | heartbeat_at | display_name | name | state | config.<k>[.value] |
summary_metrics.<k>``; missing values sort last; ties break on the run id.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from trackersim.wandb.gql import GqlError
from trackersim.wandb.model import Run

MISSING: Any = object()
_TIME_FIELDS = {
    "createdAt": "created",
    "created_at": "created",
    "heartbeatAt": "heartbeat",
    "heartbeat_at": "heartbeat",
}
_PLAIN = {
    "state": lambda r: r.state,
    "name": lambda r: r.name,
    "displayName": lambda r: r.display_name,
    "display_name": lambda r: r.display_name,
    "group": lambda r: r.group,
    "jobType": lambda r: r.job_type,
    "job_type": lambda r: r.job_type,
    "host": lambda r: r.host,
    "username": lambda r: r.user,
    "tags": lambda r: list(r.tags),
    "sweep": lambda r: r.sweep,
    "duration": lambda r: int(r.ticks * r.tick_s),
}
_CMP = ("$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$all", "$size")
_OPS = (*_CMP, "$exists", "$regex", "$options", "$not")


def parse_filters(text: str | None) -> dict[str, Any]:
    if text is None or text == "":
        return {}
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise GqlError(f"invalid filters: not JSON ({exc})") from exc
    if not isinstance(doc, dict):
        raise GqlError("invalid filters: must be a JSON object")
    check(doc)
    return doc


def check(doc: dict[str, Any]) -> None:
    """Reject what the server would reject, before touching any run."""
    for key, cond in doc.items():
        if key in ("$and", "$or", "$nor"):
            if not isinstance(cond, list) or not all(isinstance(c, dict) for c in cond):
                raise GqlError(f"invalid filters: {key} takes a list of objects")
            for c in cond:
                check(c)
        elif key.startswith("$"):
            raise GqlError(f"invalid filters: unknown top-level operator {key}")
        else:
            _field_getter(key)
            _check_cond(key, cond)


def _check_cond(key: str, cond: Any) -> None:
    if not (isinstance(cond, dict) and any(k.startswith("$") for k in cond)):
        return
    for op, arg in cond.items():
        if op not in _OPS:
            raise GqlError(f"invalid filters: unknown operator {op} on {key}")
        if op in ("$in", "$nin", "$all") and not isinstance(arg, list):
            raise GqlError(f"invalid filters: {op} on {key} takes a list")
        if op == "$not":
            if not isinstance(arg, dict):
                raise GqlError(f"invalid filters: $not on {key} takes an operator object")
            _check_cond(key, arg)
        if op == "$regex":
            try:
                re.compile(str(arg))
            except re.error as exc:
                raise GqlError(f"invalid filters: bad $regex on {key}: {exc}") from exc
        if key in _TIME_FIELDS and op in ("$gt", "$gte", "$lt", "$lte", "$eq", "$ne"):
            _instant(arg, key)


def _instant(value: Any, key: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).timestamp()
    raise GqlError(f"invalid filters: {key} needs a date-time, got {value!r}")


def _lookup(value: Any, parts: list[str]) -> Any:
    """Walk ``parts`` into nested dicts; a part may itself contain dots (keys like "val.acc")."""
    if not parts:
        return value
    if not isinstance(value, dict):
        return MISSING
    for n in range(len(parts), 0, -1):
        key = ".".join(parts[:n])
        if key in value:
            found = _lookup(value[key], parts[n:])
            if found is not MISSING:
                return found
    return MISSING


def _config_value(run: Run, parts: list[str]) -> Any:
    for n in range(len(parts), 0, -1):
        key = ".".join(parts[:n])
        if key in run.config:
            item = run.config[key]
            rest = parts[n:]
            if isinstance(item, dict) and "value" in item:
                if rest[:1] == ["value"]:
                    rest = rest[1:]
                item = item["value"]
            found = _lookup(item, rest)
            if found is not MISSING:
                return found
    return MISSING


def _field_getter(key: str) -> Callable[[Run], Any]:
    if key in _PLAIN:
        return _PLAIN[key]
    if key in _TIME_FIELDS:
        attr = _TIME_FIELDS[key] + "_s"
        return lambda r: getattr(r, attr)
    head, _, rest = key.partition(".")
    if head == "config" and rest:
        parts = rest.split(".")
        return lambda r: _config_value(r, parts)
    if head in ("summary_metrics", "summaryMetrics") and rest:
        parts = rest.split(".")
        return lambda r: _lookup(r.summary(), parts)
    raise GqlError(f"invalid filters: unknown field {key!r}")


def matches(run: Run, doc: dict[str, Any]) -> bool:
    for key, cond in doc.items():
        if key == "$and":
            ok = all(matches(run, c) for c in cond)
        elif key == "$or":
            ok = any(matches(run, c) for c in cond)
        elif key == "$nor":
            ok = not any(matches(run, c) for c in cond)
        else:
            ok = _test(_field_getter(key)(run), cond, key in _TIME_FIELDS, key)
        if not ok:
            return False
    return True


def _norm(value: Any, is_time: bool, key: str) -> Any:
    return _instant(value, key) if is_time and value is not None else value


def _test(value: Any, cond: Any, is_time: bool, key: str) -> bool:
    if not (isinstance(cond, dict) and any(k.startswith("$") for k in cond)):
        return _eq(value, _norm(cond, is_time, key))
    flags = re.IGNORECASE if "i" in str(cond.get("$options", "")) else 0
    for op, arg in cond.items():
        if op == "$options":
            continue
        if op == "$exists":
            ok = (value is not MISSING) == bool(arg)
        elif op == "$regex":
            pat = re.compile(str(arg), flags)
            vals = value if isinstance(value, list) else [value]
            ok = any(isinstance(v, str) and pat.search(v) is not None for v in vals)
        elif op == "$not":
            ok = not _test(value, arg, is_time, key)
        elif op in ("$in", "$nin"):
            hit = any(_eq(value, _norm(a, is_time, key)) for a in arg)
            ok = hit if op == "$in" else not hit
        elif op == "$all":
            ok = isinstance(value, list) and all(a in value for a in arg)
        elif op == "$size":
            ok = isinstance(value, list) and len(value) == arg
        elif op == "$eq":
            ok = _eq(value, _norm(arg, is_time, key))
        elif op == "$ne":
            ok = not _eq(value, _norm(arg, is_time, key))
        else:
            ok = _order_test(value, op, _norm(arg, is_time, key))
        if not ok:
            return False
    return True


def _eq(value: Any, want: Any) -> bool:
    if value is MISSING:
        return want is None
    if isinstance(value, list) and not isinstance(want, list):
        return any(_same(v, want) for v in value)
    return _same(value, want)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return bool(a == b)


def _order_test(value: Any, op: str, arg: Any) -> bool:
    vals = value if isinstance(value, list) else [value]
    return any(_less_or_more(v, op, arg) for v in vals)


def _less_or_more(v: Any, op: str, arg: Any) -> bool:
    """``v op arg`` for two numbers or two strings; anything else (missing, null, NaN, booleans,
    mixed kinds) never matches, as in MongoDB."""
    num = (int, float)
    if isinstance(v, bool) or isinstance(arg, bool):
        return False
    same_kind = (isinstance(v, num) and isinstance(arg, num)) or (
        isinstance(v, str) and isinstance(arg, str)
    )
    if not same_kind or v != v:  # NaN never compares
        return False
    a: Any = v
    if op == "$gt":
        return bool(a > arg)
    if op == "$gte":
        return bool(a >= arg)
    if op == "$lt":
        return bool(a < arg)
    return bool(a <= arg)


# -- order ----------------------------------------------------------------------------------------
_ORDER_FIELDS = {
    "created_at": lambda r: r.created_s,
    "createdAt": lambda r: r.created_s,
    "heartbeat_at": lambda r: r.heartbeat_s,
    "heartbeatAt": lambda r: r.heartbeat_s,
    "display_name": lambda r: r.display_name,
    "name": lambda r: r.name,
    "state": lambda r: r.state,
}


def order_key(order: str | None) -> tuple[Callable[[Run], Any], bool]:
    """(value of a run for ``order``, descending?)."""
    text = (order or "+created_at").strip()
    desc = text.startswith("-")
    name = text.lstrip("+-")
    if name in _ORDER_FIELDS:
        return _ORDER_FIELDS[name], desc
    head, _, rest = name.partition(".")
    if head == "config" and rest:
        parts = rest.split(".")
        return lambda r: _config_value(r, parts), desc
    if head in ("summary_metrics", "summaryMetrics") and rest:
        parts = rest.split(".")
        return lambda r: _lookup(r.summary(), parts), desc
    raise GqlError(f"invalid order {order!r}")


def _rank(v: Any) -> tuple[int, Any]:
    if v is MISSING or v is None or (isinstance(v, float) and v != v):
        return (9, 0)
    if isinstance(v, bool):
        return (3, int(v))
    if isinstance(v, int | float):
        return (1, v)
    if isinstance(v, str):
        return (2, v)
    return (4, json.dumps(v, sort_keys=True, default=str))


def compare(a: tuple[Any, str], b: tuple[Any, str], desc: bool) -> int:
    """Order of two (sort value, run id) pairs; missing values last in both directions."""
    ra, rb = _rank(a[0]), _rank(b[0])
    if ra[0] == 9 or rb[0] == 9:
        c = (ra[0] > rb[0]) - (ra[0] < rb[0])
    else:
        c = (ra > rb) - (ra < rb)
        c = -c if desc else c
    return c if c else (a[1] > b[1]) - (a[1] < b[1])


def sort_runs(runs: list[Run], order: str | None) -> list[tuple[Any, Run]]:
    get, desc = order_key(order)
    keyed: list[tuple[Any, Run]] = [(get(r), r) for r in runs]

    def cmp(x: tuple[Any, Run], y: tuple[Any, Run]) -> int:
        return compare((x[0], x[1].name), (y[0], y[1].name), desc)

    keyed.sort(key=functools.cmp_to_key(cmp))
    return keyed


# -- cursors --------------------------------------------------------------------------------------
def offset_cursor(index: int) -> str:
    return base64.b64encode(f"cursor:{index}".encode()).decode()


def keyset_cursor(value: Any, name: str) -> str:
    raw = json.dumps([None if value is MISSING else value, value is MISSING, name])
    return base64.b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> tuple[str, Any]:
    """("offset", index) or ("keyset", (value, name)); GqlError for anything else."""
    try:
        raw = base64.b64decode(cursor.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise GqlError(f"invalid cursor {cursor!r}") from exc
    if raw.startswith("cursor:") and raw[7:].isdigit():
        return "offset", int(raw[7:])
    try:
        value, missing, name = json.loads(raw)
    except (ValueError, TypeError) as exc:
        raise GqlError(f"invalid cursor {cursor!r}") from exc
    return "keyset", (MISSING if missing else value, str(name))

"""Run filters pushed down to W&B's ``runs(filters: ...)`` (a MongoDB-style JSON document).

Only what the server answers *exactly or more loosely* than :func:`swansync.filters.matches` is
pushed down; the sync applies every filter again, so a looser server filter costs a few listed
runs, a stricter one would lose runs. Hence:

* ``state`` maps each contract state to the W&B states it stands for (conventions.STATES);
* ``label`` (tags) ``= in != not in``: tags are an array, ``$in``/``$nin`` match any tag;
* ``name cluster job username`` (displayName, group, jobType, username) ``= in != not in`` only
  for values that do not read as numbers (the client compares ``1`` and ``1.0`` as equal, a
  server compares text);
* ``created_at``/``finished_at`` orderings as ``createdAt``/``heartbeatAt`` bounds widened by a
  second (the server keeps sub-second times it does not send; a run's end is its last heartbeat);
* ``config.<key> = / in``: numbers as numbers or any text value (the client also matches the
  text ``"0.01"``), other values as given (plus the boolean for ``true``/``false``).

Not pushed down: ``~`` (case folding differs between engines), ``description``, orderings on
anything else, ``config`` inequalities, and ``metric.*`` (compared against swansync's own
summaries, not W&B's editable summary).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from swansync.filters import TIME_FIELDS, parse_when
from swansync.sources.base import RunFilter
from swansync.sources.wandb.conventions import STATES

_TEXT_FIELDS = {"name": "displayName", "cluster": "group", "job": "jobType", "username": "username"}
_TIME = {"created_at": "createdAt", "finished_at": "heartbeatAt"}
_SLACK = timedelta(seconds=1)


def _number(text: str) -> float | int | None:
    try:
        value = float(text.strip())
    except ValueError:
        return None
    if value != value:  # NaN never compares equal
        return None
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def _plain_text(text: str) -> bool:
    """A value the client compares as text only (not a number, not a boolean)."""
    return _number(text) is None and text.strip().lower() not in ("true", "false")


def _wandb_states(values: tuple[str, ...]) -> list[str]:
    return sorted({w for w, c in STATES.items() if c in values} | {v.lower() for v in values})


def _time(f: RunFilter) -> dict[str, Any] | None:
    when = parse_when(f.values[0])
    if when is None:
        return None
    if f.op in (">=", ">"):
        bound = ("$gte", when - _SLACK)
    elif f.op in ("<=", "<"):
        bound = ("$lte", when + _SLACK)
    else:
        return None
    return {_TIME[f.field]: {bound[0]: bound[1].strftime("%Y-%m-%dT%H:%M:%S")}}


def _config(f: RunFilter) -> dict[str, Any] | None:
    if f.op not in ("=", "in"):
        return None
    path = "config." + f.field.split(".", 1)[1]  # as the SDK documents it: {"config.lr": 0.01}
    numbers: list[Any] = []
    texts: list[Any] = []
    any_text = False
    for v in f.values:
        if v.strip()[:1] in ("[", "{") or v == "":
            return None  # the client compares containers by their text: not expressible
        n = _number(v)
        if n is not None:
            numbers.append(n)
            any_text = True  # "0.01" as text equals 0.01 on the client
        else:
            texts.append(v)
            if v.strip().lower() in ("true", "false"):
                texts.append(v.strip().lower() == "true")
    ors: list[dict[str, Any]] = []
    if numbers or texts:
        ors.append({path: {"$in": numbers + texts}})
    if any_text:
        ors.append({path: {"$regex": ""}})  # every text value
    return ors[0] if len(ors) == 1 else {"$or": ors}


def to_wandb(f: RunFilter) -> dict[str, Any] | None:
    """The W&B filter document for ``f``, or None when it cannot be pushed down exactly."""
    if f.field == "state":
        if f.op in ("=", "in"):
            return {"state": {"$in": _wandb_states(f.values)}}
        if f.op in ("!=", "not in"):
            return {"state": {"$nin": _wandb_states(f.values)}}
        return None
    if f.field == "label":
        if f.op in ("=", "in"):
            return {"tags": {"$in": list(f.values)}}
        if f.op in ("!=", "not in"):
            return {"tags": {"$nin": list(f.values)}}
        return None
    if f.field in _TEXT_FIELDS:
        if not all(_plain_text(v) for v in f.values):
            return None
        if f.op in ("=", "in"):
            return {_TEXT_FIELDS[f.field]: {"$in": list(f.values)}}
        if f.op in ("!=", "not in"):
            return {_TEXT_FIELDS[f.field]: {"$nin": list(f.values)}}
        return None
    if f.field in TIME_FIELDS and f.field in _TIME:
        return _time(f)
    if f.field.startswith("config."):
        return _config(f)
    return None


def filter_document(filters: tuple[RunFilter, ...] | list[RunFilter]) -> dict[str, Any]:
    """Every filter that can be pushed down, and-ed; ``{}`` when none can."""
    parts = [d for d in (to_wandb(f) for f in filters) if d is not None]
    if not parts:
        return {}
    return parts[0] if len(parts) == 1 else {"$and": parts}

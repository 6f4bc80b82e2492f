"""Compare the answers of every view and macro of ``sql/views`` between two sources of one
warehouse that hold the same runs (logged to SwanLab and to W&B alike, see ``spec.py``).

Each answer is split by its ``source`` column (or asked of each side's own run ids) and
normalised before comparing, for the differences the contract documents:

* ``source``, ``synced_at``: each source's name and pull time: dropped.
* ``run_id`` and ``slug``: a SwanLab log folder's run id is its run folder
  (``run-<time>-<id>``) and its slug the dashboard's experiment number; W&B's are the run id.
  Both are mapped to ``<project>#<run name>`` (also inside lists such as
  ``seed_groups.run_ids``).
* Times (``created_at``, ``finished_at``, ``duration_s``, point timestamps, first/last run,
  the day of ``project_activity``): the two runs were logged seconds apart, so only whether a
  time is there (NULL or not) is compared.
* Means over many points (``mean``): DuckDB's parallel sums may differ in the last bits from
  one query to the next, so they compare to 1e-12 relative. Every other float compares
  exactly, NaN equal to NaN, -0.0 unequal to 0.0.

Consoles and media (:data:`BY_DESIGN`) are not compared: the trackers record different things
for the same program (SwanLab keeps ``swanlab.Text`` samples as media items and a crashed run's
``error.log`` as an ERROR line; W&B keeps text as history values, and its console holds only
what the program printed). Each source's own tests check them against what it was given.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import duckdb

from swansync.warehouse.views import list_views

DROPPED = {"source", "synced_at"}
BY_DESIGN = {"run_log_tail", "media_gallery", "log_search"}  # see the module docstring
DURATIONS = {"duration_s"}
FLOAT_SUMS = {"mean"}


@dataclass
class Side:
    """One source of the warehouse and its run ids in the common form."""

    source: str
    common: dict[str, str]  # run_id or slug -> "<project>#<name>"
    own: dict[str, str]  # "<project>#<name>" -> run_id

    def ids(self, common: list[str]) -> list[str]:
        return [self.own[c] for c in common]


def side(con: duckdb.DuckDBPyConnection, source: str) -> Side:
    common: dict[str, str] = {}
    own: dict[str, str] = {}
    for project, run_id, slug, name in con.execute(
        "SELECT project, run_id, slug, name FROM runs WHERE source = ?", [source]
    ).fetchall():
        key = f"{project}#{name}"
        assert key not in own, f"{source}: two runs named {name!r} in {project}"
        common[run_id] = common[slug] = key
        own[key] = run_id
    return Side(source, common, own)


def _value(s: Side, column: str, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, datetime | date) or column in DURATIONS:
        return ("<time>",)
    if column in FLOAT_SUMS and isinstance(value, float) and math.isfinite(value):
        return ("~sum", value)
    if isinstance(value, float):
        if math.isnan(value):
            return ("NaN",)
        return ("-0.0",) if value == 0 and math.copysign(1, value) < 0 else value
    if column in ("run_id", "slug", "run_ids") or column.endswith("_run_id"):
        if isinstance(value, str):
            return s.common.get(value, value)
        if isinstance(value, list):
            return tuple(s.common.get(v, v) for v in value)
    if isinstance(value, list):
        return tuple(_value(s, "", v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, repr(_value(s, "", v))) for k, v in value.items()))
    return value


@dataclass
class Answer:
    columns: list[str]
    rows: list[tuple[Any, ...]]


def answer(con: duckdb.DuckDBPyConnection, s: Side, sql: str) -> Answer:
    """The rows of ``sql`` that belong to ``s`` (all of them when it has no source column)."""
    cur = con.execute(sql)
    columns = [d[0] for d in cur.description]
    where = columns.index("source") if "source" in columns else None
    keep = [i for i, c in enumerate(columns) if c not in DROPPED]
    rows = [
        tuple(_value(s, columns[i], row[i]) for i in keep)
        for row in cur.fetchall()
        if where is None or row[where] == s.source
    ]
    return Answer([columns[i] for i in keep], sorted(rows, key=repr))


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, tuple) and a[:1] == ("~sum",) and isinstance(b, tuple) and b[:1] == ("~sum",):
        return math.isclose(a[1], b[1], rel_tol=1e-12, abs_tol=1e-300)
    return bool(a == b)


def diff(label: str, a: Answer, b: Answer) -> list[str]:
    if a.columns != b.columns:
        return [f"{label}: columns differ:\n  A {a.columns}\n  B {b.columns}"]
    if len(a.rows) != len(b.rows):
        return [f"{label}: {len(a.rows)} rows from A, {len(b.rows)} from B"]
    out: list[str] = []
    for ra, rb in zip(a.rows, b.rows, strict=True):
        bad = [
            f"{c}: A={x!r} B={y!r}"
            for c, x, y in zip(a.columns, ra, rb, strict=True)
            if not _close(x, y)
        ]
        if bad:
            out.append(f"{label}: row differs: " + "; ".join(bad[:6]))
    return out[:5]


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ql(items: list[str]) -> str:
    return "[" + ", ".join(_q(i) for i in items) + "]"


Call = Callable[[Side, str, list[str]], str]  # (side, project, its runs' common ids) -> SQL
NAN_KEY = "weird/nan_inf"

MACRO_CALLS: dict[str, list[Call]] = {
    "run_table": [lambda s, p, r: f"SELECT * FROM run_table({_q(p)})"],
    "leaderboard": [
        lambda s, p, r: f"SELECT * FROM leaderboard({_q(p)}, 'train/loss')",
        lambda s, p, r: f"SELECT * FROM leaderboard({_q(p)}, 'train/loss', pick := 'best')",
        lambda s, p, r: f"SELECT * FROM leaderboard({_q(p)}, 'val/acc', goal := 'max')",
        lambda s, p, r: (
            f"SELECT * FROM leaderboard({_q(p)}, {_q(NAN_KEY)}, goal := 'max', pick := 'best')"
        ),
        lambda s, p, r: f"SELECT * FROM leaderboard({_q(p)}, {_q(NAN_KEY)})",
        lambda s, p, r: f"SELECT * FROM leaderboard({_q(p)}, 'flags/improved', goal := 'max')",
    ],
    "seed_groups": [
        lambda s, p, r: f"SELECT * FROM seed_groups({_q(p)}, 'train/loss')",
        lambda s, p, r: (
            f"SELECT * FROM seed_groups({_q(p)}, 'val/loss', seed_keys := ['seed'], pick := 'best')"
        ),
    ],
    "config_effect": [
        lambda s, p, r: f"SELECT * FROM config_effect({_q(p)}, 'lr', 'train/loss')",
        lambda s, p, r: (
            f"SELECT * FROM config_effect({_q(p)}, 'model.depth', 'val/acc', "
            "goal := 'max', pick := 'best')"
        ),
        lambda s, p, r: f"SELECT * FROM config_effect({_q(p)}, 'model.pretrained', {_q(NAN_KEY)})",
        lambda s, p, r: f"SELECT * FROM config_effect({_q(p)}, 'data.name', 'epoch')",
    ],
    "curves": [
        lambda s, p, r: f"SELECT * FROM curves({_q(p)})",
        lambda s, p, r: (
            f"SELECT * FROM curves({_q(p)}, n_buckets := 7, "
            f"only_keys := ['train/loss', {_q(NAN_KEY)}], only_runs := {_ql(s.ids(r[:2]))})"
        ),
    ],
    "run_diff": [
        lambda s, p, r: f"SELECT * FROM run_diff({_q(s.own[r[0]])}, {_q(s.own[r[-1]])})",
        lambda s, p, r: f"SELECT * FROM run_diff({_ql(s.ids(r))})",
    ],
    "log_search": [lambda s, p, r: "SELECT * FROM log_search('')"],
}


def compare(con: duckdb.DuckDBPyConnection, a: Side, b: Side, projects: list[str]) -> list[str]:
    """Every view whole and every macro call per project, A against B: the differences."""
    assert set(a.own) == set(b.own), "the two sources hold different runs"
    infos = list_views()
    macros = {v.name for v in infos if v.kind == "macro"}
    assert macros == set(MACRO_CALLS), "every macro needs calls in MACRO_CALLS"
    problems: list[str] = []
    for info in (v for v in infos if v.kind == "view" and v.name not in BY_DESIGN):
        sql = f"SELECT * FROM {info.name}"
        answer_a, answer_b = answer(con, a, sql), answer(con, b, sql)
        assert answer_a.rows or info.name == "system_usage", f"{info.name}: nothing compared"
        problems += diff(info.name, answer_a, answer_b)
    for project in projects:
        runs = sorted(c for c in a.own if c.startswith(project + "#"))
        for name, calls in MACRO_CALLS.items():
            if name in BY_DESIGN:
                continue
            for i, call in enumerate(calls):
                answer_a = answer(con, a, call(a, project, runs))
                answer_b = answer(con, b, call(b, project, runs))
                assert answer_a.rows or name == "run_diff", f"{name}#{i}: nothing compared"
                problems += diff(f"{name}#{i} on {project}", answer_a, answer_b)
    return problems

"""Ask every view and macro of ``sql/views`` of two sides holding the same runs, and list where
their answers differ, up to the differences a comparison documents.

Used by the comparisons of one project pulled two ways: a SwanLab log folder against the same
runs served by the simulated cloud (``tests/local/test_same_views.py``), and the same program
logged to SwanLab and to W&B (``tests/wandb_offline/test_cross_tracker.py``). Each caller says
what its sides are (:class:`Side`: a connection, optionally one ``source`` of it, and the run
ids mapped to a common form), which columns it drops or maps (:class:`Rules`) and the macro
calls that make sense for its data (its keys added to :func:`macro_calls`).

Answers are compared as multisets of rows (ties in ORDER BY fall back on run ids, which differ),
value for value: floats exactly, NaN equal to NaN, -0.0 unequal to 0.0; means over many points
(``FLOAT_SUMS``) to 1e-12 relative, since DuckDB's parallel sums may differ in the last bits
from one query to the next.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

import duckdb

from swansync.warehouse.views import list_views

FLOAT_SUMS = {"mean"}

# Views of consoles and media, never compared across sources: neither comparison has the same
# consoles and media on both sides. The simulated cloud built from a log folder
# (tests/support/from_records.py) copies runs, configs and metrics but no console lines or
# media; and SwanLab and W&B record different things for one program (SwanLab keeps
# ``swanlab.Text`` samples as media and a crashed run's ``error.log`` as an ERROR line, W&B keeps
# text as history values and its console holds only what the program printed). Each source's own
# tests check these views against what it was given (tests/views, tests/local, the W&B suites).
CONSOLES_AND_MEDIA = frozenset({"run_log_tail", "log_search", "media_gallery"})
NAN_KEY = "weird/nan_inf"  # the metric holding NaN and +-inf in every compared data set


@dataclass(frozen=True)
class Rules:
    """How one comparison normalises values before comparing.

    ``times``: ``"ms"`` compares timestamps truncated to the millisecond and ``durations`` to
    within a millisecond; ``"present"`` only whether a time (or duration) is there.
    """

    dropped: frozenset[str]  # columns not compared at all
    run_ids: frozenset[str]  # columns of run ids, mapped to the common form (and *_run_id)
    times: Literal["ms", "present"]
    durations: frozenset[str] = frozenset({"duration_s"})


@dataclass
class Side:
    """One side of a comparison: a connection, the ``source`` whose rows are its answer (None:
    every row), and its run ids mapped to and from a common form."""

    name: str
    con: duckdb.DuckDBPyConnection
    common: dict[str, str]  # run id (or slug) -> common id
    own: dict[str, str]  # common id -> run id
    source: str | None = None

    def ids(self, common: list[str]) -> list[str]:
        return [self.own[c] for c in common]


def _time(rules: Rules, column: str, value: Any) -> Any:
    if rules.times == "present":
        return ("<time>",)
    if isinstance(value, datetime):
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    if isinstance(value, float):  # a duration
        return ("~ms", round(value, 3))
    return value


def _value(side: Side, rules: Rules, column: str, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, datetime | date) or column in rules.durations:
        return _time(rules, column, value)
    if column in FLOAT_SUMS and isinstance(value, float) and math.isfinite(value):
        return ("~sum", value)
    if isinstance(value, float):
        if math.isnan(value):
            return ("NaN",)
        return ("-0.0",) if value == 0 and math.copysign(1, value) < 0 else value
    if column in rules.run_ids or column.endswith("_run_id"):
        if isinstance(value, str):
            return side.common.get(value, value)
        if isinstance(value, list):
            return tuple(side.common.get(v, v) for v in value)
    if isinstance(value, list):
        return tuple(_value(side, rules, "", v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, repr(_value(side, rules, "", v))) for k, v in value.items()))
    return value


@dataclass
class Answer:
    side: str
    columns: list[str]
    rows: list[tuple[Any, ...]] = field(default_factory=list)


def answer(side: Side, rules: Rules, sql: str) -> Answer:
    """The rows of ``sql`` that belong to ``side`` (all of them when it names no source or the
    answer has no ``source`` column), normalised and sorted."""
    cur = side.con.execute(sql)
    columns = [d[0] for d in cur.description]
    where = columns.index("source") if side.source is not None and "source" in columns else None
    keep = [i for i, c in enumerate(columns) if c not in rules.dropped]
    rows = [
        tuple(_value(side, rules, columns[i], row[i]) for i in keep)
        for row in cur.fetchall()
        if where is None or row[where] == side.source
    ]
    return Answer(side.name, [columns[i] for i in keep], sorted(rows, key=repr))


def _close(a: Any, b: Any) -> bool:
    """Equality, except durations (``~ms``) within a millisecond and means (``~sum``) to 1e-12."""
    if isinstance(a, tuple) and a[:1] == ("~ms",) and isinstance(b, tuple) and b[:1] == ("~ms",):
        return bool(abs(a[1] - b[1]) <= 0.0011)
    if isinstance(a, tuple) and a[:1] == ("~sum",) and isinstance(b, tuple) and b[:1] == ("~sum",):
        return math.isclose(a[1], b[1], rel_tol=1e-12, abs_tol=1e-300)
    return bool(a == b)


def diff(label: str, a: Answer, b: Answer) -> list[str]:
    """At most five lines saying where ``a`` and ``b`` differ; [] when they agree."""
    if a.columns != b.columns:
        return [f"{label}: columns differ:\n  A {a.columns}\n  B {b.columns}"]
    if len(a.rows) != len(b.rows):
        return [f"{label}: {len(a.rows)} rows from {a.side}, {len(b.rows)} from {b.side}"]
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


# -- what to ask -------------------------------------------------------------------------------
def q(text: str) -> str:
    """``text`` as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def ql(items: list[str]) -> str:
    """``items`` as an SQL list of string literals."""
    return "[" + ", ".join(q(i) for i in items) + "]"


Call = Callable[[Side, str, list[str]], str]  # (side, project, its runs' common ids) -> SQL

# The calls every data set supports: its loss, its NaN/inf metric, curves and run_diff. The keys
# that differ per data set (a metric to maximise, config keys, seed keys) come from the caller.
COMMON_CALLS: dict[str, list[Call]] = {
    "run_table": [lambda s, p, r: f"SELECT * FROM run_table({q(p)})"],
    "leaderboard": [
        lambda s, p, r: f"SELECT * FROM leaderboard({q(p)}, 'train/loss')",
        lambda s, p, r: f"SELECT * FROM leaderboard({q(p)}, 'train/loss', pick := 'best')",
        lambda s, p, r: (
            f"SELECT * FROM leaderboard({q(p)}, {q(NAN_KEY)}, goal := 'max', pick := 'best')"
        ),
        lambda s, p, r: f"SELECT * FROM leaderboard({q(p)}, {q(NAN_KEY)})",
    ],
    "seed_groups": [lambda s, p, r: f"SELECT * FROM seed_groups({q(p)}, 'train/loss')"],
    "config_effect": [
        lambda s, p, r: f"SELECT * FROM config_effect({q(p)}, 'model.pretrained', {q(NAN_KEY)})",
    ],
    "curves": [
        lambda s, p, r: f"SELECT * FROM curves({q(p)})",
        lambda s, p, r: (
            f"SELECT * FROM curves({q(p)}, n_buckets := 7, "
            f"only_keys := ['train/loss', {q(NAN_KEY)}], only_runs := {ql(s.ids(r[:2]))})"
        ),
    ],
    "run_diff": [
        lambda s, p, r: f"SELECT * FROM run_diff({q(s.own[r[0]])}, {q(s.own[r[-1]])})",
        lambda s, p, r: f"SELECT * FROM run_diff({ql(s.ids(r))})",
    ],
}


def macro_calls(more: Mapping[str, list[Call]]) -> dict[str, list[Call]]:
    """:data:`COMMON_CALLS` with a data set's own calls appended (labelled ``<macro>#<index>``
    in the differences, the common ones first)."""
    out = {name: list(calls) for name, calls in COMMON_CALLS.items()}
    for name, calls in more.items():
        out.setdefault(name, []).extend(calls)
    return out


def compare(
    a: Side,
    b: Side,
    rules: Rules,
    projects: Iterable[str],
    calls: Mapping[str, list[Call]],
    *,
    may_be_empty: Collection[str] = (),
) -> list[str]:
    """Every view whole and every macro call per project, A against B: the differences.

    Views and macros of :data:`CONSOLES_AND_MEDIA` are not asked; every other macro needs calls
    in ``calls``. An
    empty answer compares nothing, so a view's answer from A may be empty only if it is in
    ``may_be_empty``, and each macro call must answer rows for at least one project (except
    ``run_diff``, which shows differing fields only).
    """
    assert set(a.own) == set(b.own), f"{a.name} and {b.name} hold different runs"
    infos = [v for v in list_views() if v.name not in CONSOLES_AND_MEDIA]
    macros = {v.name for v in infos if v.kind == "macro"}
    assert macros == set(calls), "every macro needs calls (and only macros have calls)"
    problems: list[str] = []
    for info in (v for v in infos if v.kind == "view"):
        sql = f"SELECT * FROM {info.name}"
        answer_a, answer_b = answer(a, rules, sql), answer(b, rules, sql)
        assert answer_a.rows or info.name in may_be_empty, f"{info.name}: nothing compared"
        problems += diff(info.name, answer_a, answer_b)
    answered: set[str] = set()
    for project in projects:
        runs = sorted(c for c in a.own if c.startswith(project + "#"))
        assert runs, f"{project}: no runs to compare"
        for name in sorted(macros):
            for i, call in enumerate(calls[name]):
                answer_a = answer(a, rules, call(a, project, runs))
                answer_b = answer(b, rules, call(b, project, runs))
                if answer_a.rows or name == "run_diff":
                    answered.add(f"{name}#{i}")
                problems += diff(f"{name}#{i} on {project}", answer_a, answer_b)
    asked = {f"{name}#{i}" for name in macros for i in range(len(calls[name]))}
    assert not asked - answered, f"calls that compared nothing: {sorted(asked - answered)}"
    return problems

"""Compare warehouse rows with a simulator's truth: the tracker-free pieces of the SwanLab
(``tests/e2e/compare.py``) and W&B (``tests/wandb_cloud/compare.py``) comparators, which keep
what is their tracker's own (the columns compared per table, how a run's JSON is read).

Floats are compared exactly: NaN equals NaN, and the sign of zero counts (-0.0 is not 0.0), in
plain columns, inside JSON values and in the metrics table (unless :data:`ZERO_SIGN` says not).
Every function returns the differences as lines, at most a few per kind; [] when equal.
"""

from __future__ import annotations

import math
from typing import Any

import polars as pl

from swansync.warehouse import Warehouse

# Whether -0.0 and 0.0 differ in plain DOUBLE columns and points. DuckDB 1.5's Parquet writer (a
# lake's data files) stores 0.0 as -0.0 when both occur in a dictionary-encoded column chunk
# (docs/ducklake.md F17), so the lake suite compares without the sign of zero.
ZERO_SIGN = {"strict": True}

Columns = dict[str, list[Any]]  # a table as column name -> values
Rows = dict[tuple[Any, ...], dict[str, Any]]  # a table as key -> row


def same(a: Any, b: Any) -> bool:
    """Equality that treats NaN == NaN, tells -0.0 from 0.0 and looks inside lists/dicts."""
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        if not ZERO_SIGN["strict"]:
            return a == b
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) != isinstance(b, float) and isinstance(a, int | float):
        # JSON holds numbers, not int/float types: 2 and 2.0 are the same number here
        return not isinstance(a, bool) and not isinstance(b, bool) and same(float(a), float(b))
    return bool(a == b)


def rows(cols: Columns, key: tuple[str, ...]) -> Rows:
    n = len(next(iter(cols.values()))) if cols else 0
    out: Rows = {}
    for i in range(n):
        row = {c: v[i] for c, v in cols.items()}
        out[tuple(row[k] for k in key)] = row
    return out


def diff(table: str, want: Rows, got: Rows, columns: list[str], limit: int = 8) -> list[str]:
    """Missing and unexpected keys, then the ``columns`` that differ in rows of both."""
    problems: list[str] = []
    for k in sorted(set(want) - set(got), key=repr)[:limit]:
        problems.append(f"{table}: missing {k}")
    for k in sorted(set(got) - set(want), key=repr)[:limit]:
        problems.append(f"{table}: unexpected {k}")
    for k in sorted(set(want) & set(got), key=repr):
        for c in columns:
            if not same(want[k][c], got[k][c]):
                problems.append(f"{table} {k} {c}: want {want[k][c]!r}, got {got[k][c]!r}")
                if len(problems) > limit * 3:
                    return problems
    return problems


def diff_table(
    table: str, want: Columns, got: Columns, key: tuple[str, ...], columns: list[str]
) -> list[str]:
    """:func:`diff` of two tables given as columns, rows matched on ``key``."""
    return diff(table, rows(want, key), rows(got, key), columns)


def query(wh: Warehouse, sql: str, source: str) -> Columns:
    """The answer of ``sql`` (one ``?``: the source) as columns."""
    frame = wh.query(sql, [source])
    return {c: frame.get_column(c).to_list() for c in frame.columns}


def without_runs(cols: Columns, runs: set[str] | frozenset[str]) -> Columns:
    keep = [i for i, r in enumerate(cols.get("run_id", [])) if r not in runs]
    return {c: [v[i] for i in keep] for c, v in cols.items()}


def join_rows(
    table: str, noun: str, want: pl.DataFrame, got: pl.DataFrame, on: list[str]
) -> tuple[list[str], pl.DataFrame]:
    """Duplicated, missing and unexpected ``on`` keys of a long table (polars joins, fast on
    large worlds), and the rows of both joined (``got``'s columns suffixed ``_got``)."""
    problems: list[str] = []
    dupes = got.group_by(on).len().filter(pl.col("len") > 1)
    if dupes.height:
        problems.append(
            f"{table}: {dupes.height} duplicated ({', '.join(on)}), e.g. {dupes.row(0)}"
        )
    missing = want.join(got, on=on, how="anti")
    extra = got.join(want, on=on, how="anti")
    if missing.height:
        problems.append(f"{table}: {missing.height} missing {noun}, e.g. {missing.head(3).rows()}")
    if extra.height:
        problems.append(f"{table}: {extra.height} unexpected {noun}, e.g. {extra.head(3).rows()}")
    return problems, want.join(got, on=on, suffix="_got")


def diff_points(want: pl.DataFrame, got: pl.DataFrame) -> list[str]:
    """Metric points, both frames with ``run_id, key, step, value, ts_ms``: each point once,
    none missing or extra, values equal (NaN == NaN, the sign of zero per :data:`ZERO_SIGN`) and
    timestamps equal to the millisecond."""
    problems, both = join_rows("metrics", "points", want, got, ["run_id", "key", "step"])
    # 1/x tells -0.0 (-inf) from 0.0 (+inf); for every other equal pair it is equal too
    same_sign = (1 / pl.col("value")) == (1 / pl.col("value_got"))
    if not ZERO_SIGN["strict"]:
        same_sign = pl.lit(True)
    same_value = ((pl.col("value") == pl.col("value_got")) & same_sign) | (
        pl.col("value").is_nan() & pl.col("value_got").is_nan()
    )
    bad = both.filter(~same_value | (pl.col("ts_ms") != pl.col("ts_ms_got")))
    if bad.height:
        problems.append(f"metrics: {bad.height} points differ, e.g. {bad.head(3).rows()}")
    return problems

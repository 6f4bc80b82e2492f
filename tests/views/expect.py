"""Independent answers, computed with polars from the simulator's truth (never from the views)."""

from __future__ import annotations

import json
import math
from typing import Any

import polars as pl
from polars.testing import assert_frame_equal

KEY = ["project", "run_id", "key"]


def live_runs(t: dict[str, pl.DataFrame]) -> pl.DataFrame:
    return t["runs"].filter(~pl.col("deleted"))


def series_stats(t: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Per (project, run_id, key): the metric_summary rules applied by hand."""
    m = t["metrics"]
    ok = m.filter(~pl.col("value").is_nan())
    base = m.group_by(KEY).agg(
        pl.len().cast(pl.Int64).alias("points"),
        pl.col("value").is_nan().sum().cast(pl.Int64).alias("nan_count"),
        pl.col("step").min().alias("first_step"),
        pl.col("step").max().alias("last_step"),
        pl.col("value").sort_by("step").last().alias("last_value"),
    )
    lo = ok.group_by(KEY).agg(pl.col("value").min().alias("min_value"))
    hi = ok.group_by(KEY).agg(pl.col("value").max().alias("max_value"))
    lo_step = (
        ok.join(lo, on=KEY)
        .filter(pl.col("value") == pl.col("min_value"))
        .group_by(KEY)
        .agg(pl.col("step").min().alias("min_step"))
    )
    hi_step = (
        ok.join(hi, on=KEY)
        .filter(pl.col("value") == pl.col("max_value"))
        .group_by(KEY)
        .agg(pl.col("step").min().alias("max_step"))
    )
    out = base
    for extra in (lo, lo_step, hi, hi_step):
        out = out.join(extra, on=KEY, how="left")
    return out


def run_value(t: dict[str, pl.DataFrame], metric: str, goal: str, pick: str) -> pl.DataFrame:
    """(project, run_id, value): a run's value of ``metric`` as leaderboard() defines it."""
    s = series_stats(t).filter(pl.col("key") == metric)
    col = "last_value" if pick == "last" else ("max_value" if goal == "max" else "min_value")
    return s.select("project", "run_id", pl.col(col).alias("value"))


def text_of(value_json: str | None, value_text: str | None) -> str | None:
    """The text form the views use for a config value."""
    if value_text is not None:
        return value_text
    if value_json is None or json.loads(value_json) is None:
        return None
    return value_json


def finite(x: Any) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x))


def assert_same(actual: pl.DataFrame, expected: pl.DataFrame, by: list[str]) -> None:
    """Equal as sets of rows over ``expected``'s columns (floats to 1e-9 relative)."""
    cols = expected.columns
    a = actual.select(cols).sort(by, nulls_last=True)
    e = expected.sort(by, nulls_last=True)
    assert a.height == e.height, f"{a.height} rows, expected {e.height}"
    assert_frame_equal(a, e, check_dtypes=False, check_exact=False, rel_tol=1e-9, abs_tol=1e-12)

"""Metric points -> long rows of the ``metrics`` table. Pure: no I/O.

SwanLab's CSV export is wide (step, then a value/timestamp pair per key; read by
:mod:`.export_csv`); local sources hand over one series as columns. Both become one row per
(key, step), cut at the stored bookmark.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from swansync.errors import DataError
from swansync.sources.base import CsvPoints, Points, SeriesPoints
from swansync.transform.export_csv import finite_ms, read_wide

TS = pl.Datetime("us", "UTC")
STR = pl.String


_POINT_COLS = ["key", "step", "value", "ts"]


def _strictly_ascending(steps: pl.Series) -> bool:
    return steps.len() < 2 or bool((steps.diff().drop_nulls() > 0).all())


def _long_from_csv(points: CsvPoints) -> tuple[pl.DataFrame, bool]:
    wide = read_wide(points)
    lazy = wide.lazy()
    parts = [
        lazy.select(
            pl.lit(key, dtype=STR).alias("key"),
            pl.col("step"),
            pl.col(f"v{i}").alias("value"),
            finite_ms(f"t{i}").alias("ts_ms"),
        ).filter(pl.col("value").is_not_null())
        for i, key in enumerate(points.keys)
    ]
    if not parts:
        return pl.DataFrame(
            schema={"key": STR, "step": pl.Int64, "value": pl.Float64, "ts": TS}
        ), True
    # One lazy plan: polars reshapes the per-key slices in parallel (3x less CPU than eager).
    frame = (
        pl.concat(parts)
        .select(
            "key",
            "step",
            "value",
            pl.from_epoch(pl.col("ts_ms"), time_unit="ms")
            .dt.replace_time_zone("UTC")
            .cast(TS)
            .alias("ts"),
        )
        .collect()
    )
    # Keys are distinct, so (key, step) repeats only if the shared step column does.
    return frame, _strictly_ascending(wide.get_column("step"))


def _long_from_series(points: SeriesPoints) -> tuple[pl.DataFrame, bool]:
    if not (len(points.steps) == len(points.values) == len(points.ts_ms)):
        raise DataError(
            f"series {points.key!r} of run {points.run_id!r} has columns of different lengths"
        )
    frame = pl.DataFrame(
        {
            "step": pl.Series(points.steps, dtype=pl.Int64),
            "value": pl.Series(points.values, dtype=pl.Float64),
            "ts_ms": pl.Series(points.ts_ms, dtype=pl.Int64),
        }
    )
    long = frame.select(
        pl.lit(points.key, dtype=STR).alias("key"),
        "step",
        "value",
        pl.from_epoch("ts_ms", time_unit="ms").dt.replace_time_zone("UTC").cast(TS).alias("ts"),
    )
    return long, _strictly_ascending(frame.get_column("step"))


def points_frame(
    source: str, points: Points, after_step: Mapping[str, int] | None = None
) -> pl.DataFrame:
    """Long metric rows (one per run/key/step) of the ``metrics`` table.

    Drops steps at or below ``after_step[key]`` (already stored) and duplicate steps (the last
    one wins), so writing the result never duplicates a row.
    """
    long, ascending = (
        _long_from_csv(points) if isinstance(points, CsvPoints) else _long_from_series(points)
    )
    if after_step:
        bounds = pl.DataFrame(
            {"key": list(after_step), "_after": list(after_step.values())},
            schema={"key": STR, "_after": pl.Int64},
        )
        long = (
            long.join(bounds, on="key", how="left")
            .filter(pl.col("_after").is_null() | (pl.col("step") > pl.col("_after")))
            .drop("_after")
        )
    # Exports and log files hold each step once, ascending; dedupe only when they do not.
    if not ascending:
        long = long.unique(subset=["key", "step"], keep="last", maintain_order=True)
    return long.select(
        pl.lit(source, dtype=STR).alias("source"),
        pl.lit(points.project, dtype=STR).alias("project"),
        pl.lit(points.run_id, dtype=STR).alias("run_id"),
        *_POINT_COLS,
    )


def series_stats(frame: pl.DataFrame) -> dict[str, tuple[int, int]]:
    """Per key in a points frame: (highest step, number of rows)."""
    if frame.height == 0:
        return {}
    agg = frame.group_by("key").agg(pl.col("step").max().alias("m"), pl.len().alias("n"))
    return {k: (int(m), int(n)) for k, m, n in agg.iter_rows()}

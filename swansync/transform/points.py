"""Metric points -> narrow rows of ``_swansync.points`` (series_id, step, value, ts). Pure: no I/O.

SwanLab's CSV export is wide (step, then a value/timestamp pair per key; read by
:mod:`.export_csv`); local sources hand over one series as columns. Both become one row per
(series, step), cut at the stored bookmark. The caller names each key's ``series_id``; the
strings of a series (source, project, run, key) live once in ``_swansync.series``, not in every
point. This runs in the fetch workers, so the writer only appends finished frames.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from swansync.errors import DataError
from swansync.sources.base import CsvPoints, Points, SeriesPoints
from swansync.transform.export_csv import finite_ms, read_wide

TS = pl.Datetime("us", "UTC")
STR = pl.String

POINTS_SCHEMA: dict[str, pl.DataType] = {
    "series_id": pl.Int64(),
    "step": pl.Int64(),
    "value": pl.Float64(),
    "ts": TS,
}


@dataclass(frozen=True)
class SeriesRows:
    """Narrow point rows of some series, and per series id what they hold."""

    frame: pl.DataFrame  # POINTS_SCHEMA
    stats: dict[int, tuple[int, int]]  # series_id -> (highest step, number of rows)


def _strictly_ascending(steps: pl.Series) -> bool:
    return steps.len() < 2 or bool((steps.diff().drop_nulls() > 0).all())


def _ts(ms: pl.Expr) -> pl.Expr:
    return pl.from_epoch(ms, time_unit="ms").dt.replace_time_zone("UTC").cast(TS).alias("ts")


def _after(key: str, after_step: Mapping[str, int] | None) -> int | None:
    return None if after_step is None else after_step.get(key)


def _from_csv(
    points: CsvPoints, ids: Mapping[str, int], after_step: Mapping[str, int] | None
) -> tuple[pl.DataFrame, bool]:
    n = len(points.keys)
    if len(set(points.keys)) != n:
        raise DataError(f"metric export for run {points.run_id!r} names a key twice")
    wide = read_wide(points)
    if n == 0:
        return pl.DataFrame(schema=POINTS_SCHEMA), True
    # Wide -> long with two unpivots (values, then timestamps: same shape, same order), each
    # value column named by its series id so the id is read back from the name. A stored
    # bookmark blanks the cells at or below it first. (3x less CPU than a concat of per-key
    # slices.)
    values = [pl.col("step")]
    for i, key in enumerate(points.keys):
        v = pl.col(f"v{i}")
        bound = _after(key, after_step)
        if bound is not None:
            v = pl.when(pl.col("step") > bound).then(v)
        values.append(v.alias(str(ids[key])))
    long = wide.select(values).unpivot(index="step", variable_name="series_id", value_name="value")
    stamps = wide.select([f"t{i}" for i in range(n)]).unpivot(value_name="t").get_column("t")
    frame = (
        long.lazy()
        .with_columns(stamps)
        .filter(pl.col("value").is_not_null())
        .select(
            pl.col("series_id").cast(pl.Int64),
            "step",
            "value",
            (finite_ms("t") * 1000).cast(TS).alias("ts"),
        )
        .collect()
    )
    # Keys are distinct, so (key, step) repeats only if the shared step column does.
    return frame, _strictly_ascending(wide.get_column("step"))


def _from_series(
    points: SeriesPoints, ids: Mapping[str, int], after_step: Mapping[str, int] | None
) -> tuple[pl.DataFrame, bool]:
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
    ascending = _strictly_ascending(frame.get_column("step"))
    bound = _after(points.key, after_step)
    if bound is not None:
        frame = frame.filter(pl.col("step") > bound)
    narrow = frame.select(
        pl.lit(ids[points.key], dtype=pl.Int64).alias("series_id"),
        "step",
        "value",
        _ts(pl.col("ts_ms")),
    )
    return narrow, ascending


def series_rows(
    points: Points, ids: Mapping[str, int], after_step: Mapping[str, int] | None = None
) -> SeriesRows:
    """Narrow point rows of ``points``, each key's rows under ``ids[key]``.

    Drops steps at or below ``after_step[key]`` (already stored) and duplicate steps (the last
    one wins), so appending the result never duplicates a point.
    """
    narrow, ascending = (
        _from_csv(points, ids, after_step)
        if isinstance(points, CsvPoints)
        else _from_series(points, ids, after_step)
    )
    # Exports and log files hold each step once, ascending; dedupe only when they do not.
    if not ascending:
        narrow = narrow.unique(subset=["series_id", "step"], keep="last", maintain_order=True)
    return SeriesRows(narrow, _stats(narrow))


def _stats(frame: pl.DataFrame) -> dict[int, tuple[int, int]]:
    if frame.height == 0:
        return {}
    agg = frame.group_by("series_id").agg(pl.col("step").max().alias("m"), pl.len().alias("n"))
    return {int(s): (int(m), int(n)) for s, m, n in agg.iter_rows()}


def points_frame(
    source: str, points: Points, after_step: Mapping[str, int] | None = None
) -> pl.DataFrame:
    """The rows of ``points`` as the contract's long ``metrics`` view shows them (source,
    project, run_id, key, step, value, ts): for tests, tools and benchmarks of the parser."""
    keys = list(points.keys) if isinstance(points, CsvPoints) else [points.key]
    ids = {k: i for i, k in enumerate(dict.fromkeys(keys))}
    names = pl.DataFrame(
        {"series_id": list(ids.values()), "key": list(ids)},
        schema={"series_id": pl.Int64, "key": STR},
    )
    narrow = series_rows(points, ids, after_step).frame
    return narrow.join(names, on="series_id", how="left", maintain_order="left").select(
        pl.lit(source, dtype=STR).alias("source"),
        pl.lit(points.project, dtype=STR).alias("project"),
        pl.lit(points.run_id, dtype=STR).alias("run_id"),
        "key",
        "step",
        "value",
        "ts",
    )

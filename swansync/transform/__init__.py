"""Records -> polars frames of the declared warehouse schema. Pure: no I/O, no clocks.

Schemas are declared here (not inferred from the first batch), so all-null columns still get
their types and a frame always matches its table.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import polars as pl

from swansync.sources.base import (
    LogRecord,
    MediaRecord,
    MetricKeyRecord,
    ProjectRecord,
    RunRecord,
    SummaryRecord,
)

TS = pl.Datetime("us", "UTC")
STR = pl.String
STRS = pl.List(pl.String)

PROJECTS_SCHEMA: dict[str, Any] = {
    "source": STR,
    "project": STR,
    "project_id": STR,
    "workspace": STR,
    "name": STR,
    "description": STR,
    "visibility": STR,
    "labels": STRS,
    "run_count": pl.Int64,
    "created_at": TS,
    "updated_at": TS,
    "url": STR,
    "raw": STR,
    "synced_at": TS,
}

RUNS_SCHEMA: dict[str, Any] = {
    "source": STR,
    "project": STR,
    "run_id": STR,
    "slug": STR,
    "name": STR,
    "description": STR,
    "state": STR,
    "cluster": STR,
    "job": STR,
    "labels": STRS,
    "username": STR,
    "created_at": TS,
    "finished_at": TS,
    "url": STR,
    "config": STR,
    "metadata": STR,
    "requirements": STR,
    "conda": STR,
    "pinned": pl.Boolean,
    "root_project_id": STR,
    "root_run_id": STR,
    "deleted_at": TS,
    "raw": STR,
    "synced_at": TS,
}

RUN_CONFIG_SCHEMA: dict[str, Any] = {
    "source": STR,
    "project": STR,
    "run_id": STR,
    "key": STR,
    "value": STR,
    "value_double": pl.Float64,
    "value_text": STR,
    "value_bool": pl.Boolean,
}

METRIC_KEYS_SCHEMA: dict[str, Any] = {
    "source": STR,
    "project": STR,
    "run_id": STR,
    "key": STR,
    "kind": STR,
    "class": STR,
    "complete": pl.Boolean,
    "last_step": pl.Int64,
    "points": pl.Int64,
    "synced_at": TS,
}

# _swansync.series: the metric_keys columns plus the id of the series' current generation.
SERIES_SCHEMA: dict[str, Any] = {
    **{c: t for c, t in METRIC_KEYS_SCHEMA.items() if c in ("source", "project", "run_id", "key")},
    "series_id": pl.Int64,
    **{
        c: t
        for c, t in METRIC_KEYS_SCHEMA.items()
        if c not in ("source", "project", "run_id", "key")
    },
}

# main.metrics, a view of _swansync.points joined to _swansync.series (POINTS_SCHEMA in .points).
METRICS_SCHEMA: dict[str, Any] = {
    "source": STR,
    "project": STR,
    "run_id": STR,
    "key": STR,
    "step": pl.Int64,
    "value": pl.Float64,
    "ts": TS,
}

SUMMARIES_SCHEMA: dict[str, Any] = {
    "source": STR,
    "project": STR,
    "run_id": STR,
    "key": STR,
    "last_step": pl.Int64,
    "last_value": pl.Float64,
    "min_value": pl.Float64,
    "min_step": pl.Int64,
    "max_value": pl.Float64,
    "max_step": pl.Int64,
    "raw": STR,
    "synced_at": TS,
}

LOGS_SCHEMA: dict[str, Any] = {
    "source": STR,
    "project": STR,
    "run_id": STR,
    "seq": pl.Int64,
    "ts": TS,
    "level": STR,
    "stream": STR,
    "text": STR,
    "tag": STR,
}

MEDIA_SCHEMA: dict[str, Any] = {
    "source": STR,
    "project": STR,
    "run_id": STR,
    "key": STR,
    "step": pl.Int64,
    "idx": pl.Int32,
    "kind": STR,
    "caption": STR,
    "url": STR,
    "ref": STR,
    "path": STR,
    "sha256": STR,
    "bytes": pl.Int64,
    "content_type": STR,
    "synced_at": TS,
}


# -- JSON ---------------------------------------------------------------------------------


def _json_safe(value: Any) -> Any:
    """Non-finite floats become the strings "NaN"/"Infinity"/"-Infinity" (JSON has no spelling)."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def to_json(value: Any) -> str | None:
    """Compact JSON text for a JSON column; ``None`` stays SQL NULL."""
    if value is None:
        return None
    return json.dumps(_json_safe(value), ensure_ascii=False, separators=(",", ":"), sort_keys=False)


# -- config -------------------------------------------------------------------------------


def flatten_config(config: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """One ``(key, value)`` per leaf: nested keys joined with ``.``, list items as ``[i]``.

    Empty dicts/lists and nulls are leaves. When two paths spell the same key (a dotted top-level
    key next to the nested one), the later wins.
    """
    out: dict[str, Any] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict) and value:
            for k, v in value.items():
                walk(f"{prefix}.{k}", v)  # literally: "" is a segment too
        elif isinstance(value, list | tuple) and value:
            for i, v in enumerate(value):
                walk(f"{prefix}[{i}]", v)
        else:
            out[prefix] = value

    for k, v in config.items():
        walk(str(k), v)
    return list(out.items())


def _typed(value: Any) -> tuple[float | None, str | None, bool | None]:
    if isinstance(value, bool):
        return None, None, value
    if isinstance(value, int | float):
        try:
            return float(value), None, None
        except OverflowError:
            return None, None, None
    if isinstance(value, str):
        return None, value, None
    return None, None, None


def run_config_frame(source: str, runs: Iterable[RunRecord]) -> pl.DataFrame:
    """Config leaves of every run."""
    rows: dict[str, list[Any]] = {c: [] for c in RUN_CONFIG_SCHEMA}
    for run in runs:
        for key, value in flatten_config(run["config"] or {}):
            d, t, b = _typed(value)
            rows["source"].append(source)
            rows["project"].append(run["project"])
            rows["run_id"].append(run["run_id"])
            rows["key"].append(key)
            rows["value"].append(to_json(value) if value is not None else "null")
            rows["value_double"].append(d)
            rows["value_text"].append(t)
            rows["value_bool"].append(b)
    return pl.DataFrame(rows, schema=RUN_CONFIG_SCHEMA)


# -- entities -----------------------------------------------------------------------------


def projects_frame(
    source: str, projects: Iterable[ProjectRecord], synced_at: datetime
) -> pl.DataFrame:
    rows = [
        {
            "source": source,
            "project": p["project"],
            "project_id": p["project_id"],
            "workspace": p["workspace"],
            "name": p["name"],
            "description": p["description"],
            "visibility": p["visibility"],
            "labels": list(p["labels"]),
            "run_count": p["run_count"],
            "created_at": p["created_at"],
            "updated_at": p["updated_at"],
            "url": p["url"],
            "raw": to_json(p["raw"]),
            "synced_at": synced_at,
        }
        for p in projects
    ]
    return pl.DataFrame(rows, schema=PROJECTS_SCHEMA)


def runs_frame(source: str, runs: Iterable[RunRecord], synced_at: datetime) -> pl.DataFrame:
    rows = [
        {
            "source": source,
            "project": r["project"],
            "run_id": r["run_id"],
            "slug": r["slug"],
            "name": r["name"],
            "description": r["description"],
            "state": r["state"],
            "cluster": r["cluster"],
            "job": r["job"],
            "labels": list(r["labels"]),
            "username": r["username"],
            "created_at": r["created_at"],
            "finished_at": r["finished_at"],
            "url": r["url"],
            "config": to_json(r["config"]),
            "metadata": to_json(r["metadata"]),
            "requirements": r["requirements"],
            "conda": r["conda"],
            "pinned": r["pinned"],
            "root_project_id": r["root_project_id"] or None,
            "root_run_id": r["root_run_id"] or None,
            "deleted_at": None,
            "raw": to_json(r["raw"]),
            "synced_at": synced_at,
        }
        for r in runs
    ]
    return pl.DataFrame(rows, schema=RUNS_SCHEMA)


def summaries_frame(
    source: str, summaries: Iterable[SummaryRecord], synced_at: datetime
) -> pl.DataFrame:
    rows = [
        {
            "source": source,
            "project": s["project"],
            "run_id": s["run_id"],
            "key": s["key"],
            "last_step": s["last_step"],
            "last_value": s["last_value"],
            "min_value": s["min_value"],
            "min_step": s["min_step"],
            "max_value": s["max_value"],
            "max_step": s["max_step"],
            "raw": to_json(s["raw"]),
            "synced_at": synced_at,
        }
        for s in summaries
    ]
    return pl.DataFrame(rows, schema=SUMMARIES_SCHEMA)


def series_frame(
    source: str,
    keys: Iterable[MetricKeyRecord],
    series: Mapping[str, tuple[int, int | None, int, bool]],
    synced_at: datetime,
) -> pl.DataFrame:
    """Rows of ``_swansync.series``; ``series`` maps every key of ``keys`` to (series_id,
    last_step, points, complete) after this write."""
    rows = []
    for k in keys:
        series_id, last_step, points, complete = series[k["key"]]
        rows.append(
            {
                "source": source,
                "project": k["project"],
                "run_id": k["run_id"],
                "key": k["key"],
                "series_id": series_id,
                "kind": k["kind"],
                "class": k["klass"],
                "complete": complete,
                "last_step": last_step,
                "points": points,
                "synced_at": synced_at,
            }
        )
    return pl.DataFrame(rows, schema=SERIES_SCHEMA)


def logs_frame(source: str, lines: Sequence[LogRecord]) -> pl.DataFrame:
    return _console.logs_frame(source, lines, LOGS_SCHEMA)


def media_frame(source: str, items: Iterable[MediaRecord], synced_at: datetime) -> pl.DataFrame:
    return _console.media_frame(source, items, synced_at, MEDIA_SCHEMA)


# Points and console rows live in their own modules; re-exported here so callers see one
# transform API.
from swansync.transform import console as _console  # noqa: E402
from swansync.transform.points import (  # noqa: E402
    POINTS_SCHEMA,
    SeriesRows,
    points_frame,
    series_rows,
)

__all__ = [
    "METRICS_SCHEMA",
    "POINTS_SCHEMA",
    "SERIES_SCHEMA",
    "SeriesRows",
    "flatten_config",
    "logs_frame",
    "media_frame",
    "points_frame",
    "projects_frame",
    "run_config_frame",
    "runs_frame",
    "series_frame",
    "series_rows",
    "summaries_frame",
    "to_json",
]

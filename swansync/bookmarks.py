"""Sync state (bookmarks) read from and written to the warehouse, always inside the transaction
that writes the rows it describes.

Two kinds of bookmark, both in the internal schema ``_swansync``:

* per series ``(run, key)``: ``_swansync.series.last_step`` / ``points`` / ``complete`` — the
  highest step stored and how many rows; new points are those above ``last_step`` (the public
  ``metric_keys`` view shows the same columns); ``series_id`` names the generation whose points
  ``_swansync.points`` holds (a replaced series gets a new one, :class:`SeriesIds`);
* per run: ``_swansync.run_state.metrics_state`` — the run's state (as listed *before* its
  metrics were fetched) when its metrics were last mirrored completely, and ``detail_marker`` —
  what the run list said when the run's detail (profile) was last read.

A run whose ``metrics_state`` is terminal and whose summaries match the stored series needs no
metric request at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from swansync.warehouse import Warehouse

SERIES = "_swansync.series"
POINTS = "_swansync.points"
RUN_STATE = "_swansync.run_state"
SYNC_LOG = "_swansync.sync_log"


@dataclass(frozen=True)
class SeriesState:
    last_step: int | None
    points: int
    complete: bool
    kind: str
    series_id: int


@dataclass(frozen=True)
class RunState:
    metrics_state: str | None
    detail_marker: str | None
    cursor: str | None = None  # the source's resume token (see Source.resume)


def load_series(wh: Warehouse, source: str, project: str) -> dict[str, dict[str, SeriesState]]:
    """run_id -> key -> stored series bookmark."""
    out: dict[str, dict[str, SeriesState]] = {}
    for run_id, key, last_step, points, complete, kind, series_id in wh.rows(
        f"SELECT run_id, key, last_step, points, complete, kind, series_id FROM {SERIES} "
        "WHERE source = ? AND project = ?",
        [source, project],
    ):
        out.setdefault(run_id, {})[key] = SeriesState(
            None if last_step is None else int(last_step),
            int(points or 0),
            bool(complete),
            kind,
            int(series_id),
        )
    return out


class SeriesIds:
    """Hands out new series ids (thread-safe; the fetch workers draw from it): on a file above
    the highest stored one, on a lake from the catalog's sequence (many writers)."""

    def __init__(self, wh: Warehouse) -> None:
        self._ids = wh.ids(SERIES, "series_id")

    def take(self) -> int:
        return self._ids.take()


def load_runs(wh: Warehouse, source: str, project: str) -> dict[str, RunState]:
    return {
        run_id: RunState(metrics_state, marker, cursor)
        for run_id, metrics_state, marker, cursor in wh.rows(
            f"SELECT run_id, metrics_state, detail_marker, cursor FROM {RUN_STATE} "
            "WHERE source = ? AND project = ?",
            [source, project],
        )
    }


def load_cursors(wh: Warehouse, source: str) -> dict[str, dict[str, str]]:
    """project -> run_id -> the source's cursor, for every run of ``source`` that has one."""
    out: dict[str, dict[str, str]] = {}
    for project, run_id, cursor in wh.rows(
        f"SELECT project, run_id, cursor FROM {RUN_STATE} WHERE source = ? AND cursor IS NOT NULL",
        [source],
    ):
        out.setdefault(project, {})[run_id] = cursor
    return out


def stored_run_ids(wh: Warehouse, source: str, project: str) -> set[str]:
    """Runs in the warehouse that are not marked deleted."""
    return {
        r[0]
        for r in wh.rows(
            "SELECT run_id FROM runs WHERE source = ? AND project = ? AND deleted_at IS NULL",
            [source, project],
        )
    }


_KEY = ["source", "project", "run_id"]


def save_detail_markers(
    wh: Warehouse, source: str, project: str, markers: Iterable[tuple[str, str]]
) -> None:
    rows = list(markers)
    if not rows:
        return
    frame = pl.DataFrame(
        {
            "source": [source] * len(rows),
            "project": [project] * len(rows),
            "run_id": [r for r, _ in rows],
            "detail_marker": [m for _, m in rows],
        }
    )
    wh.upsert(RUN_STATE, frame, _KEY)


def save_metrics_states(
    wh: Warehouse,
    source: str,
    runs: Iterable[tuple[str, str, str | None, str | None]],
    at: datetime,
) -> None:
    """For each (project, run_id, state, cursor): its metrics are mirrored as of ``state``, and
    the source had read up to ``cursor``."""
    rows = list(runs)
    if not rows:
        return
    frame = pl.DataFrame(
        {
            "source": [source] * len(rows),
            "project": [r[0] for r in rows],
            "run_id": [r[1] for r in rows],
            "metrics_state": [r[2] for r in rows],
            "metrics_synced_at": [at] * len(rows),
            "cursor": [r[3] for r in rows],
        },
        schema={
            "source": pl.String,
            "project": pl.String,
            "run_id": pl.String,
            "metrics_state": pl.String,
            "metrics_synced_at": pl.Datetime("us", "UTC"),
            "cursor": pl.String,
        },
    )
    wh.upsert(RUN_STATE, frame, _KEY)


def save_cursors(wh: Warehouse, source: str, runs: Iterable[tuple[str, str, str]]) -> None:
    """For each (project, run_id, cursor) of a run with nothing new to write: the source's
    resume token moves on alone."""
    rows = list(runs)
    if not rows:
        return
    frame = pl.DataFrame(
        {
            "source": [source] * len(rows),
            "project": [r[0] for r in rows],
            "run_id": [r[1] for r in rows],
            "cursor": [r[2] for r in rows],
        },
        schema={
            "source": pl.String,
            "project": pl.String,
            "run_id": pl.String,
            "cursor": pl.String,
        },
    )
    wh.upsert(RUN_STATE, frame, _KEY)


def mark_deleted(
    wh: Warehouse, source: str, project: str, run_ids: Iterable[str], at: datetime
) -> int:
    ids = sorted(run_ids)
    if not ids:
        return 0
    wh.update(
        "runs",
        {"deleted_at": at, "synced_at": at},  # a deletion is a change of the row
        {"source": source, "project": project},
        column="run_id",
        values_in=ids,
        condition="deleted_at IS NULL",
    )
    return len(ids)


def forget_series(wh: Warehouse, series_ids: Sequence[int]) -> None:
    """Drop the points of replaced series generations (a ``--full`` re-read, a sampled series
    read again), in the transaction that writes their successors."""
    if series_ids:
        wh.delete_in(POINTS, {}, "series_id", list(series_ids))


def forget_runs_series(wh: Warehouse, source: str, project: str, run_ids: Sequence[str]) -> None:
    """Drop the series rows of runs read again whole (``--full``): keys they no longer list go."""
    wh.delete_in(SERIES, {"source": source, "project": project}, "run_id", run_ids)

"""Metric work of a pull: decide which runs and keys can have changed (from the bookmarks and
the summaries), fetch them concurrently, and write points with their bookmarks in batches.

A run costs metric requests only when it is new, changed state since its metrics were mirrored,
or its per-key last step (from the summaries) differs from what is stored. Each batch of runs
commits its points together with their series and run bookmarks, so a crash loses at most the
batch in flight and the next pull fetches it again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from swansync import bookmarks, transform
from swansync.concurrency import concurrently
from swansync.options import PullOptions
from swansync.project_sync import Listing
from swansync.report import Failure, ProgressFn, PullSummary, reason
from swansync.sources.base import (
    TERMINAL_STATES,
    CsvPoints,
    MetricKeyRecord,
    ProjectRecord,
    RunKey,
    RunRecord,
    Source,
    SummaryRecord,
)
from swansync.warehouse import Warehouse

log = logging.getLogger(__name__)


@dataclass
class RunWork:
    run: RunRecord
    keys: set[str] | None  # None = every scalar key (full or never mirrored)
    listed_state: str | None


@dataclass
class Fetched:
    """One run's fetched metrics, ready to append: built in the fetch worker, so the writer
    only runs its transaction."""

    run: RunRecord
    listed_state: str | None
    keys: list[MetricKeyRecord]
    frames: list[pl.DataFrame]  # narrow point rows (transform.POINTS_SCHEMA)
    series: pl.DataFrame  # the run's _swansync.series rows once this write lands
    replaced: list[int]  # series ids whose points this write drops (replaced generations)
    points: int  # rows in ``frames``
    changed: bool  # whether this write changes metrics or metric_keys


def plan(
    options: PullOptions,
    run: RunRecord,
    run_states: Mapping[str, bookmarks.RunState],
    series: Mapping[str, Mapping[str, bookmarks.SeriesState]],
    sums: Mapping[RunKey, list[SummaryRecord]],
) -> RunWork | None:
    """Which keys of ``run`` to fetch, or None when nothing can have changed."""
    rid = run["run_id"]
    run_key = (run["project"], rid)
    st = run_states.get(rid)
    stored = series.get(rid, {})
    listed_state = run["state"]
    if options.full or st is None or st.metrics_state is None:
        return RunWork(run, None, listed_state)
    if st.metrics_state != listed_state:
        # The run changed state since its metrics were mirrored (it finished, crashed or was
        # resumed): look at every key once more.
        return RunWork(run, None, listed_state)
    if run_key not in sums:
        # No summary to compare with: a run still going may have grown; a finished one not.
        return None if listed_state in TERMINAL_STATES else RunWork(run, None, listed_state)
    changed = {
        s["key"]
        for s in sums[run_key]
        if (options.system or s["klass"] != "SYSTEM")
        and (
            s["key"] not in stored
            or not stored[s["key"]].complete
            or (s["last_step"] is not None and stored[s["key"]].last_step != s["last_step"])
        )
    }
    return RunWork(run, changed, listed_state) if changed else None


# A series' bookmark once a write lands: (series_id, last_step, points, complete).
Mark = tuple[int, int | None, int, bool]


def fetch(
    source: Source,
    project: ProjectRecord,
    work: RunWork,
    series: Mapping[str, Mapping[str, bookmarks.SeriesState]],
    options: PullOptions,
    ids: bookmarks.SeriesIds,
    now: datetime,
) -> Fetched:
    """Fetch a run's new points and turn them into narrow rows and series bookmarks.

    A series keeps its id and grows when it is stored whole and comes back whole; otherwise
    (new, ``--full``, sampled now or before) it starts a new generation under a fresh id and the
    old generation's points are dropped by the same write."""
    run = work.run
    old = series.get(run["run_id"], {})
    keys = source.metric_keys(project, run)
    if not options.system:
        keys = [k for k in keys if k["klass"] != "SYSTEM"]
    scalar = [k["key"] for k in keys if k["kind"] == "SCALAR"]
    wanted = scalar if work.keys is None else [k for k in scalar if k in work.keys]
    after = (
        {}
        if options.full
        else {
            k: s.last_step
            for k, s in old.items()
            if s.complete and s.last_step is not None and k in wanted
        }
    )
    marks: dict[str, Mark] = {}
    replaced = [s.series_id for s in old.values()] if options.full else []
    frames: list[pl.DataFrame] = []
    for pts in source.scalar_points(project, run, wanted, after or None) if wanted else ():
        names = list(pts.keys) if isinstance(pts, CsvPoints) else [pts.key]
        for key in names:
            if key in marks:  # a key the source sent twice goes on in its generation
                continue
            st = old.get(key)
            if not options.full and st is not None and st.complete and pts.complete:
                marks[key] = (st.series_id, st.last_step, st.points, True)
            else:
                marks[key] = (ids.take(), None, 0, pts.complete)
                if st is not None and not options.full:
                    replaced.append(st.series_id)
        # A sampled series replaces the stored one whole: never cut it at the bookmark.
        rows = transform.series_rows(
            pts, {k: marks[k][0] for k in names}, after if pts.complete else None
        )
        for key in names:
            sid, last, n, complete = marks[key]
            if sid in rows.stats:
                top, count = rows.stats[sid]
                marks[key] = (sid, top if last is None else max(last, top), n + count, complete)
        if rows.frame.height:
            frames.append(rows.frame)
    for k in keys:  # listed keys without new points keep their bookmark (--full: start over)
        st = old.get(k["key"])
        if k["key"] not in marks:
            marks[k["key"]] = (
                (st.series_id, st.last_step, st.points, st.complete)
                if st is not None and not options.full
                else (ids.take(), None, 0, True)
            )
    changed = bool(frames or replaced) or any(
        (st := old.get(k["key"])) is None
        or st.kind != k["kind"]
        or marks[k["key"]] != (st.series_id, st.last_step, st.points, st.complete)
        for k in keys
    )
    return Fetched(
        run=run,
        listed_state=work.listed_state,
        keys=keys,
        frames=frames,
        series=transform.series_frame(source.name, keys, marks, now),
        replaced=replaced,
        points=sum(f.height for f in frames),
        changed=changed,
    )


# A batch of runs commits together: fewer, larger transactions keep the single writer fast, and
# each run's bookmarks still commit with its rows (a crash loses at most the batch in flight).
BATCH_RUNS = 16
BATCH_ROWS = 1_000_000
_SERIES_KEY = ["source", "project", "run_id", "key"]


def write_batch(
    wh: Warehouse, src: str, batch: Sequence[Fetched], full: bool, now: datetime
) -> int:
    """Write the points, series bookmarks and run bookmarks of ``batch`` (runs of one project)
    in one transaction; the frames were built by the workers, so this only appends."""
    if not batch:
        return 0
    frames = [f for got in batch for f in got.frames]
    with wh.transaction(target=(src, batch[0].run["project"])):
        if full:
            proj = batch[0].run["project"]
            bookmarks.forget_runs_series(wh, src, proj, [f.run["run_id"] for f in batch])
        bookmarks.forget_series(wh, [sid for got in batch for sid in got.replaced])
        # Concatenating without rechunking only lists the workers' buffers: nothing is copied.
        written = wh.append(bookmarks.POINTS, pl.concat(frames, rechunk=False)) if frames else 0
        wh.upsert(bookmarks.SERIES, pl.concat([got.series for got in batch]), _SERIES_KEY)
        bookmarks.save_metrics_states(
            wh,
            src,
            [
                (f.run["project"], f.run["run_id"], f.listed_state, f.run.get("cursor"))
                for f in batch
            ],
            now,
        )
    return written


def pull_metrics(
    wh: Warehouse,
    options: PullOptions,
    source: Source,
    listing: Listing,
    sums: Mapping[RunKey, list[SummaryRecord]],
    summary: PullSummary,
    progress: ProgressFn,
    stop: threading.Event,
    now: datetime,
) -> None:
    """Fetch the metrics of the listed runs that can have changed, concurrently, and write
    them batch by batch (points + bookmarks per transaction)."""
    project, runs = listing.project, listing.runs
    src, proj = source.name, project["project"]
    series = bookmarks.load_series(wh, src, proj)
    ids = bookmarks.SeriesIds(wh)
    planned = [(r, plan(options, r, listing.run_states, series, sums)) for r in runs]
    work = [w for _, w in planned if w is not None]
    # Runs with nothing new: their source cursor (if any) moves on with no rows to carry it.
    idle: list[tuple[str, str, str]] = []
    for r, w in planned:
        cursor, st = r.get("cursor"), listing.run_states.get(r["run_id"])
        if w is None and cursor and (st is None or st.cursor != cursor):
            idle.append((proj, r["run_id"], cursor))
    progress(
        "project",
        project=proj,
        runs=len(runs),
        runs_to_fetch=len(work),
        points_expected=sum(expected_points(w, series, sums, options) for w in work),
    )
    batch: list[Fetched] = []
    batch_rows = 0

    def flush() -> None:
        nonlocal batch, batch_rows
        if batch:
            progress("writing", project=proj, runs=len(batch), points=batch_rows)
        summary.rows["metrics"] += write_batch(wh, src, batch, options.full, now)
        summary.changed = summary.changed or any(got.changed for got in batch)
        for got in batch:
            summary.rows["metric_keys"] += len(got.keys)
            summary.runs_fetched += 1
        if batch:
            progress("committed", project=proj, runs=len(batch), points=batch_rows)
        batch, batch_rows = [], 0

    # While the writer commits a batch the fetches go on: the window holds a batch's worth of
    # runs beyond what the workers have in hand (memory stays bounded: narrow rows, ~1-2 MB
    # per run of the bench world).
    for item, got in concurrently(
        options.workers,
        work,
        lambda w: fetch(source, project, w, series, options, ids, now),
        stop,
        window=2 * options.workers + BATCH_RUNS,
    ):
        if isinstance(got, BaseException):
            log.warning("run %s of %s failed: %s", item.run["run_id"], proj, reason(got))
            summary.failures.append(Failure(proj, item.run["run_id"], reason(got)))
            progress("fetched", project=proj, run_id=item.run["run_id"], points=0, failed=True)
            continue
        points = got.points
        progress("bytes", total=source.counters.bytes)
        progress("fetched", project=proj, run_id=got.run["run_id"], points=points, failed=False)
        batch.append(got)
        batch_rows += points
        if len(batch) >= BATCH_RUNS or batch_rows >= BATCH_ROWS:
            flush()
    flush()
    if idle and not stop.is_set():
        with wh.transaction(target=(src, proj)):
            bookmarks.save_cursors(wh, src, idle)


def expected_points(
    work: RunWork,
    series: Mapping[str, Mapping[str, bookmarks.SeriesState]],
    sums: Mapping[RunKey, list[SummaryRecord]],
    options: PullOptions,
) -> int:
    """New points ``work`` should bring, from the summaries' last steps and the stored series
    bookmarks: exact for a series logged at every step from 0, an estimate otherwise (progress
    display only)."""
    stored = {} if options.full else series.get(work.run["run_id"], {})
    total = 0
    for s in sums.get((work.run["project"], work.run["run_id"]), []):
        key, last = s["key"], s["last_step"]
        if last is None or (work.keys is not None and key not in work.keys):
            continue
        if not options.system and s["klass"] == "SYSTEM":
            continue
        old = stored.get(key)
        if old is not None and old.complete and old.last_step is not None:
            total += max(0, last - old.last_step)
        else:
            total += last + 1
    return total

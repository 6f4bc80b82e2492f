"""Pull orchestration: plan what changed (from state in the warehouse), fetch it concurrently from
the sources, transform, and write data + state in one transaction per unit of work.

Units of work and their transactions:

1. per project: the project row, every listed run's metadata, config leaves of re-read runs,
   summaries, deleted-run marks, detail markers;
2. per run with metric work: its new points, its series bookmarks (``metric_keys``) and its
   ``metrics_state`` — so a crash anywhere re-reads at most the runs in flight and skips nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import polars as pl

from swansync import state, transform
from swansync.config import Settings, describe_targets
from swansync.errors import ApiError, DataError, SwansyncError
from swansync.sources.base import (
    TERMINAL_STATES,
    CsvPoints,
    MetricKeyRecord,
    ProjectRecord,
    Rejected,
    RunFilter,
    RunRecord,
    Source,
    SummaryRecord,
)
from swansync.warehouse import Warehouse

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")

TABLES = ("projects", "runs", "run_config", "metric_keys", "metrics", "summaries")

ProgressFn = Callable[..., None]
"""``progress(event, **data)``; events: ``targets`` (projects), ``project`` (project, runs,
runs_to_fetch), ``run`` (project, run_id, points), ``project_done`` (project), ``bytes`` (total)."""


@dataclass
class Failure:
    target: str
    run_id: str | None
    reason: str


@dataclass
class PullSummary:
    """What a pull did. ``status``: ok | partial (some runs failed) | failed | interrupted."""

    id: int
    status: str
    started_at: datetime
    finished_at: datetime | None = None
    targets: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    full: bool = False
    rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))
    requests: int = 0
    bytes: int = 0
    projects: int = 0
    runs: int = 0
    runs_fetched: int = 0
    failures: list[Failure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def duration_s(self) -> float:
        end = self.finished_at or datetime.now(UTC)
        return (end - self.started_at).total_seconds()

    @property
    def exit_code(self) -> int:
        return 0 if self.status == "ok" else 1

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["started_at"] = self.started_at.isoformat()
        d["finished_at"] = self.finished_at.isoformat() if self.finished_at else None
        d["duration_s"] = round(self.duration_s, 3)
        return d


def _noop(event: str, **data: Any) -> None:
    return None


# -- sources ------------------------------------------------------------------------------


def build_sources(settings: Settings) -> list[Source]:
    """The sources the settings name (SwanLab OpenAPI for projects/workspaces; local ones)."""
    sources: list[Source] = []
    if settings.projects or settings.workspaces:
        from swansync.sources.swanlab.credentials import resolve_credentials
        from swansync.sources.swanlab.source import SwanLabSource

        creds = resolve_credentials(
            settings.api_key.reveal() if settings.api_key else None,
            settings.host,
            env=settings.env,
            cwd=Path.cwd(),
            home=Path.home(),
            config_host=settings.config_host,
        )
        sources.append(
            SwanLabSource(
                creds.api_host,
                creds.api_key,
                web_host=creds.web_host,
                name=settings.source_name,
                include_system=settings.system,
                timeout=settings.timeout,
                retries=settings.retries,
                backoff=settings.backoff,
            )
        )
    if settings.logdirs:
        from swansync.sources.swanlog import LogDirSource

        for path in settings.logdirs:
            sources.append(LogDirSource(path, project_name=settings.project_name))
    if settings.dashboards:
        from swansync.sources.dashboard import DashboardSource

        for url in settings.dashboards:
            sources.append(DashboardSource(url, timeout=settings.timeout, retries=settings.retries))
    return sources


# -- the pull -----------------------------------------------------------------------------


def pull(
    settings: Settings,
    *,
    progress: ProgressFn | None = None,
    stop: threading.Event | None = None,
    sources: Sequence[Source] | None = None,
) -> PullSummary:
    """Mirror the targets of ``settings`` into the warehouse at ``settings.db``.

    Returns a :class:`PullSummary`; raises :class:`SwansyncError` for errors that stop the whole
    pull (bad config, refused key, unknown project) after recording them in ``sync_log``.
    """
    progress = progress or _noop
    stop = stop or threading.Event()
    filters: list[RunFilter] = []
    if settings.filters:
        from swansync.filters import parse_filter

        filters = [parse_filter(f) for f in settings.filters]
    with Warehouse(settings.db) as wh:
        wh.migrate()
        summary = _start_log(wh, settings)
        owned = sources is None
        active: list[Source] = []
        try:
            active = list(sources) if sources is not None else build_sources(settings)
            summary.sources = [s.name for s in active]
            if not active:
                raise SwansyncError(
                    "nothing to pull: give --project, --workspace, --logdir or --dashboard, "
                    "or list targets in swansync.toml"
                )
            for source in active:
                _pull_source(wh, settings, source, filters, summary, progress, stop)
                if stop.is_set():
                    break
            summary.status = (
                "interrupted" if stop.is_set() else ("partial" if summary.failures else "ok")
            )
        except SwansyncError as e:
            summary.status = "failed"
            summary.error = str(e)
            _finish_log(wh, summary, active)
            raise
        except BaseException as e:
            summary.status = "failed"
            summary.error = f"{type(e).__name__}: {e}"
            _finish_log(wh, summary, active)
            raise
        finally:
            if owned:
                for s in active:
                    s.close()
        _finish_log(wh, summary, active)
        if summary.status in ("ok", "partial"):
            try:
                _publish(wh, settings)
            except SwansyncError as e:
                wh.execute(
                    "UPDATE sync_log SET error = ? WHERE id = ?",
                    [f"data landed, but publishing views/serving copy failed: {e}", summary.id],
                )
                raise
    return summary


def _publish(wh: Warehouse, settings: Settings) -> None:
    if settings.apply_views:
        from swansync.warehouse.views import apply_views

        apply_views(wh.con)
    if settings.serving is not None:
        from swansync.warehouse.snapshot import publish_snapshot

        publish_snapshot(wh.con, settings.serving)


def _start_log(wh: Warehouse, settings: Settings) -> PullSummary:
    now = datetime.now(UTC)
    # Only one process can hold the warehouse for writing, so a row still "running" is stale:
    # its process died before it could say how it ended.
    wh.execute("UPDATE sync_log SET status = 'aborted' WHERE status = 'running'")
    row = wh.rows("SELECT coalesce(max(id), 0) + 1 FROM sync_log")
    summary = PullSummary(
        id=int(row[0][0]),
        status="running",
        started_at=now,
        targets=describe_targets(settings),
        full=settings.full,
    )
    wh.execute(
        "INSERT INTO sync_log (id, started_at, status, targets, full_pull) VALUES (?, ?, ?, ?, ?)",
        [summary.id, now, "running", summary.targets, settings.full],
    )
    return summary


def _finish_log(wh: Warehouse, summary: PullSummary, sources: Sequence[Source]) -> None:
    summary.finished_at = datetime.now(UTC)
    summary.requests = sum(s.counters.requests for s in sources)
    summary.bytes = sum(s.counters.bytes for s in sources)
    wh.execute(
        "UPDATE sync_log SET finished_at = ?, status = ?, sources = ?, requests = ?, bytes = ?, "
        "rows = ?, failures = ?, error = ? WHERE id = ?",
        [
            summary.finished_at,
            summary.status,
            summary.sources,
            summary.requests,
            summary.bytes,
            transform.to_json(summary.rows),
            transform.to_json([asdict(f) for f in summary.failures]),
            summary.error,
            summary.id,
        ],
    )


def _pull_source(
    wh: Warehouse,
    settings: Settings,
    source: Source,
    filters: Sequence[RunFilter],
    summary: PullSummary,
    progress: ProgressFn,
    stop: threading.Event,
) -> None:
    projects = source.resolve_targets(settings.projects, settings.workspaces)
    progress("targets", projects=len(projects), source=source.name)
    for project in projects:
        if stop.is_set():
            return
        try:
            _pull_project(wh, settings, source, project, filters, summary, progress, stop)
        except (ApiError, DataError) as e:
            log.warning("project %s failed: %s", project["project"], e)
            summary.failures.append(Failure(project["project"], None, str(e)))
        summary.projects += 1
        progress("project_done", project=project["project"])
    # Series a source could not read at all, for a reason retrying will not fix (e.g. the
    # offline dashboard's 500 on NaN values): reported, not failed.
    for run_id, key, reason in getattr(source, "unreadable", []):
        summary.warnings.append(f"{source.name} run {run_id} key {key!r}: {reason}")


@dataclass
class _RunWork:
    run: RunRecord
    keys: set[str] | None  # None = every scalar key (full or never mirrored)
    listed_state: str | None


@dataclass
class _Fetched:
    run: RunRecord
    listed_state: str | None
    keys: list[MetricKeyRecord]
    frames: list[pl.DataFrame]
    sampled: set[str]  # keys whose series came back sampled (complete=False)
    fetched_keys: set[str]


def _pull_project(
    wh: Warehouse,
    settings: Settings,
    source: Source,
    project: ProjectRecord,
    filters: Sequence[RunFilter],
    summary: PullSummary,
    progress: ProgressFn,
    stop: threading.Event,
) -> None:
    src, proj = source.name, project["project"]
    now = datetime.now(UTC)
    listed: list[RunRecord] = []
    rejected: list[Rejected] = []
    for listed_item in source.list_runs(project, filters):
        if isinstance(listed_item, Rejected):
            log.warning("run %s of %s skipped: %s", listed_item.run_id, proj, listed_item.reason)
            summary.failures.append(Failure(proj, listed_item.run_id, listed_item.reason))
            rejected.append(listed_item)
        else:
            listed.append(listed_item)
    run_states = state.load_runs(wh, src, proj)
    series = state.load_series(wh, src, proj)

    # 1. Re-read the detail of runs that are new or changed (or all, with --full).
    def needs_detail(run: RunRecord) -> bool:
        if run["has_profile"]:
            return False
        st = run_states.get(run["run_id"])
        return settings.full or st is None or st.detail_marker != run["change_marker"]

    to_detail = [r for r in listed if needs_detail(r)]
    detailed: dict[str, RunRecord] = {}
    for run, result in _concurrently(
        settings.workers, to_detail, lambda r: source.run_detail(project, r), stop
    ):
        if isinstance(result, BaseException):
            summary.failures.append(Failure(proj, run["run_id"], _reason(result)))
        else:
            detailed[run["run_id"]] = result
    runs = [detailed.get(r["run_id"], r) for r in listed]

    # 2. Summaries for every listed run, in as few requests as the source can.
    sums = _summaries(source, project, runs, summary)

    # 3. Metadata transaction.
    with_profile = [r for r in runs if r["has_profile"]]
    without_profile = [r for r in runs if not r["has_profile"]]
    with wh.transaction():
        summary.rows["projects"] += wh.upsert(
            "projects", transform.projects_frame(src, [project], now), ["source", "project"]
        )
        key = ["source", "project", "run_id"]
        summary.rows["runs"] += wh.upsert("runs", transform.runs_frame(src, with_profile, now), key)
        partial = transform.runs_frame(src, without_profile, now).drop(
            "config", "metadata", "requirements", "conda"
        )
        summary.rows["runs"] += wh.upsert("runs", partial, key)
        where = {"source": src, "project": proj}
        wh.delete_in("run_config", where, "run_id", [r["run_id"] for r in with_profile])
        summary.rows["run_config"] += wh.append(
            "run_config", transform.run_config_frame(src, with_profile)
        )
        sum_records = [s for r in runs for s in sums.get(r["run_id"], [])]
        wh.delete_in(
            "summaries", where, "run_id", [r["run_id"] for r in runs if r["run_id"] in sums]
        )
        summary.rows["summaries"] += wh.append(
            "summaries", transform.summaries_frame(src, sum_records, now)
        )
        # A run is deleted when an unfiltered, complete listing no longer has it. A rejected item
        # without a readable id could be any stored run: then nothing is marked this time.
        if not filters and all(r.run_id for r in rejected):
            seen = {r["run_id"] for r in runs} | {r.run_id for r in rejected if r.run_id}
            state.mark_deleted(wh, src, proj, state.stored_run_ids(wh, src, proj) - seen, now)
        state.save_detail_markers(
            wh, src, proj, [(r["run_id"], r["change_marker"]) for r in runs if r["has_profile"]]
        )
    summary.runs += len(runs)

    # 4. Metric work where something can have changed.
    work = [w for w in (_plan(settings, r, run_states, series, sums) for r in runs) if w]
    progress("project", project=proj, runs=len(runs), runs_to_fetch=len(work))
    batch: list[_Fetched] = []
    batch_rows = 0

    def flush() -> None:
        nonlocal batch, batch_rows
        summary.rows["metrics"] += _write_batch(wh, src, batch, series, settings, now)
        for got in batch:
            summary.rows["metric_keys"] += len(got.keys)
            summary.runs_fetched += 1
            points = sum(f.height for f in got.frames)
            progress("run", project=proj, run_id=got.run["run_id"], points=points)
        progress("bytes", total=source.counters.bytes)
        batch, batch_rows = [], 0

    for item, got in _concurrently(
        settings.workers, work, lambda w: _fetch(source, project, w, series, settings), stop
    ):
        if isinstance(got, BaseException):
            log.warning("run %s of %s failed: %s", item.run["run_id"], proj, _reason(got))
            summary.failures.append(Failure(proj, item.run["run_id"], _reason(got)))
            continue
        batch.append(got)
        batch_rows += sum(f.height for f in got.frames)
        if len(batch) >= BATCH_RUNS or batch_rows >= BATCH_ROWS:
            flush()
    flush()


def _summaries(
    source: Source, project: ProjectRecord, runs: Sequence[RunRecord], summary: PullSummary
) -> dict[str, list[SummaryRecord]]:
    """One batched request; if the batch fails (one bad run can fail it), run by run, so a single
    broken run costs only its own summary."""
    try:
        return dict(source.summaries(project, runs))
    except (ApiError, DataError) as e:
        if len(runs) <= 1:
            for r in runs:
                summary.failures.append(
                    Failure(project["project"], r["run_id"], f"summaries: {_reason(e)}")
                )
            return {}
        log.info("batched summaries failed (%s); asking run by run", _reason(e))
    out: dict[str, list[SummaryRecord]] = {}
    for run in runs:
        out.update(_summaries(source, project, [run], summary))
    return out


def _plan(
    settings: Settings,
    run: RunRecord,
    run_states: Mapping[str, state.RunState],
    series: Mapping[str, Mapping[str, state.SeriesState]],
    sums: Mapping[str, list[SummaryRecord]],
) -> _RunWork | None:
    """Which keys of ``run`` to fetch, or None when nothing can have changed."""
    rid = run["run_id"]
    st = run_states.get(rid)
    stored = series.get(rid, {})
    listed_state = run["state"]
    if settings.full or st is None or st.metrics_state is None:
        return _RunWork(run, None, listed_state)
    if st.metrics_state != listed_state:
        # The run changed state since its metrics were mirrored (it finished, crashed or was
        # resumed): look at every key once more.
        return _RunWork(run, None, listed_state)
    if rid not in sums:
        # No summary to compare with: a run still going may have grown; a finished one not.
        return None if listed_state in TERMINAL_STATES else _RunWork(run, None, listed_state)
    changed = {
        s["key"]
        for s in sums[rid]
        if s["key"] not in stored
        or not stored[s["key"]].complete
        or (s["last_step"] is not None and stored[s["key"]].last_step != s["last_step"])
    }
    if not settings.system:
        changed = {k for k in changed if not k.startswith("__swanlab__")}
    return _RunWork(run, changed, listed_state) if changed else None


def _fetch(
    source: Source,
    project: ProjectRecord,
    work: _RunWork,
    series: Mapping[str, Mapping[str, state.SeriesState]],
    settings: Settings,
) -> _Fetched:
    run = work.run
    stored = series.get(run["run_id"], {})
    keys = source.metric_keys(project, run)
    if not settings.system:
        keys = [k for k in keys if k["klass"] != "SYSTEM"]
    scalar = [k["key"] for k in keys if k["kind"] == "SCALAR"]
    wanted = scalar if work.keys is None else [k for k in scalar if k in work.keys]
    after = (
        {}
        if settings.full
        else {
            k: s.last_step
            for k, s in stored.items()
            if s.complete and s.last_step is not None and k in wanted
        }
    )
    frames: list[pl.DataFrame] = []
    sampled: set[str] = set()
    if wanted:
        for pts in source.scalar_points(project, run, wanted, after or None):
            # A sampled series replaces the stored one whole: never cut it at the bookmark.
            frame = transform.points_frame(source.name, pts, after if pts.complete else None)
            if not pts.complete:
                sampled.update(pts.keys if isinstance(pts, CsvPoints) else [pts.key])
            frames.append(frame)
    return _Fetched(run, work.listed_state, keys, frames, sampled, set(wanted))


# A batch of runs commits together: fewer, larger transactions keep the single writer fast, and
# each run's bookmarks still commit with its rows (a crash loses at most the batch in flight).
BATCH_RUNS = 16
BATCH_ROWS = 1_000_000


def _bookmarks(
    fetched: _Fetched,
    stored: Mapping[str, state.SeriesState],
    stats: Mapping[str, tuple[int, int]],
) -> dict[str, tuple[int | None, int, bool]]:
    """Per key of the run: (last_step, points, complete) once this write lands."""
    out: dict[str, tuple[int | None, int, bool]] = {}
    for k in fetched.keys:
        key = k["key"]
        old = stored.get(key)
        if key in fetched.sampled:
            last, count = stats.get(key, (None, 0))
            out[key] = (last, count, False)
            continue
        old_last = old.last_step if old and old.complete else None
        old_points = old.points if old and old.complete else 0
        if key in stats:
            last, count = stats[key]
            out[key] = (
                max(last, old_last) if old_last is not None else last,
                old_points + count,
                True,
            )
        else:
            out[key] = (old_last, old_points, old.complete if old else True)
    return out


def _write_batch(
    wh: Warehouse,
    src: str,
    batch: Sequence[_Fetched],
    series: Mapping[str, Mapping[str, state.SeriesState]],
    settings: Settings,
    now: datetime,
) -> int:
    """Write the points, series bookmarks and run bookmarks of ``batch`` in one transaction."""
    if not batch:
        return 0
    new_frames: list[pl.DataFrame] = []
    key_frames: list[pl.DataFrame] = []
    with wh.transaction():
        for fetched in batch:
            proj, rid = fetched.run["project"], fetched.run["run_id"]
            stored = {} if settings.full else series.get(rid, {})
            if settings.full:
                state.forget_run_metrics(wh, src, proj, rid)
            for key in fetched.sampled:
                if key in stored:
                    state.forget_series(wh, src, proj, rid, key)
            frames = [f for f in fetched.frames if f.height]
            stats: dict[str, tuple[int, int]] = {}
            for f in frames:
                stats.update(transform.series_stats(f))
            new_frames += frames
            key_frames.append(
                transform.metric_keys_frame(
                    src, fetched.keys, _bookmarks(fetched, stored, stats), now
                )
            )
        written = wh.append("metrics", pl.concat(new_frames)) if new_frames else 0
        wh.upsert("metric_keys", pl.concat(key_frames), ["source", "project", "run_id", "key"])
        state.save_metrics_states(
            wh, src, [(f.run["project"], f.run["run_id"], f.listed_state) for f in batch], now
        )
    return written


# -- helpers ------------------------------------------------------------------------------


def _reason(e: BaseException) -> str:
    if isinstance(e, SwansyncError):
        return str(e)
    return f"{type(e).__name__}: {e}"


def _concurrently(
    workers: int, items: Sequence[T], fn: Callable[[T], R], stop: threading.Event
) -> Iterator[tuple[T, R | Exception]]:
    """Run ``fn`` over ``items`` on ``workers`` threads, yielding (item, result-or-exception) as
    they finish, with at most ``2 * workers`` in flight (bounded memory). Stops submitting when
    ``stop`` is set; what is in flight still completes and is yielded."""
    if not items:
        return
    limit = max(1, 2 * workers)
    pending: dict[Future[R], T] = {}
    it = iter(items)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="swansync") as pool:
        exhausted = False
        while True:
            while not exhausted and not stop.is_set() and len(pending) < limit:
                try:
                    item = next(it)
                except StopIteration:
                    exhausted = True
                    break
                pending[pool.submit(fn, item)] = item
            if not pending:
                return
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                item = pending.pop(fut)
                try:
                    yield item, fut.result()
                except Exception as e:
                    yield item, e

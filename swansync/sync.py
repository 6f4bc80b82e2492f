"""Pull orchestration: build the sources, then per source list every project, fetch summaries
for all runs in one batched request, and per project commit metadata
(:mod:`swansync.project_sync`) and metric work (:mod:`swansync.metric_sync`). State is read from
the warehouse and written in the same transactions as the rows it describes, so a crash at any
point loses nothing: the next pull fetches again what was in flight.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from swansync import transform
from swansync.config import Settings, describe_targets
from swansync.errors import ApiError, DataError, SwansyncError
from swansync.metric_sync import pull_metrics
from swansync.project_sync import Listing, fetch_summaries, list_project, store_metadata
from swansync.report import TABLES, Failure, ProgressFn, PullSummary, noop, reason
from swansync.sources.base import RunFilter, Source
from swansync.warehouse import Warehouse

log = logging.getLogger(__name__)

__all__ = ["TABLES", "Failure", "PullSummary", "build_sources", "pull"]


# -- sources ------------------------------------------------------------------------------


def build_sources(settings: Settings) -> list[Source]:
    """The sources the settings name (SwanLab OpenAPI for projects/workspaces; local ones)."""
    sources: list[Source] = []
    if settings.projects or settings.workspaces:
        from swansync.sources.swanlab.cloud.credentials import resolve_credentials
        from swansync.sources.swanlab.cloud.source import SwanLabSource

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
        from swansync.sources.swanlab.logdir import LogDirSource

        for path in settings.logdirs:
            sources.append(LogDirSource(path, project_name=settings.project_name))
    if settings.dashboards:
        from swansync.sources.swanlab.dashboard import DashboardSource

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
    progress = progress or noop
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
        except BaseException as e:
            # A second Ctrl-C (the first only sets `stop`) lands here: what committed stays.
            summary.status = "interrupted" if isinstance(e, KeyboardInterrupt) else "failed"
            summary.error = reason(e)
            _finish_log(wh, summary, active)
            raise
        finally:
            if owned:
                for s in active:
                    s.close()
        _finish_log(wh, summary, active)
        if summary.status in ("ok", "partial"):
            try:
                _publish(wh, settings, progress)
            except SwansyncError as e:
                wh.execute(
                    "UPDATE sync_log SET error = ? WHERE id = ?",
                    [f"data landed, but publishing views/serving copy failed: {e}", summary.id],
                )
                raise
    progress("phase", name="done")
    return summary


def _publish(wh: Warehouse, settings: Settings, progress: ProgressFn) -> None:
    if settings.apply_views:
        from swansync.warehouse.views import apply_views

        progress("phase", name="views")
        apply_views(wh.con)
    if settings.serving is not None:
        from swansync.warehouse.snapshot import publish_snapshot

        progress("phase", name="publish")
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
    # 1. List every project (cheap), so summaries for all runs go in one batched request.
    progress("phase", name="listing")
    listings: list[Listing] = []
    for project in projects:
        if stop.is_set():
            return
        try:
            listings.append(list_project(wh, settings, source, project, filters, summary, stop))
            progress("listed", project=project["project"], runs=len(listings[-1].runs))
        except (ApiError, DataError) as e:
            log.warning("project %s failed: %s", project["project"], e)
            summary.failures.append(Failure(project["project"], None, str(e)))
            summary.projects += 1
            progress("project_done", project=project["project"])
    if stop.is_set():
        return
    progress("phase", name="summaries")
    sums = fetch_summaries(source, listings, summary)
    # 2. Per project: metadata in one transaction, then metric work in batches.
    progress("phase", name="metrics")
    for listing in listings:
        if stop.is_set():
            return
        proj = listing.project["project"]
        now = datetime.now(UTC)
        try:
            store_metadata(wh, source, listing, sums, summary, now)
            pull_metrics(wh, settings, source, listing, sums, summary, progress, stop, now)
        except (ApiError, DataError) as e:
            log.warning("project %s failed: %s", proj, e)
            summary.failures.append(Failure(proj, None, str(e)))
        summary.projects += 1
        progress("project_done", project=proj)
    # Series a source could not read at all, for a reason retrying will not fix (e.g. the
    # offline dashboard's 500 on NaN values): reported, not failed.
    for run_id, key, why in getattr(source, "unreadable", []):
        summary.warnings.append(f"{source.name} run {run_id} key {key!r}: {why}")

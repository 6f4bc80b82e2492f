"""Pull orchestration: build the sources, then per source resolve its targets, list every
project, fetch summaries for all runs in one batched request, and per project commit metadata
(:mod:`swansync.project_sync`), metric work (:mod:`swansync.metric_sync`), then consoles and
media (:mod:`swansync.console_sync`). State is read from
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

from swansync import bookmarks, transform
from swansync.bookmarks import SYNC_LOG
from swansync.config import Settings, describe_targets
from swansync.console_sync import pull_console
from swansync.errors import (
    ApiError,
    ConfigError,
    ConflictError,
    DataError,
    NotFoundError,
    SwansyncError,
)
from swansync.filters import parse_filter, select
from swansync.media_store import Budget, MediaStore
from swansync.metric_sync import pull_metrics
from swansync.options import PullOptions
from swansync.project_sync import Listing, fetch_summaries, list_project, store_metadata
from swansync.report import TABLES, Failure, ProgressFn, PullSummary, noop, reason
from swansync.sizes import format_size
from swansync.sources.base import ProjectRecord, Source
from swansync.warehouse import Warehouse, interrupted, open_warehouse
from swansync.warehouse.snapshot import check_destination, check_serving_path

log = logging.getLogger(__name__)

__all__ = ["TABLES", "Failure", "PullSummary", "build_sources", "pull"]


# -- sources ------------------------------------------------------------------------------


def build_sources(settings: Settings) -> list[Source]:
    """One source per configured source (each holding its own targets)."""
    options = settings.source_options()
    built: list[Source] = []
    try:
        for config in settings.sources:
            built.append(config.build(options))
    except BaseException:
        for source in built:
            source.close()
        raise
    return built


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
    lake = settings.lake is not None
    if lake and settings.media == "download":
        raise ConfigError(
            "--media download keeps files beside a warehouse file; on a lake use --media list"
        )
    # Usage errors first: nothing is opened or written for a pull that cannot start.
    options = PullOptions(
        full=settings.full,
        system=settings.system,
        workers=settings.workers,
        filters=tuple(parse_filter(f) for f in settings.filters),
        media=settings.media,
        media_max_bytes=settings.media_max_bytes or None,  # 0 = no bound
        media_max_total_bytes=settings.media_max_total_bytes or None,
        media_root=None if lake else Path(settings.db).resolve().parent,
    )
    if sources is None and not settings.sources:
        raise ConfigError(
            "nothing to pull: give --project, --workspace, --logdir or --dashboard, "
            "or list targets under [sources.swanlab] in swansync.toml"
        )
    fresh = settings.lake is None and not Path(settings.db).exists()
    # A serving path we must not replace: said now. What the warehouse's record of its
    # publications decides is checked on the pull's own connection (no second open).
    recorded = settings.serving is not None and not lake and not fresh
    if settings.serving is not None:
        if recorded:
            check_serving_path(settings.serving, settings.db)
        else:
            check_destination(settings.serving, None if lake else settings.db)
    # The sources are built before the warehouse is opened: a missing key, a host or URL that
    # does not parse, a folder that does not exist are refused with no file written.
    owned = sources is None
    active = list(sources) if sources is not None else build_sources(settings)
    summary: PullSummary | None = None
    try:
        with open_warehouse(
            settings.warehouse, data_path=settings.data_path, env=settings.env
        ) as wh:
            if recorded and settings.serving is not None:  # before anything is written
                check_destination(settings.serving, settings.db, con=wh.con)
            wh.migrate()
            summary = _start_log(wh, settings)
            try:
                summary.sources = [s.name for s in active]
                _pull_sources(wh, options, active, summary, progress, stop)
            except BaseException as e:
                # A second Ctrl-C (the first only sets `stop`) lands here: what committed stays.
                # (Inside a query DuckDB reports it as its own error: still an interruption.)
                summary.status = "interrupted" if interrupted(e) else "failed"
                summary.error = reason(e)
                _finish_log(wh, summary, active)
                raise
            _finish_log(wh, summary, active)
            if summary.status in ("ok", "partial"):
                try:
                    _publish(wh, settings, progress)
                except SwansyncError as e:
                    wh.update(
                        SYNC_LOG,
                        {"error": f"data landed, but publishing views/serving copy failed: {e}"},
                        {"id": summary.id},
                    )
                    raise
    except SwansyncError as e:
        # Refused (a key, not one target found) before anything landed: a warehouse this pull
        # created would hold nothing but the refusal, so it is not left behind.
        if fresh and e.exit_code == 2 and (summary is None or not any(summary.rows.values())):
            for path in (Path(settings.db), Path(f"{settings.db}.wal")):
                path.unlink(missing_ok=True)
        raise
    finally:
        if owned:
            for s in active:
                s.close()
    progress("phase", name="done")
    return summary


def _pull_sources(
    wh: Warehouse,
    options: PullOptions,
    active: Sequence[Source],
    summary: PullSummary,
    progress: ProgressFn,
    stop: threading.Event,
) -> None:
    # Every target is resolved first: when not one exists the pull stops here, with one error
    # and nothing else said (no warnings, no phases that would have nothing to do).
    missing: list[NotFoundError] = []
    resolved: list[tuple[Source, list[ProjectRecord]]] = []
    for source in active:
        source.resume({} if options.full else bookmarks.load_cursors(wh, source.name))
        resolved.append((source, _resolve(source, summary, missing)))
    if missing and len(missing) == sum(len(s.targets) for s in active):
        # Not one target exists: a typo, not a partial pull (exit 2, not 1).
        raise missing[0]
    for f in summary.failures:
        log.warning("target failed: %s", f)
    store = _media_store(options)
    with wh.memory_capped():  # flat memory however large the warehouse grows
        for source, projects in resolved:
            if projects:
                _pull_source(wh, options, source, projects, summary, progress, stop, store)
            if stop.is_set():
                break
    if summary.media_deferred:
        summary.warnings.append(
            f"{summary.media_deferred} media file(s) not downloaded: this pull reached "
            f"--media-max-total-bytes ({format_size(options.media_max_total_bytes)}); "
            "the next pull goes on with them"
        )
    summary.status = "interrupted" if stop.is_set() else ("partial" if summary.failures else "ok")


def _media_store(options: PullOptions) -> MediaStore | None:
    """The media folder beside the warehouse (``--media download`` only), cleared of what a
    crashed pull left half-written."""
    if options.media != "download" or options.media_root is None:
        return None
    store = MediaStore(
        options.media_root,
        max_file=options.media_max_bytes,
        budget=Budget(options.media_max_total_bytes),
    )
    store.clean_temp()
    return store


def _publish(wh: Warehouse, settings: Settings, progress: ProgressFn) -> None:
    """Re-apply the views and re-publish the serving copy, unless they already show the
    warehouse as it is (a pull that changed no data, with the same view files and schema)."""
    if settings.apply_views:
        if wh.views_current():
            log.info("views are current (no data changed since they were applied)")
        else:
            progress("phase", name="views")
            wh.apply_views()
    if settings.serving is not None:
        from swansync.warehouse.lake import LakeWarehouse
        from swansync.warehouse.snapshot import publish_snapshot, snapshot_current

        if isinstance(wh, LakeWarehouse):  # other workers write it too: always a fresh copy
            from swansync.warehouse.lake.serving import publish_lake_snapshot

            progress("phase", name="publish")
            publish_lake_snapshot(wh, settings.serving)
        elif snapshot_current(wh.con, settings.serving):
            log.info("serving copy %s is current; not published again", settings.serving)
        else:
            progress("phase", name="publish")
            publish_snapshot(wh.con, settings.serving)


def _start_log(wh: Warehouse, settings: Settings) -> PullSummary:
    now = datetime.now(UTC)
    if not wh.shared:
        # Only one process can hold a warehouse file for writing, so a row still "running" is
        # stale: its process died before it could say how it ended. (On a lake other workers'
        # pulls are running now.)
        wh.update(SYNC_LOG, {"status": "aborted"}, {"status": "running"})
    summary = PullSummary(
        id=wh.ids(SYNC_LOG, "id").take(),
        status="running",
        started_at=now,
        targets=describe_targets(settings.sources),
        full=settings.full,
    )
    wh.insert_row(
        SYNC_LOG,
        {
            "id": summary.id,
            "started_at": now,
            "status": "running",
            "targets": summary.targets,
            "full_pull": settings.full,
        },
    )
    return summary


def _finish_log(wh: Warehouse, summary: PullSummary, sources: Sequence[Source]) -> None:
    summary.finished_at = datetime.now(UTC)
    summary.requests = sum(s.counters.requests for s in sources)
    summary.bytes = sum(s.counters.bytes for s in sources)
    wh.update(
        SYNC_LOG,
        {
            "finished_at": summary.finished_at,
            "status": summary.status,
            "sources": summary.sources,
            "requests": summary.requests,
            "bytes": summary.bytes,
            "rows": transform.to_json(summary.rows),
            "failures": transform.to_json([asdict(f) for f in summary.failures]),
            "error": summary.error,
            "changed": summary.changed,
        },
        {"id": summary.id},
    )


def _resolve(
    source: Source, summary: PullSummary, missing: list[NotFoundError]
) -> list[ProjectRecord]:
    """Every project the source's targets name, once each; an unknown target is that target's
    failure (the others are pulled)."""
    found: dict[str, ProjectRecord] = {}
    for target in source.targets:
        try:
            projects = source.resolve(target)
        except NotFoundError as e:
            summary.failures.append(Failure(target, None, str(e)))
            missing.append(e)
            continue
        for project in projects:
            found.setdefault(project["project"], project)
    return list(found.values())


def _pull_source(
    wh: Warehouse,
    options: PullOptions,
    source: Source,
    projects: list[ProjectRecord],
    summary: PullSummary,
    progress: ProgressFn,
    stop: threading.Event,
    store: MediaStore | None,
) -> None:
    # On a lake another worker may be pulling some of these projects right now: each is pulled
    # by one worker at a time (the others wait up to lock_wait, then leave it to that worker).
    names = [p["project"] for p in projects]
    with wh.target_locks(source.name, names, stop) as held:
        for name in sorted(set(names) - set(held)):
            summary.failures.append(
                Failure(name, None, "being pulled by another worker; try again when it is done")
            )
        mine = [p for p in projects if p["project"] in set(held)]
        _pull_projects(wh, options, source, mine, summary, progress, stop, store)


def _pull_projects(
    wh: Warehouse,
    options: PullOptions,
    source: Source,
    projects: list[ProjectRecord],
    summary: PullSummary,
    progress: ProgressFn,
    stop: threading.Event,
    store: MediaStore | None,
) -> None:
    progress("targets", projects=len(projects), source=source.name)
    # 1. List every project (cheap), so summaries for all runs go in one batched request.
    progress("phase", name="listing")
    listings: list[Listing] = []
    for project in projects:
        if stop.is_set():
            return
        try:
            listings.append(list_project(wh, options, source, project, summary, stop))
            progress("listed", project=project["project"], runs=len(listings[-1].runs))
        except (ApiError, DataError) as e:
            log.warning("project %s failed: %s", project["project"], e)
            summary.failures.append(Failure(project["project"], None, str(e)))
            summary.projects += 1
            progress("project_done", project=project["project"])
    if stop.is_set():
        return
    progress("phase", name="summaries")
    sums = fetch_summaries(source, listings, summary, system=options.system)
    if any(f.field.startswith("metric.") for f in options.filters):
        for listing in listings:  # metric.* filters compare the summaries just fetched
            listing.runs = select(listing.runs, options.filters, sums)
    # 2. Per project: metadata in one transaction, then metric work in batches.
    progress("phase", name="metrics")
    for listing in listings:
        if stop.is_set():
            return
        proj = listing.project["project"]
        now = datetime.now(UTC)
        try:
            store_metadata(wh, source, listing, sums, summary, now)
            pull_metrics(wh, options, source, listing, sums, summary, progress, stop, now)
            pull_console(wh, options, source, listing, summary, progress, stop, now, store)
        except (ApiError, DataError, ConflictError) as e:
            log.warning("project %s failed: %s", proj, e)
            summary.failures.append(Failure(proj, None, str(e)))
        summary.projects += 1
        progress("project_done", project=proj)
    summary.warnings += source.warnings()

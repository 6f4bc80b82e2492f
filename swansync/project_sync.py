"""Metadata work of a pull: list each project's runs, re-read the details of new or changed runs,
fetch summaries for every run in as few requests as possible, and commit a project's metadata
(project, runs, config leaves, summaries, deletions, detail bookmarks) in one transaction.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import polars as pl

from swansync import bookmarks, transform
from swansync.concurrency import concurrently
from swansync.errors import ApiError, DataError
from swansync.filters import select
from swansync.options import PullOptions
from swansync.report import Failure, PullSummary, reason
from swansync.sources.base import (
    ProjectRecord,
    Rejected,
    RunKey,
    RunRecord,
    SkipsSystem,
    Source,
    SummaryRecord,
)
from swansync.warehouse import Warehouse

log = logging.getLogger(__name__)


@dataclass
class Listing:
    """One project's runs as listed (details re-read where needed) and the rejected items."""

    project: ProjectRecord
    runs: list[RunRecord] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    gone: set[str] = field(default_factory=set)  # stored runs missing from two listings
    # Bookmarks as they were before this pull (store_metadata changes only detail markers, so
    # the metric planning reads metrics_state from here instead of querying again).
    run_states: dict[str, bookmarks.RunState] = field(default_factory=dict)


def list_project(
    wh: Warehouse,
    options: PullOptions,
    source: Source,
    project: ProjectRecord,
    summary: PullSummary,
    stop: threading.Event,
) -> Listing:
    """List the runs and re-read the detail of those that are new or changed (all with --full),
    then keep the runs that pass the filters (``metric.*`` filters wait for the summaries)."""
    proj = project["project"]
    filters = options.filters
    by_config = any(f.field.startswith("config.") for f in filters)
    listing = Listing(project)
    listing.run_states = bookmarks.load_runs(wh, source.name, proj)
    listed: list[RunRecord] = []
    for item in source.list_runs(project, filters):
        if isinstance(item, Rejected):
            log.warning("run %s of %s skipped: %s", item.run_id, proj, item.reason)
            summary.failures.append(Failure(proj, item.run_id, item.reason))
            listing.rejected.append(item)
        else:
            listed.append(item)
    # A run deleted while the pages were read shifts the others up a page, so one listing can
    # miss a live run. Only runs missing from a second listing too are taken as deleted.
    if not filters and all(r.run_id for r in listing.rejected):
        seen = {r["run_id"] for r in listed} | {r.run_id for r in listing.rejected if r.run_id}
        candidates = bookmarks.stored_run_ids(wh, source.name, proj) - seen
        if candidates:
            again = {
                item.run_id if isinstance(item, Rejected) else item["run_id"]
                for item in source.list_runs(project, filters)
            }
            listing.gone = candidates - again

    def needs_detail(run: RunRecord) -> bool:
        if run["has_profile"]:
            return False
        if by_config and run["config"] is None:
            return True  # a config filter needs the config the list item lacks
        st = listing.run_states.get(run["run_id"])
        return options.full or st is None or st.detail_marker != run["change_marker"]

    to_detail = [r for r in listed if needs_detail(r)]
    detailed: dict[str, RunRecord] = {}
    for run, result in concurrently(
        options.workers, to_detail, lambda r: source.run_detail(project, r), stop
    ):
        if isinstance(result, BaseException):
            summary.failures.append(Failure(proj, run["run_id"], reason(result)))
        else:
            detailed[run["run_id"]] = result
    listing.runs = select([detailed.get(r["run_id"], r) for r in listed], filters)
    return listing


Pair = tuple[ProjectRecord, RunRecord]


def _grouped(pairs: Sequence[Pair]) -> list[tuple[ProjectRecord, list[RunRecord]]]:
    groups: dict[str, tuple[ProjectRecord, list[RunRecord]]] = {}
    for project, run in pairs:
        groups.setdefault(project["project"], (project, []))[1].append(run)
    return list(groups.values())


def fetch_summaries(
    source: Source, listings: Sequence[Listing], summary: PullSummary, *, system: bool = True
) -> dict[RunKey, list[SummaryRecord]]:
    """Summaries of every listed run, in one batched request where the source can (SYSTEM keys
    dropped unless ``system``). When a batch fails (one broken run can fail it) it is split in
    halves until the broken runs are isolated: a bad run costs its own summary and a few
    requests, not everyone's."""

    read = source.summaries
    if not system and isinstance(source, SkipsSystem):
        read = source.summaries_without_system  # sends no request for system metrics

    def ask(pairs: Sequence[Pair]) -> dict[RunKey, list[SummaryRecord]]:
        try:
            return dict(read(_grouped(pairs)))
        except (ApiError, DataError) as e:
            if len(pairs) == 1:
                project, run = pairs[0]
                summary.failures.append(
                    Failure(project["project"], run["run_id"], f"summaries: {reason(e)}")
                )
                return {}
            log.info("summaries of %d runs failed (%s); splitting", len(pairs), reason(e))
        half = len(pairs) // 2
        return ask(pairs[:half]) | ask(pairs[half:])

    pairs = [(listing.project, run) for listing in listings for run in listing.runs]
    got = ask(pairs) if pairs else {}
    if not system:
        got = {k: [s for s in v if s["klass"] != "SYSTEM"] for k, v in got.items()}
    return got


def _of_runs(frame: pl.DataFrame, run_ids: Sequence[str]) -> pl.DataFrame:
    return frame.filter(pl.col("run_id").is_in(list(run_ids)))


def store_metadata(
    wh: Warehouse,
    source: Source,
    listing: Listing,
    sums: Mapping[RunKey, list[SummaryRecord]],
    summary: PullSummary,
    now: datetime,
) -> None:
    """One transaction: the project row, every listed run, config leaves of re-read runs,
    summaries, deleted-run marks and detail bookmarks."""
    src, project = source.name, listing.project
    proj = project["project"]
    runs = listing.runs
    with_profile = [r for r in runs if r["has_profile"]]
    without_profile = [r for r in runs if not r["has_profile"]]
    key = ["source", "project", "run_id"]
    where = {"source": src, "project": proj}
    projects = transform.projects_frame(src, [project], now)
    full_runs = transform.runs_frame(src, with_profile, now)
    # Runs whose profile was not re-read keep their stored config/metadata.
    partial = transform.runs_frame(src, without_profile, now).drop(
        "config", "metadata", "requirements", "conda"
    )
    configs = transform.run_config_frame(src, with_profile)
    with_sums = [r["run_id"] for r in runs if (proj, r["run_id"]) in sums]
    records = [s for rid in with_sums for s in sums[(proj, rid)]]
    summaries = transform.summaries_frame(src, records, now)
    profiled = [r["run_id"] for r in with_profile]
    with wh.transaction(target=(src, proj)):
        # Only rows whose content changed (synced_at aside) are written; what is left decides
        # whether views and the serving copy are rebuilt after the pull. Asked in the same
        # transaction as the writes.
        full_runs = wh.changed_rows("runs", full_runs, key)
        partial = wh.changed_rows("runs", partial, key)
        config_runs = wh.changed_groups("run_config", configs, where, "run_id", profiled)
        sum_runs = wh.changed_groups("summaries", summaries, where, "run_id", with_sums)
        changed_project = wh.changed_rows("projects", projects, ["source", "project"])
        summary.changed = summary.changed or bool(
            listing.gone
            or changed_project.height
            or full_runs.height
            or partial.height
            or config_runs
            or sum_runs
        )
        # The project row is written by every pull of it: projects.synced_at says when the
        # project was last mirrored (one row, not one per run or summary).
        summary.rows["projects"] += wh.upsert("projects", projects, ["source", "project"])
        summary.rows["runs"] += wh.upsert("runs", full_runs, key)
        summary.rows["runs"] += wh.upsert("runs", partial, key)
        wh.delete_in("run_config", where, "run_id", config_runs)
        summary.rows["run_config"] += wh.append("run_config", _of_runs(configs, config_runs))
        wh.delete_in("summaries", where, "run_id", sum_runs)
        summary.rows["summaries"] += wh.append("summaries", _of_runs(summaries, sum_runs))
        # A run is deleted when two unfiltered, complete listings no longer have it (see
        # list_project; with a filter, or a rejected item without an id, nothing is marked).
        bookmarks.mark_deleted(wh, src, proj, listing.gone, now)
        bookmarks.save_detail_markers(
            wh, src, proj, [(r["run_id"], r["change_marker"]) for r in runs if r["has_profile"]]
        )
    summary.runs += len(runs)

"""Media items of a pull: per run, the steps above each MEDIA key's bookmark, listed
concurrently and written with their bookmarks (the MEDIA rows of ``_swansync.series``) in one
transaction per batch of runs.

The MEDIA keys are those the metric work stored in ``_swansync.series`` (it lists every key of a
run with new data or a new state), so listing media asks for no key list of its own. A run with
no MEDIA key costs no request.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from swansync import console_bookmarks, transform
from swansync.concurrency import concurrently
from swansync.options import PullOptions
from swansync.report import Failure, PullSummary, reason
from swansync.sources.base import MEDIA_KINDS, MediaRecord, ProjectRecord, RunRecord, Source
from swansync.warehouse import Warehouse

log = logging.getLogger(__name__)

BATCH_RUNS = 16
BATCH_ITEMS = 20_000


@dataclass(frozen=True)
class MediaWork:
    run: RunRecord
    keys: dict[str, int | None]  # MEDIA key -> stored last step


def fetch_items(
    source: Source, project: ProjectRecord, work: MediaWork, full: bool
) -> list[MediaRecord]:
    after = {} if full else {k: v for k, v in work.keys.items() if v is not None}
    out: list[MediaRecord] = []
    for item in source.media(project, work.run, sorted(work.keys), after):
        if item["kind"] not in MEDIA_KINDS:
            item = {**item, "kind": "other"}
        if item["key"] in work.keys and item["step"] > after.get(item["key"], -(1 << 62)):
            out.append(item)
    return out


def pull_media(
    wh: Warehouse,
    options: PullOptions,
    source: Source,
    project: ProjectRecord,
    runs: Sequence[RunRecord],
    summary: PullSummary,
    stop: threading.Event,
    now: datetime,
) -> set[str]:
    """List and write the new media items of ``runs``; the ids of the runs whose media is
    mirrored now (listed whole, or nothing to list). With ``--media none`` nothing is listed
    and only runs without MEDIA keys count as mirrored."""
    src, proj = source.name, project["project"]
    stored = console_bookmarks.media_keys(wh, src, proj)
    if options.media == "none":
        return {r["run_id"] for r in runs if not stored.get(r["run_id"])}
    works = [MediaWork(r, stored[r["run_id"]]) for r in runs if stored.get(r["run_id"])]
    done = {r["run_id"] for r in runs if not stored.get(r["run_id"])}
    batch: list[tuple[MediaWork, list[MediaRecord]]] = []

    def flush() -> None:
        nonlocal batch
        if not batch:
            return
        items = [i for _, got in batch for i in got]
        with wh.transaction(target=(src, proj)):
            written = console_bookmarks.write_media(wh, transform.media_frame(src, items, now))
            summary.rows["media"] += written
            summary.changed = summary.changed or written > 0  # `media` is a contract table
            console_bookmarks.refresh_media_bookmarks(
                wh, src, proj, sorted({w.run["run_id"] for w, _ in batch}), now
            )
        done.update(w.run["run_id"] for w, _ in batch)
        batch = []

    pending_items = 0
    for work, got in concurrently(
        options.workers, works, lambda w: fetch_items(source, project, w, options.full), stop
    ):
        rid = work.run["run_id"]
        if isinstance(got, BaseException):
            log.warning("media of run %s of %s failed: %s", rid, proj, reason(got))
            summary.failures.append(Failure(proj, rid, f"media: {reason(got)}"))
            continue
        batch.append((work, got))
        pending_items += len(got)
        if len(batch) >= BATCH_RUNS or pending_items >= BATCH_ITEMS:
            flush()
            pending_items = 0
    flush()
    return done

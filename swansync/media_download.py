"""Local copies of media files (``--media download``): every listed item of the project's listed
runs without a copy yet is fetched (concurrently), stored content-addressed
(:mod:`swansync.media_store`) and its row updated, a batch of items per transaction.

Resumable: a row gets its ``path`` only once its file is in place, so whatever a pull did not
finish (a crash, the pull's byte bound, a failed download) is fetched by the next one.
Deduplicated: an item whose digest the source knows and whose bytes are stored costs nothing;
the same bytes downloaded twice are stored once. Bad items cost only themselves, with one
warning each: gone upstream (404, remembered in ``_swansync.media_skips`` and not asked again
unless ``--full``), over ``--media-max-bytes`` (remembered with its size: asked again by a pull
whose bound allows it), or failing after retries (tried again next pull).
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from swansync import console_bookmarks
from swansync.concurrency import concurrently
from swansync.console_bookmarks import Downloaded, Pending
from swansync.errors import NotFoundError, SwansyncError
from swansync.media_store import (
    Interrupted,
    MediaStore,
    OverBudget,
    TooBig,
    kind_from_content_type,
)
from swansync.options import PullOptions
from swansync.project_sync import Listing
from swansync.report import PullSummary, reason
from swansync.sources.base import MediaRecord, Source
from swansync.warehouse import Warehouse

log = logging.getLogger(__name__)

BATCH = 64  # items per transaction
REOPENS = 3  # a download that breaks midway is opened again this many times


class Skip(Exception):
    def __init__(self, status: str, size: int | None = None, why: str = "") -> None:
        super().__init__(why or status)
        self.status = status  # gone | too_big | budget
        self.size = size


def _record(project: str, p: Pending) -> MediaRecord:
    return MediaRecord(
        project=project,
        run_id=p.run_id,
        key=p.key,
        step=p.step,
        idx=p.idx,
        kind=p.kind,
        caption=p.caption,
        url=p.url,
        content_type=p.content_type,
        sha256=p.sha256,
        bytes=p.bytes,
        ref=p.ref,
    )


def _where(p: Pending, project: str) -> str:
    return f"media {p.key!r} step {p.step} #{p.idx} of run {p.run_id!r} ({project})"


def download_media(
    wh: Warehouse,
    options: PullOptions,
    source: Source,
    listing: Listing,
    summary: PullSummary,
    stop: threading.Event,
    now: datetime,
    store: MediaStore,
) -> None:
    project = listing.project
    src, proj = source.name, project["project"]
    runs = {r["run_id"]: r for r in listing.runs}
    todo: list[Pending] = []
    too_big = _TooBig()
    for p in console_bookmarks.pending(wh, src, proj, sorted(runs)):
        if p.skip == "gone" and not options.full:
            continue
        size = p.bytes or p.skip_bytes
        if size is not None and store.max_file is not None and size > store.max_file:
            too_big.add(p, size)
            continue
        todo.append(p)

    def fetch(p: Pending) -> Downloaded:
        if p.sha256 and (have := store.find(p.sha256)):
            return Downloaded(p, have, p.sha256.lower(), p.bytes or 0, p.content_type, None)
        item = _record(proj, p)
        for attempt in range(REOPENS + 1):
            try:
                body = source.media_content(project, runs[p.run_id], item)
            except NotFoundError as e:
                log.info("%s", e)
                raise Skip("gone", why="gone upstream (not found)") from None
            try:
                stored = store.put(body, name=p.ref or p.url)
            except TooBig as e:
                raise Skip("too_big", e.size) from None
            except OverBudget:
                raise Skip("budget") from None
            except Interrupted as e:
                if attempt == REOPENS:
                    raise SwansyncError(f"{_where(p, proj)}: download broke: {e}") from None
                log.info("%s: download broke (%s); opening it again", _where(p, proj), e)
                continue
            ctype = body.content_type or p.content_type
            kind = kind_from_content_type(ctype) if p.kind == "other" else None
            return Downloaded(p, stored.path, stored.sha256, stored.bytes, ctype, kind)
        raise AssertionError("unreachable")

    done: list[Downloaded] = []
    skips: list[tuple[Pending, str, int | None]] = []

    def flush() -> None:
        nonlocal done, skips
        if done or skips:
            with wh.transaction(target=(src, proj)):
                console_bookmarks.save_downloads(wh, src, proj, done, skips, now)
            summary.media_files += len(done)
            summary.changed = summary.changed or bool(done)  # media rows gain path and sha256
        done, skips = [], []

    for p, got in concurrently(options.workers, todo, fetch, stop):
        if isinstance(got, Downloaded):
            done.append(got)
        elif isinstance(got, Skip) and got.status == "budget":
            summary.media_deferred += 1
        elif isinstance(got, Skip):
            skips.append((p, got.status, got.size))
            if got.status == "too_big":
                too_big.add(p, got.size)
            else:
                summary.warnings.append(f"{_where(p, proj)}: not downloaded: {got}")
        else:
            summary.warnings.append(f"{_where(p, proj)}: not downloaded: {reason(got)}")
        if len(done) + len(skips) >= BATCH:
            flush()
    flush()
    summary.warnings += too_big.warnings(proj)


class _TooBig:
    """Items over --media-max-bytes, one warning per (run, key): how many and the largest."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, str], list[int]] = {}  # -> [count, largest size]

    def add(self, p: Pending, size: int | None) -> None:
        entry = self.seen.setdefault((p.run_id, p.key), [0, 0])
        entry[0] += 1
        entry[1] = max(entry[1], size or 0)

    def warnings(self, project: str) -> list[str]:
        return [
            f"media {key!r} of run {run_id!r} ({project}): {n:,} item(s) not downloaded, over "
            "--media-max-bytes" + (f" (largest {big:,} bytes)" if big else "")
            for (run_id, key), (n, big) in self.seen.items()
        ]

"""Console lines of a pull: per run, only lines above its stored ``logs_seq``, streamed from the
source in batches and written with their bookmark, however long the console.

Workers read the runs' consoles concurrently (:func:`swansync.streaming.stream_concurrently`) and
hand over frames of at most :data:`BATCH_LINES` lines / :data:`BATCH_BYTES` of text; the writer
commits lines and the new ``logs_seq`` of their run together, every :data:`COMMIT_LINES` lines
or :data:`COMMIT_BYTES`, so a crash re-reads at most what was not committed, and memory holds a
few batches whatever the console's size. A run's ``logs_state`` is committed once its console
was read to the end (its media was read before: see :mod:`swansync.console_sync`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import polars as pl

from swansync import console_bookmarks, transform
from swansync.options import PullOptions
from swansync.report import Failure, ProgressFn, PullSummary, reason
from swansync.sources.base import LogRecord, ProjectRecord, RunRecord, Source
from swansync.sources.console import clean_text
from swansync.streaming import stream_concurrently
from swansync.warehouse import Warehouse

log = logging.getLogger(__name__)

BATCH_LINES = 10_000  # lines per frame a worker hands over
BATCH_BYTES = 4 << 20  # ... or this much text
COMMIT_LINES = 200_000  # lines per transaction
COMMIT_BYTES = 32 << 20  # ... or this much text


@dataclass(frozen=True)
class LogWork:
    run: RunRecord
    after: int | None  # stored logs_seq (None: nothing stored, or --full)
    full: bool  # replace the run's stored lines (--full)
    done_state: str | None  # the logs_state to record once read to the end (None: none)
    stored_state: str | None = None  # the logs_state the warehouse holds now


@dataclass(frozen=True)
class Batch:
    frame: pl.DataFrame
    last_seq: int
    text_bytes: int
    dropped: int  # lines whose seq did not go up (repeats upstream)


def read_batches(source: Source, project: ProjectRecord, work: LogWork) -> Iterator[Batch]:
    """The run's new lines as frames, seq strictly increasing (a repeated or backward seq is
    dropped and counted), every text within the contract's bounds."""
    last = work.after or 0
    lines: list[LogRecord] = []
    size = dropped = 0
    for rec in source.logs(project, work.run, work.after):
        if rec["seq"] <= last:
            dropped += 1
            continue
        last = rec["seq"]
        text, problems = clean_text(rec["text"])  # a source that forgot: repaired here
        if problems:
            log.warning("console line %d of run %s: %s", last, work.run["run_id"], problems[0])
            rec = {**rec, "text": text}
        lines.append(rec)
        size += len(text)
        if len(lines) >= BATCH_LINES or size >= BATCH_BYTES:
            yield Batch(transform.logs_frame(source.name, lines), last, size, dropped)
            lines, size, dropped = [], 0, 0
    if lines or dropped:
        yield Batch(transform.logs_frame(source.name, lines), last, size, dropped)


class _Writer:
    """Collects batches and commits them with their runs' bookmarks."""

    def __init__(self, wh: Warehouse, source: Source, project: str, summary: PullSummary):
        self.wh, self.src, self.project, self.summary = wh, source.name, project, summary
        self.frames: list[pl.DataFrame] = []
        self.lines = self.bytes = 0
        self.seqs: dict[str, int] = {}
        self.states: dict[str, str | None] = {}
        self.resets: set[str] = set()  # --full: drop these runs' stored lines first
        self.reset_done: set[str] = set()

    def add(self, work: LogWork, batch: Batch) -> None:
        rid = work.run["run_id"]
        if work.full and rid not in self.reset_done:
            self.resets.add(rid)
            self.reset_done.add(rid)
        if batch.frame.height:
            self.frames.append(batch.frame)
            self.seqs[rid] = batch.last_seq
            self.lines += batch.frame.height
            self.bytes += batch.text_bytes
        if self.lines >= COMMIT_LINES or self.bytes >= COMMIT_BYTES:
            self.flush()

    def finished(self, work: LogWork, state: str | None) -> None:
        if state == work.stored_state:
            return  # already recorded (a running run read again): no write for nothing
        self.states[work.run["run_id"]] = state
        if len(self.states) >= 256:
            self.flush()

    def flush(self) -> None:
        if not (self.frames or self.states or self.resets):
            return
        with self.wh.transaction(target=(self.src, self.project)):
            for rid in sorted(self.resets):
                self.wh.delete("logs", {"source": self.src, "project": self.project, "run_id": rid})
            if self.frames:
                self.summary.rows["logs"] += self.wh.append("logs", pl.concat(self.frames))
            # New lines, or a run's lines replaced (--full): `logs` is a contract table.
            self.summary.changed = self.summary.changed or bool(self.frames or self.resets)
            console_bookmarks.save_logs(self.wh, self.src, self.project, self.seqs, self.states)
        self.frames, self.lines, self.bytes = [], 0, 0
        self.seqs, self.states, self.resets = {}, {}, set()


def pull_logs(
    wh: Warehouse,
    options: PullOptions,
    source: Source,
    project: ProjectRecord,
    works: Sequence[LogWork],
    summary: PullSummary,
    progress: ProgressFn,
    stop: threading.Event,
) -> None:
    """Read and write the consoles of ``works``; a run read to the end gets its
    ``done_state`` as ``logs_state``."""
    proj = project["project"]
    writer = _Writer(wh, source, proj, summary)
    repeats: dict[str, int] = {}
    try:
        for event in stream_concurrently(
            options.workers,
            works,
            lambda w: read_batches(source, project, w),
            stop,
            depth=2 * options.workers,
        ):
            work, rid = event.item, event.item.run["run_id"]
            if event.kind == "batch" and event.batch is not None:
                writer.add(work, event.batch)
                if event.batch.dropped:
                    repeats[rid] = repeats.get(rid, 0) + event.batch.dropped
                progress("logs", project=proj, run_id=rid, lines=event.batch.frame.height)
            elif event.kind == "done":
                writer.finished(work, work.done_state)
            elif event.kind == "error" and event.error is not None:
                log.warning("console of run %s of %s failed: %s", rid, proj, reason(event.error))
                summary.failures.append(Failure(proj, rid, f"console: {reason(event.error)}"))
    finally:
        writer.flush()  # what arrived before a failure or an interrupt is committed
    for rid, n in sorted(repeats.items()):
        summary.warnings.append(
            f"console of run {rid!r} ({proj}): {n} line(s) repeat an earlier line number; "
            "the first of each was kept"
        )

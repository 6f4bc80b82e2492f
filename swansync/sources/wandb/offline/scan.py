"""One pull's look at a folder of W&B runs: which logs changed, what they folded into, and the
new points they hold until the sync writes them.

For each run folder (``folder.py``), the stored state whose cursor names that folder is the
starting point (``state.py``). A log whose size and mtime equal the state's costs a ``stat``
and no read; any other is read from the state's offset to its last complete record and folded
on. The points found are held in memory for ``scalar_points`` (at most :data:`BUFFER_POINTS`
per pull; the logs beyond that are read a second time when their points are written).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from swansync.errors import DataError, NotFoundError
from swansync.sources.base import TERMINAL_STATES, ProjectRecord, Rejected, RunKey, RunRecord
from swansync.sources.wandb.offline import contract
from swansync.sources.wandb.offline.extras import Start, read_output_log
from swansync.sources.wandb.offline.folder import (
    RunFolder,
    WandbFolderError,
    find_runs,
    read_metadata,
    run_state,
)
from swansync.sources.wandb.offline.held import Held, HoldBudget
from swansync.sources.wandb.offline.reader import LogRead, WandbFileError
from swansync.sources.wandb.offline.state import LogState, points_after

log = logging.getLogger(__name__)

BUFFER_POINTS = 4_000_000  # points held between the listing and the writing of one pull

Series = tuple[list[int], list[float], list[int | None]]  # steps, values, ts (Unix ms)
Count = Callable[[str, int], None]  # (route, bytes read)


class _Unreadable(Exception):
    """A log that cannot be read at all (the message names it)."""


@dataclass
class FoundRun:
    """One run as this pull found it."""

    folder: RunFolder
    project: str
    state: LogState  # after this pull's read
    start: int  # the offset this pull read from (= state.offset when nothing was read)
    start_stats: int  # system samples before ``start``
    start_last: dict[str, int]  # per key with points before ``start``: its last step there
    record: RunRecord
    begin: Start  # the console and media as they were before this pull's read
    held: Held  # console lines and media items found by this pull's read

    @property
    def buffer_key(self) -> tuple[str, str]:
        return (self.folder.run_id, self.state.folder)


def conda_path(folder: RunFolder) -> Path | None:
    path = folder.path / "files" / "conda-environment.yaml"
    return path if path.is_file() else None


def _stat_marker(path: Path | None) -> str:
    if path is None:
        return "-"
    try:
        st = path.stat()
    except OSError:
        return "-"
    return f"{st.st_mtime_ns}:{st.st_size}"


def _add(series: dict[str, Series], name: str, step: int, value: float, ts: int | None) -> None:
    s = series.get(name)
    if s is None:
        s = series[name] = ([], [], [])
    s[0].append(step)
    s[1].append(value)
    s[2].append(ts)


class FolderScan:
    """The runs of ``root`` as one pull sees them, starting from ``cursors`` (run id -> the
    stored cursors of runs with that id). ``count`` is told every file read (route, bytes);
    ``warnings`` collects what could not be read."""

    def __init__(self, root: Path, cursors: Mapping[str, list[str]], count: Count) -> None:
        self.root = root
        self._cursors = cursors
        self._count = count
        self._lock = threading.Lock()
        self.runs: dict[RunKey, FoundRun] = {}
        self.projects: dict[str, ProjectRecord] = {}
        self.warnings: list[str] = []
        self.rejected: list[Rejected] = []  # mirrored runs that could not be read this time
        self._buffers: dict[tuple[str, str], dict[str, Series]] = {}
        self._buffered = 0
        self.hold = HoldBudget()

    def warn(self, message: str) -> None:
        # Reported once, through Source.warnings (the CLI prints them); logged as it happens
        # at INFO only, so the user does not read each twice.
        log.info("%s", message)
        with self._lock:
            self.warnings.append(message)

    def scan(self) -> FolderScan:
        if not self.root.exists():
            raise NotFoundError(f"{self.root}: no such folder (--wandb-dir)")
        try:
            found = find_runs(self.root)
        except WandbFolderError as exc:
            raise NotFoundError(str(exc)) from None
        for warning in found.warnings:
            self.warn(warning)
        for folder in found.runs:  # oldest first: a run id seen twice keeps its newest folder
            run = self._look(folder)
            if run is None:
                continue
            key = (run.project, run.record["run_id"])
            older = self.runs.get(key)
            if older is not None:
                self.take(older)
                older.held.release()
                self.warn(
                    f"{older.folder.path}: run {key[1]} of {key[0]} is also in the newer "
                    f"{folder.path}; mirrored from the newer folder only"
                )
            self.runs[key] = run
        groups: dict[str, list[LogState]] = {r.project: [] for r in self.rejected}
        for run in self.runs.values():
            groups.setdefault(run.project, []).append(run.state)
        self.projects = {
            path: contract.project_record(path, states, str(self.root))
            for path, states in sorted(groups.items())
        }
        return self

    def _prior(self, folder: RunFolder, rel: str) -> LogState | None:
        """The stored state of this run folder, if a cursor names it."""
        for text in self._cursors.get(folder.run_id, ()):
            state = LogState.from_cursor(text)
            if state is not None and state.folder == rel:
                return state
        return None

    def _look(self, folder: RunFolder) -> FoundRun | None:
        rel = folder.path.relative_to(self.root).as_posix() if folder.path != self.root else "."
        prior = self._prior(folder, rel)
        previous = None if prior is None else (prior.size, prior.mtime_ns)
        was = None if prior is None else prior.state
        begin = Start.of(prior)
        held = Held(self.hold)
        try:
            st = folder.log.stat()
            if prior is not None and previous == (st.st_size, st.st_mtime_ns):
                state, start, start_stats = prior, prior.offset, prior.stats
                start_last = prior.last_steps()
                with self._lock:
                    self._buffers[(folder.run_id, rel)] = {}  # nothing new to hand over
            else:
                base = prior or LogState(rel)
                base.held = held
                try:
                    state, start, start_stats, start_last = self._read(
                        folder, base, rel, st.st_size
                    )
                finally:
                    base.held = None
                state.held = None
                if state is not base:  # the log was replaced: read again from the start
                    begin = Start.of(None)
        except _Unreadable as exc:
            self._skip(prior, folder, str(exc))
            return None
        except OSError as exc:
            self._skip(prior, folder, f"{folder.log}: cannot read: {exc.strerror or exc}")
            return None
        state.state = run_state(
            has_exit=state.exit is not None,
            exit_code=None if state.exit is None else state.exit[0],
            size=state.size,
            mtime_ns=state.mtime_ns,
            previous=previous,
        )
        if state.run is None:
            held.release()
            why = "no run record (an empty log, or a run that has only just started)"
            self._skip(prior, folder, f"{folder.log}: {why}")
            return None
        self._console(folder, state, held)
        pending = state.size - state.offset
        cut = state.end == "incomplete" and pending > 0  # damage was reported when it was read
        if state.state == "CRASHED" and state.exit is None and was != "CRASHED" and cut:
            self.warn(
                f"{folder.log}: no exit record and unchanged since the last pull, so the run "
                f"is taken as CRASHED; its last {pending} bytes are a record cut short (its "
                "writer stopped mid-write) and are not mirrored"
            )
        project, _, _ = contract.project_path(state.run)
        side = "|".join(
            _stat_marker(p) for p in (folder.requirements, folder.metadata, conda_path(folder))
        )
        record = contract.run_record(project, state, folder, side)
        return FoundRun(folder, project, state, start, start_stats, start_last, record, begin, held)

    def _console(self, folder: RunFolder, state: LogState, held: Held) -> None:
        """The console's new lines: a run that ended has its pending lines taken as final;
        without output records in the log, ``files/output.log`` is read on from its offset."""
        final = state.state in TERMINAL_STATES
        if final and state.console_mode == "log":
            held.add_lines(state.console.flush())
        if state.console_mode == "log" or folder.output_log is None:
            return
        try:
            size = folder.output_log.stat().st_size
            if size < state.file_off:
                self.warn(
                    f"{folder.output_log}: {size} bytes, fewer than the {state.file_off} read "
                    "before: it was replaced; its new lines are not mirrored (pull with --full)"
                )
                return
            if size == state.file_off:
                return
            with folder.output_log.open("rb") as f:
                last, end, nbytes = read_output_log(
                    f, state.file_off, state.console.lines, final, held.add_lines
                )
        except OSError as exc:
            held.lines_overflow = True  # what it held may be a part: read again if asked
            self.warn(f"{folder.output_log}: cannot read: {exc.strerror or exc}; left out")
            return
        self._count("output.log", nbytes)
        if last > state.console.lines:
            state.console_mode = "file"
            state.console.lines = last
            state.file_off = end

    def _skip(self, prior: LogState | None, folder: RunFolder, why: str) -> None:
        """A run that cannot be read this time. One mirrored before (its cursor names its
        project) is rejected, so the sync reports it and does not take it as deleted; any
        other costs a warning."""
        if prior is not None and prior.run is not None:
            project, _, _ = contract.project_path(prior.run)
            run_id = str(prior.run.get("run_id") or folder.run_id)
            self.rejected.append(Rejected(project, run_id, why))
        else:
            self.warn(f"{why}; skipped")

    def _read(
        self, folder: RunFolder, state: LogState, rel: str, size: int
    ) -> tuple[LogState, int, int, dict[str, int]]:
        """Read ``folder``'s log (``size`` bytes now) from ``state.offset`` on, folding into
        ``state``; raises :class:`_Unreadable` or ``OSError`` when it cannot be read."""
        if size < state.offset:
            self.warn(
                f"{folder.log}: the log has {size} bytes, fewer than the {state.offset} read "
                "before: it was replaced, and is read again from the start; the stored rows "
                f"of run {folder.run_id} may hold points of the earlier log: pull with --full "
                "to replace them"
            )
            state = LogState(rel, held=state.held)
        read = LogRead(folder.log, state.offset)
        try:
            return self._fold(folder, state, read)
        except WandbFileError as exc:
            self._count("log", read.bytes_read)  # the checks that found it unreadable
            raise _Unreadable(str(exc)) from None

    def _fold(
        self, folder: RunFolder, state: LogState, read: LogRead
    ) -> tuple[LogState, int, int, dict[str, int]]:
        start, start_stats, start_last = state.offset, state.stats, state.last_steps()
        series: dict[str, Series] = {}
        held = 0
        with self._lock:
            room = max(BUFFER_POINTS - self._buffered, 0)
        for name, step, value, ts in state.apply(read):
            if held < room:
                _add(series, name, step, value, ts)
            held += 1
        result = read.result()
        self._count("log", result.bytes_read)
        if held <= room:  # else the points are read again when they are written
            with self._lock:
                self._buffers[(folder.run_id, state.folder)] = series
                self._buffered += held
        for warning in result.warnings:
            self.warn(warning)
        state.offset, state.end = result.end_offset, result.end
        state.size, state.mtime_ns = result.file_size, result.file_mtime_ns
        if state.username is None and folder.metadata is not None:
            metadata, _ = read_metadata(folder)
            self._count("metadata", _size(folder.metadata))
            user = (metadata or {}).get("username")
            state.username = user if isinstance(user, str) and user else None
        return state, start, start_stats, start_last

    # -- points ------------------------------------------------------------------------------

    def take(self, run: FoundRun) -> dict[str, Series] | None:
        """The points held for ``run`` (None if they were not held), released."""
        with self._lock:
            held = self._buffers.pop(run.buffer_key, None)
            if held is not None:
                self._buffered -= sum(len(s[0]) for s in held.values())
        return held

    def reread(
        self, run: FoundRun, start: int, stats_base: int, keys: list[str]
    ) -> dict[str, Series]:
        """The points of ``keys`` between ``start`` (after ``stats_base`` system samples) and
        this pull's end offset, read again."""
        read = LogRead(run.folder.log, start, run.state.offset)
        wanted = dict.fromkeys(keys)
        out: dict[str, Series] = {}
        try:
            for name, step, value, ts in points_after(read, stats_base, wanted):
                _add(out, name, step, value, ts)
        except OSError as exc:
            raise DataError(f"{run.folder.log}: cannot read: {exc.strerror or exc}") from None
        self._count("log", read.result().bytes_read)
        return out


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0

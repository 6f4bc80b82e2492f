"""``WandbOfflineSource``: a folder of W&B offline runs read from disk, incrementally, never
modified (the user's view: ``docs/wandb-offline.md``).

One pull:

1. ``resume`` receives every stored cursor (``state.py``); ``resolve`` looks at the folder
   (``scan.py``): a log whose size and mtime equal its cursor's costs a ``stat`` and no read;
   any other is read from the cursor's offset (0 without one) to its last complete record,
   folding config, summary and per-key statistics on from the cursor's state. The projects
   are the ``entity/project`` pairs the run records name.
2. ``list_runs``/``summaries``/``metric_keys`` answer from that state; each run record carries
   its new cursor, which the sync commits with the run's rows.
3. ``scalar_points`` hands over the points the read found after the cursor. A key whose stored
   series ends before the cursor's offset (``--full``, or a system key pulled for the first
   time) is read again from the start of the log.
4. ``logs``/``media`` hand over the console lines and media items the same read found (the
   console fold and each media key's last step ride in the cursor); a bookmark that lies
   before them has the log (or ``files/output.log``) read again (``extras.py``).

Bad input costs only itself, with one warning: a damaged chunk (read up to it), a log cut in
the middle of a record once the run is taken as CRASHED, an empty log or one without a run
record, a run folder without a log, an unreadable file. A folder with no W&B runs at all is a
``NotFoundError`` for its target.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path, PurePosixPath

from swansync.errors import DataError, NotFoundError
from swansync.sources.base import (
    Counters,
    LogRecord,
    MediaBody,
    MediaRecord,
    MetricKeyRecord,
    Points,
    ProjectRecord,
    Rejected,
    RunFilter,
    RunKey,
    RunRecord,
    SeriesPoints,
    SummaryRecord,
)
from swansync.sources.wandb.console import Line, Repairs, when
from swansync.sources.wandb.media import Item, content_type
from swansync.sources.wandb.offline import contract
from swansync.sources.wandb.offline.extras import console_lines, media_items
from swansync.sources.wandb.offline.folder import read_metadata
from swansync.sources.wandb.offline.scan import FolderScan, FoundRun, conda_path

_TEXT_LIMIT = 4 * 1024 * 1024  # requirements.txt / conda-environment.yaml kept up to this
_CHUNK = 1 << 20


class WandbOfflineSource:
    """A folder of W&B run folders as a :class:`~swansync.sources.base.Source`.

    The warehouse ``source`` is ``wandb-dir:<absolute path>``; projects are ``entity/project``
    (``local/<project>`` without an entity); ``run_id`` and ``slug`` are the W&B run id.
    ``log_bytes`` counts the bytes read from ``.wandb`` logs (every pull of this object)."""

    def __init__(self, path: Path | str, *, name: str | None = None) -> None:
        self.path = Path(path).expanduser().resolve()
        self.name = name or f"wandb-dir:{self.path}"
        self.counters = Counters()
        self.log_bytes = 0
        self._lock = threading.Lock()
        self._cursors: dict[str, list[str]] = {}  # run id -> stored cursors (any project)
        self._scan: FolderScan | None = None
        self._repairs = Repairs()

    def _count(self, route: str, nbytes: int) -> None:
        self.counters.record(route, nbytes)
        if route == "log":
            with self._lock:
                self.log_bytes += nbytes

    # -- targets ------------------------------------------------------------------------------

    @property
    def targets(self) -> tuple[str, ...]:
        return (f"wandb-dir:{self.path}",)

    def resume(self, cursors: Mapping[str, Mapping[str, str]]) -> None:
        """The stored cursors, before :meth:`resolve` (the logs name their own projects)."""
        by_id: dict[str, list[str]] = {}
        for runs in cursors.values():
            for run_id, cursor in runs.items():
                by_id.setdefault(run_id, []).append(cursor)
        self._cursors = by_id
        self._scan = None

    def resolve(self, target: str) -> list[ProjectRecord]:
        """The ``entity/project`` pairs of the folder's runs (reading what changed)."""
        return list(self._looked().projects.values())

    def _looked(self) -> FolderScan:
        if self._scan is None:
            self._scan = FolderScan(self.path, self._cursors, self._count).scan()
        return self._scan

    def _run(self, project: ProjectRecord, run: RunRecord) -> FoundRun:
        found = self._looked().runs.get((project["project"], run["run_id"]))
        if found is None:
            raise DataError(f"run {run['run_id']!r} of {project['project']} is not in {self.path}")
        return found

    # -- runs ---------------------------------------------------------------------------------

    def list_runs(
        self, project: ProjectRecord, filters: Sequence[RunFilter] = ()
    ) -> Iterator[RunRecord | Rejected]:
        """Every run of the project (filters are left to the sync); a run mirrored before whose
        log cannot be read now comes as :class:`Rejected` (reported, not taken as deleted)."""
        scan = self._looked()
        for (path, _), run in scan.runs.items():
            if path == project["project"]:
                yield {**run.record}
        yield from (r for r in scan.rejected if r.project == project["project"])

    def run_detail(self, project: ProjectRecord, run: RunRecord) -> RunRecord:
        found = self._run(project, run)
        metadata_file, warning = read_metadata(found.folder)
        if warning:
            self._looked().warn(warning)
        config, metadata = contract.profile(found.state, metadata_file)
        out: RunRecord = {**run}
        out["config"] = config
        out["metadata"] = metadata
        out["requirements"] = self._text(found.folder.requirements)
        out["conda"] = self._text(conda_path(found.folder))
        out["has_profile"] = True
        return out

    def _text(self, path: Path | None) -> str | None:
        if path is None:
            return None
        try:
            with path.open("rb") as fp:
                data = fp.read(_TEXT_LIMIT)
        except OSError as exc:
            self._looked().warn(f"{path}: cannot read: {exc.strerror or exc}; left out")
            return None
        self._count("run files", len(data))
        return data.decode("utf-8", errors="replace")

    def summaries(
        self, groups: Sequence[tuple[ProjectRecord, Sequence[RunRecord]]]
    ) -> Mapping[RunKey, list[SummaryRecord]]:
        runs = self._looked().runs
        out: dict[RunKey, list[SummaryRecord]] = {}
        for project, listed in groups:
            for run in listed:
                key = (project["project"], run["run_id"])
                if key in runs:
                    out[key] = contract.summaries(key[0], key[1], runs[key].state)
        return out

    # -- metrics ------------------------------------------------------------------------------

    def metric_keys(self, project: ProjectRecord, run: RunRecord) -> list[MetricKeyRecord]:
        found = self._run(project, run)
        return contract.metric_keys(project["project"], run["run_id"], found.state)

    def scalar_points(
        self,
        project: ProjectRecord,
        run: RunRecord,
        keys: Sequence[str],
        after_step: Mapping[str, int] | None = None,
    ) -> Iterator[Points]:
        scan = self._looked()
        found = self._run(project, run)
        stats = found.state.keys
        wanted = [k for k in keys if k in stats and stats[k].scalar]
        after = after_step or {}
        # A key with points before this pull's start that the warehouse may lack (its stored
        # series ends earlier, or is not there): those points are only in the log.
        behind = any(
            k in found.start_last and (k not in after or after[k] < found.start_last[k])
            for k in wanted
        )
        held = scan.take(found)
        if behind:
            series = scan.reread(found, 0, 0, wanted)
        elif held is None:
            series = scan.reread(found, found.start, found.start_stats, wanted)
        else:
            series = held
        for key in wanted:
            steps, values, ts = series.get(key, ([], [], []))
            yield SeriesPoints(project["project"], run["run_id"], key, steps, values, ts)

    def logs(
        self, project: ProjectRecord, run: RunRecord, after_seq: int | None
    ) -> Iterator[LogRecord]:
        """Console lines above ``after_seq``: those this pull's read found (nothing read
        again), or read again from disk when the bookmark lies before them (``extras.py``)."""
        found = self._run(project, run)
        after = after_seq or 0
        if after >= found.begin.lines and not found.held.lines_overflow:
            lines: Iterator[Line] = (ln for ln in found.held.take_lines() if ln.seq > after)
        else:
            lines = console_lines(found, after, self._count)
        return self._log_records(project["project"], run["run_id"], lines)

    def _log_records(self, project: str, run_id: str, lines: Iterator[Line]) -> Iterator[LogRecord]:
        warn = self._repairs.warner(project, run_id)
        for line in lines:
            warn(line)
            yield LogRecord(
                project=project,
                run_id=run_id,
                seq=line.seq,
                ts=when(line.ts_ms),
                level=None,
                stream=line.stream,
                text=line.text,
            )

    def media(
        self,
        project: ProjectRecord,
        run: RunRecord,
        keys: Sequence[str],
        after_step: Mapping[str, int] | None = None,
    ) -> Iterator[MediaRecord]:
        """Media items (file-backed history values, ``wandb/media.py``) of ``keys`` above each
        key's bookmark; ``ref`` is the file's path under the folder, ``url`` None."""
        found = self._run(project, run)
        after = after_step or {}
        floor = -(1 << 62)
        state = found.state
        early = any(found.begin.media_last.get(k, floor) > after.get(k, floor) for k in keys)
        if early:
            got: Iterable[tuple[str, int, Item]] = media_items(
                found.folder.log, 0, state.offset, keys, self._count
            )
        elif found.held.media_overflow:
            got = media_items(found.folder.log, found.start, state.offset, keys, self._count)
        else:
            wanted = set(keys)
            got = [m for m in found.held.take_media() if m[0] in wanted]
        picked = sorted(
            ((k, s, it) for k, s, it in got if s > after.get(k, floor)),
            key=lambda m: (m[0], m[1], m[2].idx),
        )
        folder = PurePosixPath(state.folder)
        for key, step, item in picked:
            yield MediaRecord(
                project=project["project"],
                run_id=run["run_id"],
                key=key,
                step=step,
                idx=item.idx,
                kind=item.kind,
                caption=item.caption,
                url=None,
                content_type=content_type(item.path),
                sha256=item.sha256,
                bytes=item.size,
                ref=(folder / "files" / item.path).as_posix(),
            )

    def media_content(self, project: ProjectRecord, run: RunRecord, item: MediaRecord) -> MediaBody:
        """The file the item's ``ref`` names under the folder (read, never written)."""
        what = f"media {item['key']!r} step {item['step']} of run {run['run_id']!r}"
        ref = item["ref"]
        if not ref:
            raise NotFoundError(f"{what}: no file path")
        try:
            real = (self.path / ref).resolve(strict=True)
        except (OSError, RuntimeError):
            raise NotFoundError(f"{what}: {ref} is not in {self.path}") from None
        if not real.is_relative_to(self.path) or not real.is_file():
            raise NotFoundError(f"{what}: {ref} is not a file in {self.path}")
        try:
            f = real.open("rb")
            size = os.fstat(f.fileno()).st_size
        except OSError as exc:
            raise NotFoundError(f"{what}: cannot read {ref}: {exc.strerror or exc}") from None

        def chunks() -> Iterator[bytes]:
            with f:
                while piece := f.read(_CHUNK):
                    self._count("media", len(piece))
                    yield piece

        return MediaBody(chunks(), content_type(ref), size)

    def warnings(self) -> list[str]:
        found = list(dict.fromkeys(self._scan.warnings)) if self._scan is not None else []
        return found + self._repairs.drain()

    def close(self) -> None:
        self._scan = None

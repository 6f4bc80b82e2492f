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

Bad input costs only itself, with one warning: a damaged chunk (read up to it), a log cut in
the middle of a record once the run is taken as CRASHED, an empty log or one without a run
record, a run folder without a log, an unreadable file. A folder with no W&B runs at all is a
``NotFoundError`` for its target.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

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
from swansync.sources.wandb.offline import contract
from swansync.sources.wandb.offline.folder import read_metadata
from swansync.sources.wandb.offline.scan import FolderScan, FoundRun, conda_path

_TEXT_LIMIT = 4 * 1024 * 1024  # requirements.txt / conda-environment.yaml kept up to this


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
        """W&B consoles are not mirrored yet (issue 16 follow-up): nothing."""
        return iter(())

    def media(
        self,
        project: ProjectRecord,
        run: RunRecord,
        keys: Sequence[str],
        after_step: Mapping[str, int] | None = None,
    ) -> Iterator[MediaRecord]:
        """W&B media are not mirrored yet (issue 16 follow-up): nothing."""
        return iter(())

    def media_content(self, project: ProjectRecord, run: RunRecord, item: MediaRecord) -> MediaBody:
        raise NotFoundError(f"{project['project']} run {run['run_id']}: no media content here")

    def warnings(self) -> list[str]:
        return list(dict.fromkeys(self._scan.warnings)) if self._scan is not None else []

    def close(self) -> None:
        self._scan = None

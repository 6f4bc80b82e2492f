"""``LogDirSource``: a SwanLab log folder read directly, at full resolution, never modified."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from swansync.errors import ConfigError, DataError
from swansync.sources.base import (
    TERMINAL_STATES,
    Counters,
    LogRecord,
    MediaBody,
    MediaRecord,
    MetricKeyRecord,
    Points,
    ProjectRecord,
    RunFilter,
    RunKey,
    RunRecord,
    SeriesPoints,
    SummaryRecord,
)
from swansync.sources.swanlab.conventions import metric_class, unwrap_config
from swansync.sources.swanlab.local import Problems, media_kind, project_record, run_record
from swansync.sources.swanlab.logdir import backup, files, stream
from swansync.sources.swanlab.logdir.console import read_console
from swansync.sources.swanlab.logdir.db import Snapshot, read_snapshot
from swansync.sources.swanlab.logdir.media import MediaReader, Where

log = logging.getLogger(__name__)

_ERROR_LOG_LIMIT = 64 * 1024


class _Key:
    __slots__ = ("folder", "kind", "klass", "media")

    def __init__(self, folder: Path, kind: str, klass: str, media: str | None = None) -> None:
        self.folder, self.kind, self.klass = folder, kind, klass
        self.media = media  # the warehouse media kind (image, audio, ...) of a MEDIA key


@dataclass
class _Names:
    """What a run's record stream names: 0.7.x series by folder, 0.10.x media by file name."""

    marker: str  # the stream's stat when read
    columns: dict[str, backup.Column] = field(default_factory=dict)
    media: dict[str, stream.MediaName] = field(default_factory=dict)


def _stat_marker(path: Path) -> str:
    try:
        st = path.stat()
    except FileNotFoundError:
        return "-"
    return f"{st.st_mtime_ns}:{st.st_size}"


class LogDirSource:
    """A SwanLab log directory (``runs.swanlab`` + ``run-*/`` folders) as a :class:`Source`.

    One folder is one project, named ``local/<project>`` after the database's project row, or
    ``project_name`` (``ws/name`` taken whole, a bare name prefixed with ``local/``). ``run_id``
    is the run folder name (``run-20261123_072300-uvda4in3``), the join key between the
    database and the files, stable across pulls; ``slug`` is the dashboard's experiment id.
    The warehouse ``source`` is ``logdir:<absolute path>`` unless ``name`` is given.
    """

    def __init__(
        self, path: Path | str, *, project_name: str | None = None, name: str | None = None
    ) -> None:
        if not str(path):
            raise ConfigError("empty logdir path: give the SwanLab log folder (swanlog/)")
        self.path = Path(path).expanduser().resolve()
        if not self.path.exists():
            raise ConfigError(f"logdir {path}: no such folder")
        if not self.path.is_dir():
            raise ConfigError(f"logdir {path} is a file, not a folder: give the folder holding it")
        self.project_name = project_name
        self.name = name or f"logdir:{self.path}"
        self.counters = Counters()
        self._snap: Snapshot | None = None
        self._lock = threading.Lock()
        self._names_cache: dict[str, _Names] = {}
        self._problems = Problems(self.name)
        self._media = MediaReader(self.path, self._problems)

    # -- snapshot --------------------------------------------------------------------------

    def _refresh(self) -> Snapshot:
        snap = read_snapshot(self.path)
        self.counters.record("db")
        with self._lock:
            self._snap = snap
        return snap

    def _snapshot(self) -> Snapshot:
        with self._lock:
            snap = self._snap
        return snap if snap is not None else self._refresh()

    # -- Source ----------------------------------------------------------------------------

    @property
    def targets(self) -> tuple[str, ...]:
        return (str(self.path),)

    def resolve(self, target: str) -> list[ProjectRecord]:
        """The folder's one project."""
        snap = self._refresh()
        return [project_record(snap.project, self.project_name, {"logdir": str(self.path)})]

    def resume(self, cursors: Mapping[str, Mapping[str, str]]) -> None:
        """Nothing to resume: every pull lists afresh."""

    def list_runs(
        self, project: ProjectRecord, filters: Sequence[RunFilter] = ()
    ) -> Iterator[RunRecord]:
        """Every run of the folder (filters are left to the sync: nothing to push them to)."""
        snap = self._refresh()
        for row in snap.experiments:
            run = self._run_record(project, row)
            if run is not None:
                yield run

    def _run_record(self, project: ProjectRecord, row: dict[str, Any]) -> RunRecord | None:
        run_id = row.get("run_id")
        if not isinstance(run_id, str) or not run_id or "/" in run_id or run_id.startswith("."):
            log.warning("%s: experiment %r has no usable run_id; skipped", self.path, row.get("id"))
            return None
        run_dir = self.path / run_id
        marker = "|".join(
            [
                str(row.get("status")),
                str(row.get("update_time")),
                str(row.get("finish_time")),
                str(row.get("name")),
                str(row.get("description")),
                _stat_marker(run_dir / "files" / "config.yaml"),
                _stat_marker(run_dir / "files" / "swanlab-metadata.json"),
                _stat_marker(run_dir / "files" / "requirements.txt"),
            ]
        )
        raw = dict(row)
        # A crashed run's error text (console/error.log): kept in ``raw`` because the list is
        # what the sync re-upserts on every pull.
        error = files.read_text(run_dir / "console" / "error.log", limit=_ERROR_LOG_LIMIT)
        if error is not None:
            raw["error"] = error
        slug = None if row.get("id") is None else str(row["id"])
        return run_record(project, run_id, row, slug=slug, raw=raw, marker=marker)

    def run_detail(self, project: ProjectRecord, run: RunRecord) -> RunRecord:
        run_dir = self.path / run["run_id"]
        self.counters.record("run files")
        out: RunRecord = {**run}
        out["config"] = unwrap_config(files.read_config(run_dir))
        out["metadata"] = files.read_metadata(run_dir)
        out["requirements"] = files.read_text(run_dir / "files" / "requirements.txt")
        out["conda"] = files.read_text(run_dir / "files" / "conda.yaml")
        out["has_profile"] = True
        return out

    # -- metrics ---------------------------------------------------------------------------

    def _names(self, run_dir: Path) -> _Names:
        """What the run's record stream names (cached until the stream changes)."""
        old = backup.has_stream(run_dir)
        found = run_dir / backup.NAME if old else stream.path_of(run_dir)
        marker = _stat_marker(found) if found else "-"
        cached = self._names_cache.get(run_dir.name)
        if cached is None or cached.marker != marker:
            if old:
                cached = _Names(marker, columns=backup.columns(run_dir))
            else:
                cached = _Names(marker, media=stream.media_names(run_dir))
            self._names_cache[run_dir.name] = cached
        return cached

    def _extra(self, run_dir: Path, folders: list[str]) -> dict[str, tuple[str, _Key]]:
        """folder -> (key, where) for ``logs/<folder>`` series the ``tag`` table does not list,
        named by the SDK's record stream: 0.7.x declares them in ``backup.swanlab`` (hardware
        monitor, ECharts, ...); 0.10.x only logs their items in ``run-<id>.swanlab``, so a media
        folder is named by the stream's record of its first file. Folders it does not name are
        skipped."""
        names = self._names(run_dir)
        out: dict[str, tuple[str, _Key]] = {}
        for folder in sorted(folders, key=lambda f: (len(f), f)):
            where = run_dir / "logs" / folder
            col = names.columns.get(folder)
            if col is not None and col.cls == "SYSTEM":
                out[folder] = (col.key, _Key(where, "SCALAR", "SYSTEM"))
            elif col is not None and col.column_type.upper() not in ("FLOAT", "NONE"):
                kind = media_kind(col.column_type)
                out[folder] = (col.key, _Key(where, "MEDIA", metric_class(col.key), kind))
            elif names.media:
                first = next(files.read_points(where), None)
                data = None if first is None else first.get("data")
                name = data[0] if isinstance(data, list) and data else None
                media = names.media.get(name) if isinstance(name, str) else None
                if media is not None:
                    klass = metric_class(media.key)
                    out[folder] = (media.key, _Key(where, "MEDIA", klass, media.kind))
        return out

    def _keys(self, run: RunRecord) -> dict[str, _Key]:
        """key -> where it lives, for every metric of the run (registered tags first)."""
        run_dir = self.path / run["run_id"]
        try:
            exp_id = int(run["raw"]["id"])
        except (KeyError, TypeError, ValueError):
            raise DataError(f"run {run['run_id']!r}: no experiment id in the database") from None
        out: dict[str, _Key] = {}
        for tag in self._snapshot().tags.get(exp_id, []):
            tag_dir = run_dir / "logs" / tag.folder
            klass = metric_class(tag.name)
            if tag.type == "line":
                out.setdefault(tag.name, _Key(tag_dir, "SCALAR", klass))
            else:
                out.setdefault(tag.name, _Key(tag_dir, "MEDIA", klass, media_kind(tag.type)))
        registered = {k.folder.name for k in out.values()}
        try:
            folders = [p.name for p in (run_dir / "logs").iterdir() if p.is_dir()]
        except FileNotFoundError:
            folders = []
        extra = [f for f in folders if f not in registered]
        if extra:
            named = self._extra(run_dir, extra)
            for folder in extra:
                if folder not in named:
                    log.debug("%s: logs/%s is not a known metric; skipped", run_dir, folder)
            for key, where in named.values():
                out.setdefault(key, where)
        return out

    def metric_keys(self, project: ProjectRecord, run: RunRecord) -> list[MetricKeyRecord]:
        return [
            {
                "project": project["project"],
                "run_id": run["run_id"],
                "key": key,
                "kind": "SCALAR" if k.kind == "SCALAR" else "MEDIA",
                "klass": "SYSTEM" if k.klass == "SYSTEM" else "CUSTOM",
            }
            for key, k in self._keys(run).items()
        ]

    def summaries(
        self, groups: Sequence[tuple[ProjectRecord, Sequence[RunRecord]]]
    ) -> Mapping[RunKey, list[SummaryRecord]]:
        out: dict[RunKey, list[SummaryRecord]] = {}
        for project, runs in groups:
            for run in runs:
                records: list[SummaryRecord] = []
                for key, k in self._keys(run).items():
                    if k.kind != "SCALAR":
                        continue
                    s = files.read_summary(k.folder)
                    self.counters.record("summary")
                    if s is not None:
                        records.append(s.record(project, run, key))
                out[(project["project"], run["run_id"])] = records
        return out

    def scalar_points(
        self,
        project: ProjectRecord,
        run: RunRecord,
        keys: Sequence[str],
        after_step: Mapping[str, int] | None = None,
    ) -> Iterator[Points]:
        where = self._keys(run)
        for key in keys:
            k = where.get(key)
            if k is None or k.kind != "SCALAR":
                log.warning("run %s has no scalar metric %r; skipped", run["run_id"], key)
                continue
            series = files.read_series(k.folder, (after_step or {}).get(key))
            self.counters.record("series")
            yield SeriesPoints(
                project["project"],
                run["run_id"],
                key,
                series.steps,
                series.values,
                series.ts_ms,
                complete=True,
            )

    def logs(
        self, project: ProjectRecord, run: RunRecord, after_seq: int | None
    ) -> Iterator[LogRecord]:
        """The run's console (``console/*.log`` and ``error.log``; on 0.7.x the SDK's record
        stream, which has levels, times and its own line counter), see :mod:`.console`."""
        run_dir = self.path / run["run_id"]
        self.counters.record("console")
        ended = run["state"] in TERMINAL_STATES
        for line in read_console(run_dir, after_seq, ended):
            if line.cut:
                self._problems.add(run["run_id"], "console lines over 1 MiB cut", line.seq)
            if line.invalid:
                self._problems.add(run["run_id"], "console lines not in UTF-8", line.seq)
            yield {
                "project": project["project"],
                "run_id": run["run_id"],
                "seq": line.seq,
                "ts": line.ts,
                "level": line.level,
                "stream": line.stream,
                "text": line.text,
            }

    def media(
        self,
        project: ProjectRecord,
        run: RunRecord,
        keys: Sequence[str],
        after_step: Mapping[str, int] | None = None,
    ) -> Iterator[MediaRecord]:
        """The media items of ``keys`` above ``after_step``, with size and SHA-256 of each
        file; ``ref`` is the file's path (see :mod:`.media`)."""
        where = self._keys(run)
        for key in keys:
            k = where.get(key)
            if k is None or k.kind != "MEDIA" or k.media is None:
                log.warning("run %s has no media key %r; skipped", run["run_id"], key)
                continue
            self.counters.record("media")
            yield from self._media.items(
                project["project"],
                run["run_id"],
                key,
                Where(k.folder, k.media),
                (after_step or {}).get(key),
            )

    def media_content(self, project: ProjectRecord, run: RunRecord, item: MediaRecord) -> MediaBody:
        """The file the item's ``ref`` names, streamed (never outside the log folder)."""
        self.counters.record("media file")
        return self._media.content(item, self.counters)

    def warnings(self) -> list[str]:
        return self._problems.warnings()

    def close(self) -> None:
        with self._lock:
            self._snap = None

"""The contract between the sources and the sync layer.

A source (the SwanLab OpenAPI, a local log folder, an offline dashboard, W&B, ...) talks to its
upstream and yields *records*: plain typed dicts whose keys are the warehouse columns (minus
``source`` and ``synced_at``, which the sync layer adds). Sources never touch DuckDB and never
import polars; metric points travel as column lists or as raw CSV bytes that
:mod:`swansync.transform` parses. Records say what shared code needs to know (a metric's class,
a config already in plain values), so nothing outside a tracker's package parses its conventions.

Datetimes in records are timezone-aware (UTC) ``datetime`` objects or ``None``.

A tracker plugs in through :mod:`swansync.sources.registry`: its package exports a
:class:`SourcePlugin` that turns its config section into :class:`SourceConfig` objects, each of
which builds one :class:`Source` holding its own targets.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

# The records live in their own module; they are re-exported here, where every source and the
# sync have always imported them from.
from swansync.sources.records import (
    LOG_CUT_MARKER,
    MAX_LOG_LINE,
    MEDIA_KINDS,
    TERMINAL_STATES,
    CsvPoints,
    LogRecord,
    MediaBody,
    MediaRecord,
    MetricClass,
    MetricKeyRecord,
    Points,
    ProjectRecord,
    Rejected,
    RunKey,
    RunRecord,
    RunState,
    SeriesPoints,
    SummaryRecord,
)

__all__ = [
    "LOG_CUT_MARKER",
    "MAX_LOG_LINE",
    "MEDIA_KINDS",
    "TERMINAL_STATES",
    "Counters",
    "CsvPoints",
    "LogRecord",
    "MediaBody",
    "MediaRecord",
    "MetricClass",
    "MetricKeyRecord",
    "Points",
    "ProjectRecord",
    "Rejected",
    "RunFilter",
    "RunKey",
    "RunRecord",
    "RunState",
    "SeriesPoints",
    "SkipsSystem",
    "Source",
    "SourceConfig",
    "SourceOptions",
    "SummaryRecord",
]


@dataclass
class Counters:
    """Request/byte accounting a source keeps; the sync reports it in sync_log."""

    requests: int = 0
    bytes: int = 0
    by_route: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def record(self, route: str, nbytes: int = 0) -> None:
        """Count one request (or file read) under ``route``; safe from worker threads."""
        with self._lock:
            self.requests += 1
            self.bytes += nbytes
            self.by_route[route] = self.by_route.get(route, 0) + 1

    def add_bytes(self, nbytes: int) -> None:
        """Count bytes of a body read after its request was recorded (a streamed download)."""
        with self._lock:
            self.bytes += nbytes


class Source(Protocol):
    """What the sync asks of a source, in this order within one pull:

    1. :meth:`resume` with the cursors stored for this source, then :meth:`resolve` each of
       :attr:`targets` to projects;
    2. per project, :meth:`list_runs`, then :meth:`run_detail` of the runs that need it;
    3. :meth:`summaries` once, for every listed run of every project;
    4. per run with new metrics, :meth:`metric_keys` then :meth:`scalar_points`;
    5. per run whose console or media can have changed, :meth:`logs` and :meth:`media` (and
       :meth:`media_content` per item when files are downloaded);
    6. :meth:`warnings`, then :meth:`close`.

    A source may keep what it read in an earlier step for a later one *of the same pull* (the
    offline dashboard answers summaries and points from one read per series). Every method may
    be called from several worker threads at once.

    ``name`` is the warehouse ``source`` value. Methods raise :mod:`swansync.errors`:
    ``AuthError``/``ConfigError`` stop the whole pull, ``NotFoundError`` fails one target,
    ``ApiError``/``DataError`` fail the object being read (the sync records it and goes on).
    """

    name: str
    counters: Counters

    @property
    def targets(self) -> Sequence[str]:
        """The targets this source was built with, as the user named them (``team/proj``,
        ``workspace:team``, a folder, a URL); the sync resolves them one by one."""
        ...

    def resolve(self, target: str) -> list[ProjectRecord]:
        """The projects one target names (a workspace names several; all pages).
        Unknown project/workspace/folder -> NotFoundError (only that target fails)."""
        ...

    def resume(self, cursors: Mapping[str, Mapping[str, str]]) -> None:
        """Called once per pull, before :meth:`resolve`: per project and run id, the ``cursor``
        its run record carried when the run's rows last committed (none with ``--full``). A
        source that can read only what was appended since (a growing file) starts there and
        gives each run record its new ``cursor``; the sync commits that with the run's rows,
        so a crash resumes from the last committed cursor. A source whose files name their own
        projects finds them here without reading them again. Others ignore it."""
        ...

    def list_runs(
        self, project: ProjectRecord, filters: Sequence[RunFilter] = ()
    ) -> Iterator[RunRecord | Rejected]:
        """Every run of the project (all pages), cheap: may lack the profile (has_profile False).
        ``filters`` may be pushed down to the upstream where it can express them; the sync
        applies every filter again itself, so a source may ignore them. An item that cannot be
        parsed is yielded as :class:`Rejected` instead."""
        ...

    def run_detail(self, project: ProjectRecord, run: RunRecord) -> RunRecord:
        """The run re-read with its full profile (has_profile True)."""
        ...

    def summaries(
        self, groups: Sequence[tuple[ProjectRecord, Sequence[RunRecord]]]
    ) -> Mapping[RunKey, list[SummaryRecord]]:
        """Per (project, run_id), the per-key summary (last step/value, min, max) of the runs
        of every group, in as few requests as the upstream allows (SwanLab: one per 500 runs
        across projects). Runs without scalars map to an empty list; a run missing from the
        answer has no known summary."""
        ...

    def metric_keys(self, project: ProjectRecord, run: RunRecord) -> list[MetricKeyRecord]:
        """Every metric key of the run (scalar and media; custom and system)."""
        ...

    def scalar_points(
        self,
        project: ProjectRecord,
        run: RunRecord,
        keys: Sequence[str],
        after_step: Mapping[str, int] | None = None,
    ) -> Iterator[Points]:
        """Every point of the given scalar keys at full resolution where the source can (else
        ``complete=False``). ``after_step`` is a hint: a source that can ask only for newer
        points may, but the transform drops steps <= after_step[key] anyway."""
        ...

    def logs(
        self, project: ProjectRecord, run: RunRecord, after_seq: int | None
    ) -> Iterator[LogRecord]:
        """The run's console lines with ``seq > after_seq`` (all when None), in seq order,
        asking upstream only for what is new where it can. A source without console logs
        yields nothing."""
        ...

    def media(
        self,
        project: ProjectRecord,
        run: RunRecord,
        keys: Sequence[str],
        after_step: Mapping[str, int] | None = None,
    ) -> Iterator[MediaRecord]:
        """The media items of the given MEDIA keys at steps above ``after_step[key]`` (all
        when absent). A source without media yields nothing."""
        ...

    def media_content(self, project: ProjectRecord, run: RunRecord, item: MediaRecord) -> MediaBody:
        """The item's content, opened for reading (an expired presigned URL is presigned again,
        not failed). ``item`` may come back from the warehouse in a later pull (its ``url`` old,
        its ``ref`` as the source gave it). ``NotFoundError`` when upstream no longer has it:
        that item only fails. A read that breaks midway raises ``RetriableApiError`` from
        ``chunks``; the sync opens the item again."""
        ...

    def warnings(self) -> list[str]:
        """What this pull could not read for a reason retrying will not fix (e.g. the offline
        dashboard's 500 on NaN values): reported, not failed."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class SkipsSystem(Protocol):
    """An optional capability of a :class:`Source` whose system metrics cost requests of their
    own (W&B's run events): for a pull that mirrors none (``--no-system``) the sync asks
    :meth:`summaries_without_system` instead of :meth:`Source.summaries`; it answers the same
    way but reads no system metrics (so it may give no SYSTEM summaries), and a later pull that
    wants them still gets them."""

    def summaries_without_system(
        self, groups: Sequence[tuple[ProjectRecord, Sequence[RunRecord]]]
    ) -> Mapping[RunKey, list[SummaryRecord]]: ...


@dataclass(frozen=True)
class SourceOptions:
    """What every source is built with besides its own config: HTTP policy and where to look
    for a tracker's own login files (``env``, ``cwd`` and ``home`` are injectable for tests)."""

    timeout: float = 60.0
    retries: int = 5
    backoff: float = 0.5
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: Path = field(default_factory=Path.cwd)
    home: Path = field(default_factory=Path.home)


class SourceConfig(Protocol):
    """One configured source (frozen, comparable): a SwanLab host with its projects, one log
    folder, ... Made by a :class:`SourcePlugin` from its config section."""

    @property
    def targets(self) -> Sequence[str]:
        """Human-readable targets, as recorded in ``sync_log`` (``team/proj``, ``logdir:/x``)."""
        ...

    def build(self, options: SourceOptions) -> Source:
        """The source, holding its targets (credentials are resolved here, not earlier)."""
        ...


@dataclass(frozen=True)
class RunFilter:
    """One run filter, e.g. ``state=FINISHED`` or ``config.optimizer=adam``.

    ``field`` is ``state``/``name``/``label``/``cluster``/``job``/``username``/``created_at``/...
    or ``config.<key>`` or ``metric.<key>``; ``op`` is one of ``= != >= <= in``.
    """

    field: str
    op: str
    values: tuple[str, ...]

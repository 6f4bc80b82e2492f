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
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, NotRequired, Protocol, TypedDict, runtime_checkable

RunState = Literal["RUNNING", "FINISHED", "CRASHED", "ABORTED", "OFFLINE"]
TERMINAL_STATES: frozenset[str] = frozenset({"FINISHED", "CRASHED", "ABORTED"})
MetricClass = Literal["CUSTOM", "SYSTEM"]  # SYSTEM: the tracker's own hardware-monitor series
RunKey = tuple[str, str]  # (project, run_id): run ids are unique within a project only


class ProjectRecord(TypedDict):
    project: str  # "workspace/name"
    project_id: str | None
    workspace: str
    name: str
    description: str | None
    visibility: str | None
    labels: list[str]
    run_count: int | None
    created_at: datetime | None
    updated_at: datetime | None
    url: str | None
    raw: dict[str, Any]


class RunRecord(TypedDict):
    project: str
    run_id: str  # server id (cuid); stable key
    slug: str | None
    name: str | None
    description: str | None
    state: str | None
    cluster: str | None
    job: str | None
    labels: list[str]
    username: str | None
    created_at: datetime | None
    finished_at: datetime | None
    url: str | None
    # ``config`` holds plain values: a tracker's wrappers (SwanLab's and W&B's {value, desc, ...})
    # are removed by its source; ``raw`` keeps what the upstream sent.
    config: dict[str, Any] | None
    metadata: dict[str, Any] | None
    requirements: str | None
    conda: str | None
    pinned: bool | None
    project_id: str | None  # the project's server id, needed by metric endpoints
    root_project_id: str | None  # cloned runs; None or "" otherwise
    root_run_id: str | None
    raw: dict[str, Any]  # the run object without its profile
    # True when config/metadata/requirements/conda are all present (a detail read);
    # False when the list item lacked them and the sync must ask for run_detail().
    has_profile: bool
    # Anything cheap from the run list that changes when the run changes (state, finishedAt,
    # updatedAt, ...). The sync re-reads the detail of a terminal run only when this changes.
    change_marker: str
    # The source's resume token after reading this run (see Source.resume); absent for sources
    # that re-read what they need. A source may set it as late as in ``summaries`` (the W&B
    # cloud source does, once it has read ahead): the sync commits the value the record holds
    # when the run's rows (or, with nothing new, the cursor alone) commit.
    cursor: NotRequired[str | None]


class MetricKeyRecord(TypedDict):
    project: str
    run_id: str
    key: str
    kind: Literal["SCALAR", "MEDIA"]
    # "class" is a keyword, so sources fill ``klass`` and the transform names the column ``class``.
    klass: MetricClass


class SummaryRecord(TypedDict):
    project: str
    run_id: str
    key: str
    klass: MetricClass
    last_step: int | None
    last_value: float | None
    min_value: float | None
    min_step: int | None
    max_value: float | None
    max_step: int | None
    raw: dict[str, Any] | None


class LogRecord(TypedDict):
    """One console line of a run."""

    project: str
    run_id: str
    # The source's own per-run line counter where it has one (SwanLab: each line's ``epoch``,
    # from 1), else the 1-based line number in the run's console file; stable across pulls.
    seq: int
    ts: datetime | None
    level: str | None  # DEBUG / INFO / WARN / ERROR where the source says so
    stream: str | None  # stdout / stderr where the source says so
    text: str  # decoded as UTF-8, invalid bytes replaced (U+FFFD); see MAX_LOG_LINE
    # The source's own label of the line where it has one (SwanLab: ``tag``); None otherwise.
    tag: NotRequired[str | None]


MEDIA_KINDS = frozenset(
    {
        "image",
        "audio",
        "video",
        "text",
        "html",
        "object3d",
        "molecule",
        "echarts",
        "table",
        "other",
    }
)


class MediaRecord(TypedDict):
    """One media item of a run: a key can hold several items at one step (``idx`` 0, 1, ...)."""

    project: str
    run_id: str
    key: str
    step: int
    idx: int  # 0-based position in the step's item list
    kind: str  # one of MEDIA_KINDS, lower-case
    caption: str | None
    url: str | None  # what the source gave (presigned URLs expire)
    content_type: str | None  # when the source knows it; else from the download
    sha256: str | None  # when the source knows it (W&B records it); else from the download
    bytes: int | None  # likewise
    # How the source finds the content again (a storage path, a file path): opaque to the
    # sync, handed back to Source.media_content.
    ref: str | None


# A console line longer than this many UTF-8 bytes is cut there (back to a character boundary)
# and LOG_CUT_MARKER appended, so one runaway line cannot blow up a pull; the cut is reported as
# a warning. ``total`` is the line's whole length in bytes.
MAX_LOG_LINE = 1 << 20
LOG_CUT_MARKER = " [... line cut at 1 MiB by swansync: {total} bytes in all]"


@dataclass
class MediaBody:
    """The content of one media item as :meth:`Source.media_content` opens it: its bytes in
    chunks, read lazily (a download stream, a file), with what the source learnt on opening it.

    ``close()`` ends the read early (a file too big for ``--media-max-bytes``); reading to the end
    closes it too.
    """

    chunks: Iterator[bytes]
    content_type: str | None = None  # e.g. the download's Content-Type
    size: int | None = None  # bytes announced before reading (Content-Length, file size)

    def close(self) -> None:
        close = getattr(self.chunks, "close", None)
        if callable(close):
            close()


@dataclass(frozen=True)
class Rejected:
    """A list item the source could not turn into a record (malformed upstream data).

    Yielded by ``list_runs`` in place of the run, so one bad object costs only itself. The sync
    reports it and never marks a rejected run as deleted.
    """

    project: str
    run_id: str | None  # None when even the id was unreadable
    reason: str


@dataclass(frozen=True)
class SeriesPoints:
    """Points of one (run, key) series as columns. ``ts_ms`` is Unix milliseconds or None."""

    project: str
    run_id: str
    key: str
    steps: Sequence[int]
    values: Sequence[float | None]
    ts_ms: Sequence[int | None]
    complete: bool = True  # False when the source only offered a sampled curve


@dataclass(frozen=True)
class CsvPoints:
    """Several keys of one run as one wide CSV, parsed by :mod:`swansync.transform`.

    The layout is positional: column 0 is the step, then one (value, timestamp in Unix
    milliseconds) pair per key in ``keys`` order; one header row, which names nothing the
    parser relies on. A source whose upstream writes such a file hands its bytes over as they
    came, so the hot path parses each byte once.
    """

    project: str
    run_id: str
    keys: Sequence[str]
    data: bytes
    complete: bool = True


Points = SeriesPoints | CsvPoints


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

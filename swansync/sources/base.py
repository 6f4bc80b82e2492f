"""What every source hands to the sync layer.

A source (SwanLab OpenAPI, a local log folder, an offline dashboard, ...) talks to its upstream and
yields *records*: plain typed dicts whose keys are the warehouse columns (minus ``source`` and
``synced_at``, which the sync layer adds). Sources never touch DuckDB and never import polars;
metric points travel as column lists or as raw CSV bytes that :mod:`swansync.transform` parses.

Datetimes in records are timezone-aware (UTC) ``datetime`` objects or ``None``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol, TypedDict

RunState = Literal["RUNNING", "FINISHED", "CRASHED", "ABORTED", "OFFLINE"]
TERMINAL_STATES: frozenset[str] = frozenset({"FINISHED", "CRASHED", "ABORTED"})
SYSTEM_PREFIX = "__swanlab__"  # SwanLab's own hardware-monitor series: class SYSTEM


def is_system_key(key: str) -> bool:
    return key.startswith(SYSTEM_PREFIX)


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
    # ``config`` is the profile config *as the source sent it* (SwanLab wraps each top-level value
    # as {value, desc, sort}); transform.unwrap_config() turns it into plain values.
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


class MetricKeyRecord(TypedDict):
    project: str
    run_id: str
    key: str
    kind: Literal["SCALAR", "MEDIA"]
    # "class" is a keyword, hence the functional TypedDict below would be needed to name it
    # directly; sources fill ``klass`` and the transform renames it to the column ``class``.
    klass: Literal["CUSTOM", "SYSTEM"]


class SummaryRecord(TypedDict):
    project: str
    run_id: str
    key: str
    last_step: int | None
    last_value: float | None
    min_value: float | None
    min_step: int | None
    max_value: float | None
    max_step: int | None
    raw: dict[str, Any] | None


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
    """A wide CSV export of several keys of one run, as SwanLab's export endpoint writes it.

    Column 0 is the step; then one (value, timestamp-ms) pair per key in ``keys`` order. The
    header row is present and ignored (the layout is positional).
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


class Source(Protocol):
    """The contract between a source and :mod:`swansync.sync`.

    ``name`` is the warehouse ``source`` value. Methods raise ``swansync.errors`` exceptions:
    ``AuthError``/``ConfigError`` are fatal for the whole pull, ``NotFoundError`` for a target,
    ``ApiError``/``DataError`` for the object being read (the sync records it and goes on).
    """

    name: str
    counters: Counters

    def resolve_targets(
        self, projects: Sequence[str], workspaces: Sequence[str]
    ) -> list[ProjectRecord]:
        """The projects to mirror: each ``ws/proj`` in ``projects`` plus every project of each
        workspace in ``workspaces`` (all pages). Unknown project/workspace -> NotFoundError."""
        ...

    def list_runs(
        self, project: ProjectRecord, filters: Sequence[RunFilter] = ()
    ) -> Iterator[RunRecord | Rejected]:
        """Every run of the project (all pages), cheap: may lack the profile (has_profile False).
        An item that cannot be parsed is yielded as :class:`Rejected` instead."""
        ...

    def run_detail(self, project: ProjectRecord, run: RunRecord) -> RunRecord:
        """The run re-read with its full profile (has_profile True)."""
        ...

    def summaries(
        self, project: ProjectRecord, runs: Sequence[RunRecord]
    ) -> Mapping[str, list[SummaryRecord]]:
        """Per run_id, the per-key summary (last step/value, min, max) in as few requests as
        possible. Runs without scalars map to an empty list."""
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

    def close(self) -> None: ...


@dataclass(frozen=True)
class RunFilter:
    """One run filter, e.g. ``state=FINISHED`` or ``config.optimizer=adam``.

    ``field`` is ``state``/``name``/``label``/``cluster``/``job``/``username``/``created_at``/...
    or ``config.<key>`` or ``metric.<key>``; ``op`` is one of ``= != >= <= in``.
    """

    field: str
    op: str
    values: tuple[str, ...]

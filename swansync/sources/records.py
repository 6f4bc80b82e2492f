"""Records: what a source yields and the sync writes, one plain typed dict (or small frozen
dataclass) per warehouse row or batch of rows.

Keys are the warehouse columns (minus ``source`` and ``synced_at``, which the sync layer adds).
Datetimes are timezone-aware (UTC) ``datetime`` objects or ``None``. Metric points travel as
column lists (:class:`SeriesPoints`) or as raw CSV bytes (:class:`CsvPoints`) that
:mod:`swansync.transform` parses.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, NotRequired, TypedDict

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

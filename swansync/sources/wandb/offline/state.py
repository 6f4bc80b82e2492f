"""One run's log as the offline source knows it between pulls, saved in the run's cursor.

A pull reads a ``.wandb`` log only from where the last committed pull stopped. What the records
before that offset folded into travels in the cursor (compact JSON in
``_swansync.run_state.cursor``), so the next pull can go on folding:

- ``off``, ``size``, ``mtime``: the resume offset (just after the last complete record) and the
  file's size and mtime when it was last looked at; an unchanged (size, mtime) means the file
  costs a ``stat`` and no read, and tells a still log from a growing one (the run-state rule of
  ``folder.py``);
- the run record's fields, the folded config and summary (nested, ``_wandb`` included: the
  record readers keep it apart), the environment records, the exit record, the SDK version;
- ``stats``: how many system-metric samples came before (the next sample's step), ``rows``
  the history rows, ``last_ts`` the latest time any record carried;
- per metric key: whether it held numbers and/or other values (text, media, lists), and over
  its numeric points the count, the last step and value, and the finite min/max with the
  earliest step holding each. Min and max over everything read so far fold exactly from the
  previous min/max and the new points, so they stay right however the log was read in pieces.

Numbers: JSON with ``NaN``/``Infinity`` tokens (Python's ``json`` reads its own output back
exactly, ``-0.0`` included).
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from swansync.sources.wandb import media
from swansync.sources.wandb.console import LineFold
from swansync.sources.wandb.conventions import SYSTEM_PREFIX, is_media, is_reserved, ts_ms
from swansync.sources.wandb.offline.fold import apply_update
from swansync.sources.wandb.offline.held import Held
from swansync.sources.wandb.offline.records import (
    ConfigRecord,
    EnvironmentRecord,
    ExitRecord,
    HeaderRecord,
    HistoryRecord,
    OutputRecord,
    Record,
    RunRecord,
    StatsRecord,
    SummaryRecord,
    TelemetryRecord,
)
from swansync.sources.wandb.offline.values import JsonValue

CURSOR_VERSION = 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_NUMERIC, _OTHER = 1, 2  # KeyStats.flags bits

Point = tuple[str, int, float, int | None]  # key, step, value, ts (Unix ms)


def as_number(value: JsonValue) -> float | None:
    """A logged value as a metric point: numbers as floats (an integer too large for a double
    becomes ±inf), booleans as 1.0/0.0; None for anything else (null, text, media, lists)."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float):
        return value
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    return None


def _ms(when: datetime | None) -> int | None:
    return None if when is None else (when - _EPOCH) // _MS


class KeyStats:
    """One metric key: what kinds of value it held and the statistics of its numeric points."""

    __slots__ = (
        "flags",
        "last_step",
        "last_value",
        "max_step",
        "max_value",
        "min_step",
        "min_value",
        "n",
    )

    def __init__(self) -> None:
        self.flags = 0
        self.n = 0
        self.last_step: int | None = None
        self.last_value: float | None = None
        self.min_value: float | None = None
        self.min_step: int | None = None
        self.max_value: float | None = None
        self.max_step: int | None = None

    @property
    def scalar(self) -> bool:
        """SCALAR unless the key only ever held non-numbers (text, media, lists)."""
        return bool(self.flags & _NUMERIC) or not self.flags & _OTHER

    def add(self, step: int, value: float) -> None:
        self.flags |= _NUMERIC
        self.n += 1
        if self.last_step is None or step >= self.last_step:
            self.last_step, self.last_value = step, value
        if not math.isfinite(value):
            return
        if (
            self.min_value is None
            or value < self.min_value
            or (value == self.min_value and self.min_step is not None and step < self.min_step)
        ):
            self.min_value, self.min_step = value, step
        if (
            self.max_value is None
            or value > self.max_value
            or (value == self.max_value and self.max_step is not None and step < self.max_step)
        ):
            self.max_value, self.max_step = value, step

    def to_list(self) -> list[Any]:
        return [
            self.flags,
            self.n,
            self.last_step,
            self.last_value,
            self.min_value,
            self.min_step,
            self.max_value,
            self.max_step,
        ]

    @classmethod
    def from_list(cls, data: list[Any]) -> KeyStats:
        out = cls()
        (
            out.flags,
            out.n,
            out.last_step,
            out.last_value,
            out.min_value,
            out.min_step,
            out.max_value,
            out.max_step,
        ) = data
        return out


def _run_fields(run: RunRecord) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "entity": run.entity,
        "project": run.project,
        "display_name": run.display_name,
        "tags": list(run.tags),
        "group": run.group,
        "job_type": run.job_type,
        "notes": run.notes,
        "host": run.host,
        "sweep_id": run.sweep_id,
        "start_time": None if run.start_time is None else run.start_time.isoformat(),
        "starting_step": run.starting_step,
        "resumed": run.resumed,
        "git_remote": run.git_remote,
        "git_commit": run.git_commit,
    }


@dataclass
class LogState:
    """What a run's log folded into up to ``offset``. Mutable: :meth:`apply` goes on folding."""

    folder: str  # the run folder, relative to the source's root (ties a cursor to its folder)
    offset: int = 0
    size: int = 0
    mtime_ns: int = 0
    run: dict[str, Any] | None = None
    config: dict[str, JsonValue] = field(default_factory=dict)
    summary: dict[str, JsonValue] = field(default_factory=dict)
    env: dict[str, JsonValue] = field(default_factory=dict)
    exit: tuple[int, int] | None = None  # (exit code, runtime in seconds)
    sdk: dict[str, str] = field(default_factory=dict)  # producer, cli/python version, platform
    stats: int = 0
    rows: int = 0
    stepless: int = 0  # history rows without a step: not mirrored
    last_ts: int | None = None
    state: str | None = None  # the contract state at the last look
    username: str | None = None  # from files/wandb-metadata.json (0.17.x; 0.18+: env records)
    end: str = "clean"  # how the last read ended: clean | incomplete | corrupt (framing.py)
    keys: dict[str, KeyStats] = field(default_factory=dict)
    # The console (``console.py``): "log" (output records) or "file" (files/output.log), fixed
    # by the first line found; the lines made so far and the pending ones; in "file" mode the
    # byte offset of output.log after the last line made.
    console_mode: str | None = None
    console: LineFold = field(default_factory=LineFold)
    file_off: int = 0
    media_last: dict[str, int] = field(default_factory=dict)  # key -> last step with a file
    # Lines and media items met while folding, for this pull only (not in the cursor).
    held: Held | None = field(default=None, compare=False, repr=False)

    # -- folding ----------------------------------------------------------------------------

    def apply(self, records: Iterable[Record]) -> Iterator[Point]:
        """Fold ``records`` (in file order) in, yielding every metric point they hold."""
        for record in records:
            if isinstance(record, HistoryRecord):
                yield from self._history(record)
            elif isinstance(record, StatsRecord):
                yield from self._stats(record)
            elif isinstance(record, SummaryRecord):
                apply_update(self.summary, record)
            elif isinstance(record, ConfigRecord):
                apply_update(self.config, record)
            elif isinstance(record, RunRecord):
                self.run = _run_fields(record)
                if record.config is not None:
                    apply_update(self.config, record.config)
                if record.summary is not None:
                    apply_update(self.summary, record.summary)
            elif isinstance(record, ExitRecord):
                self.exit = (record.exit_code, record.runtime)
            elif isinstance(record, EnvironmentRecord):
                self.env.update(copy.deepcopy(dict(record.values)))
            elif isinstance(record, TelemetryRecord):
                self.sdk.update(
                    {
                        "cli_version": record.cli_version,
                        "python_version": record.python_version,
                        "platform": record.platform,
                    }
                )
            elif isinstance(record, HeaderRecord):
                self.sdk["producer"] = record.producer
            elif isinstance(record, OutputRecord):
                ts = _ms(record.timestamp)
                self._seen(ts)
                self._output(record, ts)

    def _output(self, record: OutputRecord, ts: int | None) -> None:
        if self.console_mode == "file":
            return
        self.console_mode = "log"
        try:
            data = record.line.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            data = record.line.encode("utf-8", "replace")
        lines = self.console.add(record.stream, data, ts)
        if self.held is not None and lines:
            self.held.add_lines(lines)

    def _seen(self, ts: int | None) -> None:
        if ts is not None and (self.last_ts is None or ts > self.last_ts):
            self.last_ts = ts

    def _key(self, key: str) -> KeyStats:
        stats = self.keys.get(key)
        if stats is None:
            stats = self.keys[key] = KeyStats()
        return stats

    def _history(self, record: HistoryRecord) -> Iterator[Point]:
        self.rows += 1
        step = record.step
        if step is None:
            self.stepless += 1
            return
        ts = ts_ms(record.values.get("_timestamp"))
        self._seen(ts)
        for key, value in record.values.items():
            if is_reserved(key):
                continue
            stats = self._key(key)
            number = as_number(value)
            if number is not None:
                stats.add(step, number)
                yield key, step, number, ts
            elif value is not None:
                stats.flags |= _OTHER
                if is_media(value):
                    self._media(key, step, value)

    def _media(self, key: str, step: int, value: JsonValue) -> None:
        found = list(media.items(value))
        if not found:
            return
        if step >= self.media_last.get(key, step):
            self.media_last[key] = step
        if self.held is not None:
            self.held.add_media(key, step, found)

    def _stats(self, record: StatsRecord) -> Iterator[Point]:
        step = self.stats
        self.stats += 1
        ts = _ms(record.timestamp)
        self._seen(ts)
        for name, value in record.values.items():
            key = SYSTEM_PREFIX + name
            stats = self._key(key)
            number = as_number(value)
            if number is not None:
                stats.add(step, number)
                yield key, step, number, ts
            elif value is not None:
                stats.flags |= _OTHER

    def last_steps(self) -> dict[str, int]:
        """Per key with points: its last step (what a later read appends after)."""
        return {k: s.last_step for k, s in self.keys.items() if s.n and s.last_step is not None}

    # -- the cursor --------------------------------------------------------------------------

    def to_cursor(self) -> str:
        data = {
            "v": CURSOR_VERSION,
            "dir": self.folder,
            "off": self.offset,
            "size": self.size,
            "mtime": self.mtime_ns,
            "run": self.run,
            "config": self.config,
            "summary": self.summary,
            "env": self.env,
            "exit": None if self.exit is None else list(self.exit),
            "sdk": self.sdk,
            "stats": self.stats,
            "rows": self.rows,
            "stepless": self.stepless,
            "last_ts": self.last_ts,
            "state": self.state,
            "user": self.username,
            "end": self.end,
            "keys": {k: s.to_list() for k, s in self.keys.items()},
            "con": [self.console_mode, self.console.dump(), self.file_off],
            "ml": self.media_last,
        }
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_cursor(cls, text: str) -> LogState | None:
        """The state a cursor saved, or None when it is not one this version wrote."""
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or data.get("v") != CURSOR_VERSION:
                return None
            code = data["exit"]
            mode, fold, file_off = data.get("con") or [None, [0, []], 0]
            return cls(
                folder=str(data["dir"]),
                offset=int(data["off"]),
                size=int(data["size"]),
                mtime_ns=int(data["mtime"]),
                run=data["run"],
                config=dict(data["config"]),
                summary=dict(data["summary"]),
                env=dict(data["env"]),
                exit=None if code is None else (int(code[0]), int(code[1])),
                sdk=dict(data["sdk"]),
                stats=int(data["stats"]),
                rows=int(data["rows"]),
                stepless=int(data["stepless"]),
                last_ts=data["last_ts"],
                state=data["state"],
                username=data["user"],
                end=str(data["end"]),
                keys={str(k): KeyStats.from_list(v) for k, v in dict(data["keys"]).items()},
                console_mode=mode if mode in ("log", "file") else None,
                console=LineFold.load(fold),
                file_off=int(file_off),
                media_last={str(k): int(v) for k, v in dict(data.get("ml") or {}).items()},
            )
        except (ValueError, TypeError, KeyError, IndexError, RecursionError):
            return None


def points_after(
    records: Iterable[Record], stats_base: int, keys: Mapping[str, object]
) -> Iterator[Point]:
    """The points of ``keys`` in ``records`` read from an offset after which ``stats_base``
    system samples had come (0 from the start), without folding anything: a second read of a
    range the cursor already covers."""
    scratch = LogState("", stats=stats_base)
    for point in scratch.apply(records):
        if point[0] in keys:
            yield point

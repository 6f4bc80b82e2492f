"""A run's console and media beyond what one pull's read held: ``files/output.log`` read on
from an offset, and second reads of the log (from where this pull started, or from the start
when the warehouse's bookmark lies before it: ``--full``, or a pull that stopped after the
run's cursor committed and before its console or media did).

Console lines come from the output records of the log once it has any (they carry stream and
time, and a killed run's ``output.log`` lags them), else from ``files/output.log``; the choice is
fixed by the first line found (see :mod:`swansync.sources.wandb.console`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from swansync.sources.base import TERMINAL_STATES
from swansync.sources.wandb import media
from swansync.sources.wandb.console import Line, LineFold, file_lines
from swansync.sources.wandb.conventions import is_media
from swansync.sources.wandb.offline.reader import LogRead
from swansync.sources.wandb.offline.records import HistoryRecord, OutputRecord

if TYPE_CHECKING:
    from swansync.sources.wandb.offline.scan import FoundRun
    from swansync.sources.wandb.offline.state import LogState

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_CHUNK = 1 << 20
_BATCH = 10_000
Count = Callable[[str, int], None]


@dataclass(frozen=True)
class Start:
    """A run's console and media bookmarks as the cursor held them before this pull."""

    lines: int = 0
    fold: list[object] = field(default_factory=lambda: [0, []])
    file_off: int = 0
    media_last: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, state: LogState | None) -> Start:
        if state is None:
            return cls()
        return cls(
            state.console.lines, state.console.dump(), state.file_off, dict(state.media_last)
        )


def _chunks(f: BinaryIO, size: int | None, seen: list[int]) -> Iterator[bytes]:
    left = size
    while left is None or left > 0:
        piece = f.read(_CHUNK if left is None else min(_CHUNK, left))
        if not piece:
            return
        seen[0] += len(piece)
        if left is not None:
            left -= len(piece)
        yield piece


def read_output_log(
    f: BinaryIO, offset: int, lines: int, final: bool, sink: Callable[[list[Line]], None]
) -> tuple[int, int, int]:
    """Lines of ``output.log`` after byte ``offset`` (``lines`` lines before it) handed to
    ``sink`` in batches: (the last seq, the offset after it, the bytes read)."""
    f.seek(offset)
    seen = [0]
    batch: list[Line] = []
    last, end = lines, offset
    for got in file_lines(_chunks(f, None, seen), offset, lines + 1, final):
        batch.append(got.line)
        last, end = got.line.seq, got.end
        if len(batch) >= _BATCH:
            sink(batch)
            batch = []
    if batch:
        sink(batch)
    return last, end, seen[0]


def console_lines(run: FoundRun, after: int, count: Count) -> Iterator[Line]:
    """The run's lines with ``seq > after`` read again from disk (up to where this pull's scan
    stopped): from where the pull started when ``after`` is not before it, else from the start."""
    state, begin = run.state, run.begin
    early = after < begin.lines
    if state.console_mode == "file" and run.folder.output_log is not None:
        off, seq = (0, 0) if early else (begin.file_off, begin.lines)
        seen = [0]
        try:
            with run.folder.output_log.open("rb") as f:
                f.seek(off)
                for got in file_lines(_chunks(f, state.file_off - off, seen), off, seq + 1, True):
                    if got.line.seq > after:
                        yield got.line
        finally:
            count("output.log", seen[0])
    elif state.console_mode == "log":
        fold = LineFold() if early else LineFold.load(begin.fold)
        read = LogRead(run.folder.log, 0 if early else run.start, state.offset)
        try:
            for record in read:
                if isinstance(record, OutputRecord):
                    ts = _ms(record)
                    try:
                        data = record.line.encode("utf-8", "surrogateescape")
                    except UnicodeEncodeError:
                        data = record.line.encode("utf-8", "replace")
                    for line in fold.add(record.stream, data, ts):
                        if line.seq > after:
                            yield line
            if state.state in TERMINAL_STATES:
                yield from (ln for ln in fold.flush() if ln.seq > after)
        finally:
            count("log", read.bytes_read)


def _ms(record: OutputRecord) -> int | None:
    when = record.timestamp
    return None if when is None else (when - _EPOCH) // _MS


def media_items(
    log: Path, start: int, stop: int, keys: Sequence[str], count: Count
) -> Iterator[tuple[str, int, media.Item]]:
    """The media items of ``keys`` in the log's history records between two offsets."""
    wanted = set(keys)
    read = LogRead(log, start, stop)
    try:
        for record in read:
            if not isinstance(record, HistoryRecord) or record.step is None:
                continue
            for key, value in record.values.items():
                if key in wanted and is_media(value):
                    for item in media.items(value):
                        yield key, record.step, item
    finally:
        count("log", read.bytes_read)

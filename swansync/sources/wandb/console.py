"""Console lines from W&B's raw console text, shared by the cloud and the offline source.

W&B keeps a run's console as text: ``output.log`` (a file of the run) and, in offline folders,
``output_raw`` records (chunks of stdout/stderr as the program wrote them). Either way a line is
the text up to a newline; a ``\\r`` just before it (CRLF) is dropped, other ``\\r`` (progress
bars) stay. ``seq`` is the 1-based line number in the order lines were completed; bad UTF-8 and
lines over 1 MiB are repaired by :mod:`swansync.sources.console`. A last line without its
newline is taken only once the run has ended (it may be a write in progress).

:class:`LineFold` assembles lines from chunks, one pending line per stream, and can be saved
into a cursor and taken up again (a pull may stop between two chunks of one line).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from swansync.sources.base import MAX_LOG_LINE
from swansync.sources.console import RepairLog, decode_line, split_lines

KEEP = MAX_LOG_LINE + 4  # bytes of a pending line held (the rest is only counted)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Line(NamedTuple):
    seq: int
    text: str
    ts_ms: int | None
    stream: str | None
    problems: tuple[str, ...]


def when(ts_ms: int | None) -> datetime | None:
    return None if ts_ms is None else _EPOCH + timedelta(milliseconds=ts_ms)


def _finish(seq: int, head: bytes, total: int, ts: int | None, stream: str | None) -> Line:
    if head.endswith(b"\r") and total <= len(head):
        head, total = head[:-1], total - 1
    text, problems = decode_line(head, total)
    return Line(seq, text, ts, stream, tuple(problems))


@dataclass
class _Pending:
    head: bytearray = field(default_factory=bytearray)
    total: int = 0
    ts: int | None = None


class LineFold:
    """Lines from chunks of text per stream; ``lines`` is the seq of the last line made."""

    def __init__(self, lines: int = 0) -> None:
        self.lines = lines
        self.pending: dict[str, _Pending] = {}  # in the order the lines started

    def add(self, stream: str, data: bytes, ts_ms: int | None) -> list[Line]:
        out: list[Line] = []
        parts = data.split(b"\n")
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if last and not part:
                break
            p = self.pending.get(stream)
            if p is None:
                p = self.pending[stream] = _Pending(ts=ts_ms)
            if len(p.head) < KEEP:
                p.head += part[: KEEP - len(p.head)]
            p.total += len(part)
            if not last:
                del self.pending[stream]
                self.lines += 1
                out.append(_finish(self.lines, bytes(p.head), p.total, p.ts, stream))
        return out

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LineFold) and self.dump() == other.dump()

    __hash__ = None  # type: ignore[assignment]

    def flush(self) -> list[Line]:
        """The pending lines as final (the run ended)."""
        out = []
        for stream, p in list(self.pending.items()):
            self.lines += 1
            out.append(_finish(self.lines, bytes(p.head), p.total, p.ts, stream))
        self.pending.clear()
        return out

    def dump(self) -> list[Any]:
        return [
            self.lines,
            [
                [s, base64.b64encode(p.head).decode(), p.total, p.ts]
                for s, p in self.pending.items()
            ],
        ]

    @classmethod
    def load(cls, data: Any) -> LineFold:
        lines, pending = data
        out = cls(int(lines))
        for stream, head, total, ts in pending:
            out.pending[str(stream)] = _Pending(
                bytearray(base64.b64decode(head)), int(total), None if ts is None else int(ts)
            )
        return out


class FileLine(NamedTuple):
    line: Line
    end: int  # byte offset just after it


def file_lines(
    chunks: Iterable[bytes], offset: int, first_seq: int, final: bool
) -> Iterator[FileLine]:
    """The lines of an ``output.log`` read from byte ``offset`` (a line start) on, numbered
    from ``first_seq``; a last line without its newline only when ``final``."""
    seq, pos = first_seq, offset
    for raw in split_lines(chunks, keep=KEEP):
        if not raw.complete and not final:
            return
        pos += raw.total + (1 if raw.complete else 0)
        yield FileLine(_finish(seq, raw.head, raw.total, None, None), pos)
        seq += 1


class Repairs:
    """Console lines repaired in a pull, for ``Source.warnings``: one warning per pull that
    counts them (see :class:`~swansync.sources.console.RepairLog`). Thread-safe."""

    def __init__(self) -> None:
        self._log = RepairLog()

    def warner(self, project: str, run_id: str) -> Callable[[Line], None]:
        def warn(line: Line) -> None:
            if line.problems:
                self._log.add(project, run_id, line.seq, line.problems)

        return warn

    def drain(self) -> list[str]:
        return self._log.drain()

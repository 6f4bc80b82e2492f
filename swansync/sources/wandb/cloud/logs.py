"""A W&B run's console (``output.log``), only what is new.

While ``summaries`` reads a changed run's new history, it also reads the new tail of
``output.log`` (:func:`read_tail`, through :func:`swansync.sources.wandb.cloud.extras.read_ahead`):
one ``RunFiles`` lookup (``directUrl``, ``sizeBytes``), and when the file grew past the cursor's
byte offset one ``GET`` with ``Range: bytes=<offset>-`` (a server that ignores ``Range`` sends
the whole file: the known part is skipped). Lines are made by
:mod:`swansync.sources.wandb.console` (a last line without its newline waits for the run to
end), parked in the spool for ``logs``, and the cursor gets the new line count and offset. When
the warehouse's ``logs_seq`` lies before what was read ahead (``--full``, a pull stopped after
the run's cursor committed), ``logs`` reads ``output.log`` again from the start, up to the
cursor's offset only (so the next pull's tail starts where these lines end).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from swansync.errors import DataError, FatalApiError, NotFoundError, RetriableApiError
from swansync.sources.base import LogRecord, RunKey
from swansync.sources.wandb.cloud import runfiles
from swansync.sources.wandb.cloud.client import GraphQLClient
from swansync.sources.wandb.cloud.history import RunReader
from swansync.sources.wandb.cloud.state import RunState
from swansync.sources.wandb.console import FileLine, Line, file_lines

if TYPE_CHECKING:
    from swansync.sources.wandb.cloud.extras import Held

OUTPUT = "output.log"
HOLD_TEXT = 64 << 20  # console text parked per run; more is read again when it is written


@dataclass
class Tail:
    """The console lines one pull read ahead for a run: those after line ``start`` (byte
    ``start_bytes``); ``lines`` empty and ``overflow`` set when they were too many to park."""

    start: int
    start_bytes: int
    lines: list[Line] = field(default_factory=list)
    overflow: bool = False


def _skip(chunks: Iterator[bytes], n: int) -> Iterator[bytes]:
    for piece in chunks:
        if n >= len(piece):
            n -= len(piece)
            continue
        yield piece[n:]
        n = 0


def read_tail(
    client: GraphQLClient, run_vars: dict[str, str], what: str, old: RunState | None, final: bool
) -> tuple[Tail, int, int]:
    """The new lines of ``output.log`` after the cursor's position: (tail, lines, bytes)."""
    lines0 = old.console_lines if old else 0
    bytes0 = old.console_bytes if old else 0
    tail = Tail(lines0, bytes0)
    found = runfiles.lookup(client, run_vars, [OUTPUT], what).get(OUTPUT)
    if found is None or (found.size is not None and found.size <= bytes0):
        return tail, lines0, bytes0
    last, end, size = lines0, bytes0, 0
    try:
        got_lines = list_lines(
            client, run_vars, what, found.url, bytes0, lines0, None, final, found.size
        )
        for got in got_lines:
            last, end = got.line.seq, got.end
            if not tail.overflow:
                size += len(got.line.text)
                tail.lines.append(got.line)
                if size > HOLD_TEXT:
                    tail.overflow, tail.lines = True, []
    except NotFoundError:
        return Tail(lines0, bytes0), lines0, bytes0
    return tail, last, end


RESUMES = 5  # a body broken midway is read on from its last whole line this many times


def list_lines(
    client: GraphQLClient,
    run_vars: dict[str, str],
    what: str,
    url: str | None,
    start: int,
    lines0: int,
    stop: int | None,
    final: bool,
    size: int | None = None,
) -> Iterator[FileLine]:
    """The lines of ``output.log`` from byte ``start`` (a line start; ``lines0`` lines before
    it) to ``stop``; a body that breaks midway, or ends before ``stop`` or the file's listed
    ``size``, is asked for again from its last whole line."""
    pos, seq = start, lines0
    for attempt in range(RESUMES + 1):
        if stop is not None and pos >= stop:
            return
        try:
            opened = runfiles.open_file(
                client, run_vars, OUTPUT, url, what, start=pos, stop=stop, at_least=stop or size
            )
        except FatalApiError as e:
            if e.status == 416 and attempt:  # broken right at the end: nothing is left
                return
            raise
        chunks = opened.chunks if opened.partial or not pos else _skip(opened.chunks, pos)
        try:
            for got in file_lines(chunks, pos, seq + 1, final):
                if stop is not None and got.end > stop:
                    return
                yield got
                pos, seq = got.end, got.line.seq
            return
        except RetriableApiError:
            if attempt == RESUMES:
                raise
            url = None  # a fresh URL too: the old one may be what broke


def log_records(
    key: RunKey, lines: Iterator[Line], warn: Callable[[Line], None]
) -> Iterator[LogRecord]:
    """Console lines as records (W&B's output.log says no level, stream or time)."""
    for line in lines:
        warn(line)
        yield LogRecord(
            project=key[0],
            run_id=key[1],
            seq=line.seq,
            ts=None,
            level=None,
            stream=None,
            text=line.text,
        )


def console_lines(
    client: GraphQLClient,
    run_vars: dict[str, str],
    what: str,
    state: RunState,
    tail: Tail | None,
    after: int,
) -> Iterator[Line]:
    """Lines with ``seq > after`` up to the cursor's: parked ones, else read again."""
    if tail is not None and not tail.overflow and after >= tail.start:
        yield from (ln for ln in tail.lines if ln.seq > after)
        return
    lines0, bytes0 = (tail.start, tail.start_bytes) if tail and after >= tail.start else (0, 0)
    if state.console_bytes <= bytes0 or after >= state.console_lines:
        return
    for got in list_lines(client, run_vars, what, None, bytes0, lines0, state.console_bytes, True):
        if got.line.seq > after:
            yield got.line


def read_logs(
    reader: RunReader,
    key: RunKey,
    state: RunState | None,
    held: Held | None,
    after_seq: int | None,
    warn: Callable[[Line], None],
) -> Iterator[LogRecord]:
    """The run's console lines above ``after_seq``: those ``held`` from the read-ahead, else
    read again up to the cursor's position. A console the read-ahead could not read fails
    here, at the call."""
    if held is not None and held.console_error is not None:
        raise DataError(held.console_error)
    if state is None:
        return iter(())
    tail = held.tail if held else None
    lines = console_lines(reader.client, reader.vars, reader.what, state, tail, after_seq or 0)
    return log_records(key, lines, warn)

"""A W&B run's console (``output.log``) and media items, only what is new.

**Console.** While ``summaries`` reads a changed run's new history, it also reads the new tail
of ``output.log``: one ``RunFiles`` lookup (``directUrl``, ``sizeBytes``), and when the file
grew past the cursor's byte offset one ``GET`` with ``Range: bytes=<offset>-`` (a server that
ignores ``Range`` sends the whole file: the known part is skipped). Lines are made by
:mod:`swansync.sources.wandb.console` (a last line without its newline waits for the run to
end), parked in the spool for ``logs``, and the cursor gets the new line count and offset. When
the warehouse's ``logs_seq`` lies before what was read ahead (``--full``, a pull stopped after
the run's cursor committed), ``logs`` reads ``output.log`` again from the start, up to the
cursor's offset only (so the next pull's tail starts where these lines end).

**Media.** The history rows read ahead carry the file-backed media values
(:mod:`swansync.sources.wandb.media`); a key whose bookmark lies before them (listed late,
``--full``) has the rows in between read again (``HistoryPage`` windows). URLs come from one
``RunFiles`` lookup per 100 names; ``ref`` is the file's name, so ``media_content`` asks for a
fresh URL when the stored one has expired.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from swansync.errors import ApiError, DataError, FatalApiError, NotFoundError, RetriableApiError
from swansync.sources.base import LogRecord, MediaBody, MediaRecord, RunKey
from swansync.sources.wandb import media
from swansync.sources.wandb.cloud import runfiles
from swansync.sources.wandb.cloud.client import GraphQLClient
from swansync.sources.wandb.cloud.history import Batch, RunReader
from swansync.sources.wandb.cloud.state import RunState
from swansync.sources.wandb.console import FileLine, Line, file_lines

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


@dataclass
class Held:
    """What ``summaries`` read ahead besides points, parked for ``media``/``logs``."""

    tail: Tail | None
    console_error: str | None  # why the console could not be read ahead (logs() fails)
    media_from: int | None  # the media items are those of rows after this step (None: all)
    media_last: dict[str, int]  # per key, its last step with a file before ``media_from``
    items: list[tuple[str, int, media.Item]]


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


def read_ahead(
    client: GraphQLClient,
    reader: RunReader,
    old: RunState | None,
    base: RunState | None,
    batch: Batch,
    state: RunState,
    final: bool,
) -> Held:
    """What to park besides the points of ``batch``: its media items and the console's new
    tail (``state`` gets the console's new position; a console that cannot be read keeps the
    old one, marks the cursor so the run is read again, and fails this pull's ``logs``)."""
    held = Held(None, None, batch.base, dict(base.media_last) if base else {}, batch.media)
    try:
        held.tail, state.console_lines, state.console_bytes = read_tail(
            client, reader.vars, reader.what, old, final
        )
    except (ApiError, DataError) as e:
        held.console_error = f"console of {reader.what}: {e}"
        state.console_failed = True
        state.console_lines = old.console_lines if old else 0
        state.console_bytes = old.console_bytes if old else 0
    return held


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


def media_items(
    reader: RunReader,
    state: RunState | None,
    held: Held | None,
    keys: Sequence[str],
    after: Mapping[str, int],
) -> list[tuple[str, int, media.Item]]:
    """The items of ``keys`` above each key's bookmark: those read ahead, and the rows before
    them read again for keys whose bookmark lies behind."""
    floor = -(1 << 62)
    wanted = set(keys)
    if held is not None:
        got = [m for m in held.items if m[0] in wanted]
        upto, known = held.media_from, held.media_last
    else:
        got = []
        upto = None if state is None else state.history_to
        known = {} if state is None else state.media_last
    behind = [k for k in keys if known.get(k, floor) > after.get(k, floor)]
    if behind and upto is not None:
        lows = [after.get(k) for k in behind]
        start = None if any(v is None for v in lows) else min(v for v in lows if v is not None)
        batch = Batch(base=start, history_to=None)
        reader.history(batch, upto, None)
        got += [m for m in batch.media if m[0] in wanted]
    picked = {(k, s, it.idx): (k, s, it) for k, s, it in got if s > after.get(k, floor)}
    return [picked[x] for x in sorted(picked)]


def records(
    client: GraphQLClient,
    run_vars: dict[str, str],
    what: str,
    project: str,
    run_id: str,
    found: list[tuple[str, int, media.Item]],
) -> Iterator[MediaRecord]:
    urls = runfiles.lookup(client, run_vars, [it.path for *_, it in found], what) if found else {}
    for key, step, item in found:
        f = urls.get(item.path)
        yield MediaRecord(
            project=project,
            run_id=run_id,
            key=key,
            step=step,
            idx=item.idx,
            kind=item.kind,
            caption=item.caption,
            url=f.url if f else None,
            content_type=media.content_type(item.path),
            sha256=item.sha256,
            bytes=item.size if item.size is not None else (f.size if f else None),
            ref=item.path,
        )


def content(
    client: GraphQLClient, run_vars: dict[str, str], item: MediaRecord, what: str
) -> MediaBody:
    if not item["ref"]:
        raise NotFoundError(f"{what}: no file name")
    opened = runfiles.open_file(  # W&B records each file's size: a shorter body is cut short
        client,
        run_vars,
        item["ref"],
        item["url"],
        what,
        allow_html=item["kind"] == "html",
        at_least=item["bytes"],
    )
    return MediaBody(
        opened.chunks, opened.response.headers.get("Content-Type"), runfiles.size_of(opened)
    )

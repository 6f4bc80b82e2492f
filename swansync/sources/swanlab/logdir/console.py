"""A run's console, read from its folder.

The text comes from ``console/YYYY-MM-DD.log`` (one file per local calendar day, bare lines,
stdout and stderr mixed, written by both SDKs the same way): ``seq`` is the 1-based line number
across the day files in date order. A crashed run's ``console/error.log`` (the writer's local
time on the first line, then the error text) becomes one more line, level ``ERROR``, once the
run has ended (the SDK writes it as it finishes).

The SDK's record stream says more about each line: its own counter (``epoch``, which is that
line number), level and time -- 0.7.x in ``backup.swanlab`` (:mod:`.backup`: INFO for stdout,
WARN for stderr, and the error as a final ERROR record), 0.10.x in ``run-<id>.swanlab``
(:mod:`.stream`: INFO for every console line, no stream). Each line takes those from the record
of the same counter and text. The files stay the source of the text: both SDKs buffer their
stream, so a live run's newest lines (a killed run's last ones) are only in the files, and come
without level, stream and time.

Files are read in 1 MiB chunks; a line longer than MAX_LOG_LINE keeps only its first bytes
(:func:`~swansync.sources.swanlab.local.line_text`). Lines up to ``after_seq`` are skipped by
counting newlines, without decoding them. The last line of the newest day file is taken only
once it ends in a newline, or once the run has ended: while the run is live it may be a write
in progress.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, NamedTuple

from swansync.sources.console import split_lines
from swansync.sources.swanlab.local import ERROR_LEVEL, error_text, line_text, str_line
from swansync.sources.swanlab.logdir import backup, stream
from swansync.sources.swanlab.logdir.recordlog import StreamLine

_CHUNK = 1 << 20
_DAY_FILE = re.compile(r"\d{4}-\d{2}-\d{2}\.log")
ERROR_LOG = "error.log"


class Line(NamedTuple):  # a tuple: a console can have millions
    seq: int
    text: str
    ts: datetime | None = None
    level: str | None = None
    stream: str | None = None
    cut: bool = False  # longer than MAX_LOG_LINE: cut, with a marker
    invalid: bool = False  # held bytes that are not UTF-8 (replaced)


def day_files(run_dir: Path) -> list[Path]:
    """``console/YYYY-MM-DD.log`` files in date order (other names are not the SDK's)."""
    try:
        entries = list((run_dir / "console").iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted((p for p in entries if _DAY_FILE.fullmatch(p.name)), key=lambda p: p.name)


def _skip(f: BinaryIO, lines: int) -> tuple[int, bytes, int, bool]:
    """Read past ``lines`` newlines. Returns (newlines passed, the chunk in hand, the position
    just after the last newline passed in it, whether the file ended in a line without its
    newline) -- the last only matters when the file held fewer than ``lines`` newlines."""
    passed, tail = 0, False
    while passed < lines:
        chunk = f.read(_CHUNK)
        if not chunk:
            return passed, b"", 0, tail
        n = chunk.count(b"\n")
        if passed + n < lines:
            passed += n
            tail = not chunk.endswith(b"\n") if n else tail or bool(chunk)
            continue
        pos = 0
        for _ in range(lines - passed):
            pos = chunk.index(b"\n", pos) + 1
        return lines, chunk, pos, False
    return 0, b"", 0, False


def _file_lines(
    f: BinaryIO, skip: int, first_seq: int, take_partial: bool, count: list[int]
) -> Iterator[Line]:
    """The lines of one file after its first ``skip`` ones; ``count[0]`` is set to how many
    lines the file holds (a partial last line counts only when ``take_partial``)."""
    passed, chunk, pos, tail = _skip(f, skip)
    if passed < skip:
        count[0] = passed + (1 if tail and take_partial else 0)
        return

    def chunks() -> Iterator[bytes]:
        if pos < len(chunk):
            yield chunk[pos:]
        while piece := f.read(_CHUNK):
            yield piece

    seq = first_seq + skip
    for head, total, complete in split_lines(chunks()):
        if not complete and not take_partial:
            break
        text, cut, invalid = line_text(head, total)
        yield Line(seq, text, None, None, None, cut, invalid)
        seq += 1
    count[0] = seq - first_seq


def _text_lines(run_dir: Path, after: int, ended: bool) -> Iterator[Line]:
    files = day_files(run_dir)
    seen = 0  # lines before the current file
    for i, path in enumerate(files):
        newest = i == len(files) - 1
        try:
            f = path.open("rb")
        except FileNotFoundError:
            continue
        count = [0]
        with f:
            yield from _file_lines(f, max(0, after - seen), seen + 1, ended or not newest, count)
        seen += count[0]
    if ended and seen + 1 > after:
        try:
            raw = (run_dir / "console" / ERROR_LOG).read_bytes()
        except FileNotFoundError:
            return
        try:
            decoded, invalid = raw.decode("utf-8"), False
        except UnicodeDecodeError:
            decoded, invalid = raw.decode("utf-8", errors="replace"), True
        error = error_text(decoded.split("\n"))
        if error is not None:
            shown, cut, repaired = str_line(error)
            yield Line(seen + 1, shown, level=ERROR_LEVEL, cut=cut, invalid=invalid or repaired)


def _with_stream(lines: Iterator[Line], records: Iterator[StreamLine]) -> Iterator[Line]:
    """Each line with the level, stream and time of the record of the same counter and text in
    the SDK's record stream (both in order, joined as they stream). Lines the stream does not
    hold (yet: the SDK buffers it; or ever: a killed run) keep only their text."""
    rec: StreamLine | None = None
    started = False
    for line in lines:
        if not started:  # the stream is read only when there is a new line to join
            rec, started = next(records, None), True
        while rec is not None and rec.epoch < line.seq:
            rec = next(records, None)
        if rec is None or rec.epoch != line.seq:
            yield line
            continue
        same_kind = (rec.level == ERROR_LEVEL) == (line.level == ERROR_LEVEL)
        if not same_kind or str_line(rec.message)[0] != line.text:
            yield line  # not the same line: leave it as the file has it
            continue
        yield line._replace(ts=rec.ts, level=rec.level, stream=rec.stream)


def read_console(run_dir: Path, after_seq: int | None, ended: bool) -> Iterator[Line]:
    """The run's console lines with ``seq > after_seq``, in seq order. ``ended``: the run has
    finished or crashed, so a last line without its newline is final and error.log complete."""
    after = after_seq or 0
    lines = _text_lines(run_dir, after, ended)
    if backup.has_stream(run_dir):
        source: Iterator[StreamLine] = backup.log_lines(run_dir)
    elif stream.path_of(run_dir) is not None:
        source = stream.log_lines(run_dir)
    else:
        return lines
    return _with_stream(lines, (r for r in source if r.epoch > after))

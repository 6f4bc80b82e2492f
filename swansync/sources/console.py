"""Console text as the contract wants it, for every source (:class:`~.base.LogRecord`).

* Text is UTF-8: invalid bytes become U+FFFD (Python's ``errors="replace"``: one per maximal
  invalid subsequence), and so does a lone surrogate (what a JSON ``\\udcff`` escape decodes to,
  which no UTF-8 writer can store).
* A line longer than :data:`~.base.MAX_LOG_LINE` bytes keeps its first ``MAX_LOG_LINE`` bytes
  (cut back to a character boundary) followed by :data:`~.base.LOG_CUT_MARKER`.
* :func:`split_lines` cuts a byte stream into lines with bounded memory: a line over the bound is
  cut while it is read and the rest of it skipped, never held.

Each function says what it had to repair, so the source can warn about that line, once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from swansync.sources.base import LOG_CUT_MARKER, MAX_LOG_LINE

_SURROGATE = re.compile("[\ud800-\udfff]")
_NOT_A_BYTE = re.compile("[\ud800-\udc7f\udd00-\udfff]")  # lone surrogates that stand for no byte
REPLACED = "invalid UTF-8 replaced by U+FFFD"
# A cut line is MAX_LOG_LINE bytes and the marker: a text this much over the bound was cut.
_MARKER_ROOM = 128


def cut_problem(total: int) -> str:
    return f"longer than 1 MiB ({total:,} bytes): cut"


def _cut(raw: bytes, total: int) -> str:
    """The first MAX_LOG_LINE bytes of ``raw`` back to a character boundary, and the marker."""
    end = MAX_LOG_LINE
    while end > 0 and end < len(raw) and (raw[end] & 0xC0) == 0x80:
        end -= 1  # raw[end] continues a character that started before: cut before it
    head = raw[:end].decode("utf-8", "replace")
    return head + LOG_CUT_MARKER.format(total=total)


def clean_text(text: str) -> tuple[str, list[str]]:
    """``text`` as the contract stores it, and what had to be repaired (empty when nothing).

    Lone surrogates U+DC80..U+DCFF are taken for the bytes that Python's
    ``errors="surrogateescape"`` keeps that way (how a JSON body with raw bytes that are not
    UTF-8 is read leniently): they are decoded with ``errors="replace"`` as if they had been
    read from bytes. Any other lone surrogate (a JSON ``\ud800`` escape) is one U+FFFD."""
    problems: list[str] = []
    if _SURROGATE.search(text):
        text = _NOT_A_BYTE.sub("\ufffd", text)
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        problems.append(REPLACED)
    if len(text) > MAX_LOG_LINE // 4:  # below that, even 4-byte characters cannot exceed it
        raw = text.encode("utf-8")
        if len(raw) > MAX_LOG_LINE + _MARKER_ROOM:
            problems.append(cut_problem(len(raw)))
            text = _cut(raw, len(raw))
    return text, problems


def decode_line(raw: bytes, total: int | None = None) -> tuple[str, list[str]]:
    """A line's bytes as contract text. ``total`` is the line's whole length when ``raw`` holds
    only its head (see :func:`split_lines`)."""
    total = len(raw) if total is None else total
    problems: list[str] = []
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        problems.append(REPLACED)
        text = raw.decode("utf-8", "replace")
    if total > MAX_LOG_LINE:
        problems.append(cut_problem(total))
        text = _cut(raw, total)
    return text, problems


@dataclass(frozen=True)
class RawLine:
    """One line of a byte stream without its ``\\n``: ``head`` holds the whole line, or its
    first bytes when ``total`` (its full length) is over the bound; ``complete`` is False for
    a last line that had no newline (a file still being written)."""

    head: bytes
    total: int
    complete: bool = True


def split_lines(chunks: Iterable[bytes], *, keep: int = MAX_LOG_LINE + 4) -> Iterator[RawLine]:
    """Lines of a byte stream, holding at most about ``keep`` bytes of one line in memory."""
    pending = bytearray()  # the line being read (at most `keep` bytes of it)
    total = 0  # its full length so far
    for chunk in chunks:
        start = 0
        while True:
            nl = chunk.find(b"\n", start)
            piece = chunk[start:] if nl < 0 else chunk[start:nl]
            room = keep - len(pending)
            if room > 0:
                pending += piece[:room]
            total += len(piece)
            if nl < 0:
                break
            yield RawLine(bytes(pending), total)
            pending.clear()
            total = 0
            start = nl + 1
    if total or pending:
        yield RawLine(bytes(pending), total, complete=False)

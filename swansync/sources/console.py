"""Console text as the contract wants it, for every source (:class:`~.base.LogRecord`).

* Text is UTF-8: invalid bytes become U+FFFD (Python's ``errors="replace"``: one per maximal
  invalid subsequence), and so does a lone surrogate (what a JSON ``\\udcff`` escape decodes to,
  which no UTF-8 writer can store).
* A line longer than :data:`~.base.MAX_LOG_LINE` bytes keeps its first ``MAX_LOG_LINE`` bytes
  (cut back to a character boundary) followed by :data:`~.base.LOG_CUT_MARKER`.
* :func:`split_lines` cuts a byte stream into lines with bounded memory: a line over the bound is
  cut while it is read and the rest of it skipped, never held.

Each function says what it had to repair, so the source can count that line, once: a
:class:`RepairLog` turns a pull's repaired lines into one warning (a hostile console repairs
lines in every run).
"""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple

from swansync.sources.base import LOG_CUT_MARKER, MAX_LOG_LINE

log = logging.getLogger(__name__)

_SURROGATE = re.compile("[\ud800-\udfff]")
_NOT_A_BYTE = re.compile("[\ud800-\udc7f\udd00-\udfff]")  # lone surrogates that stand for no byte
REPLACED = "invalid UTF-8 replaced by U+FFFD"
# A line cut before: at most MAX_LOG_LINE bytes, then the marker (never cut twice).
_CUT = re.compile(re.escape(LOG_CUT_MARKER).replace(r"\{total\}", r"\d+").encode() + rb"\Z")


_CUT_PROBLEM = "longer than 1 MiB"


def cut_problem(total: int) -> str:
    return f"{_CUT_PROBLEM} ({total:,} bytes): cut"


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
        cut_before = (m := _CUT.search(raw, MAX_LOG_LINE // 2)) and m.start() <= MAX_LOG_LINE
        if len(raw) > MAX_LOG_LINE and not cut_before:
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


class RawLine(NamedTuple):
    """One line of a byte stream without its ``\\n``: ``head`` holds the whole line, or its
    first bytes when ``total`` (its full length) is over the bound; ``complete`` is False for
    a last line that had no newline (a file still being written)."""

    head: bytes
    total: int
    complete: bool = True


def split_lines(chunks: Iterable[bytes], *, keep: int = MAX_LOG_LINE + 4) -> Iterator[RawLine]:
    """Lines of a byte stream, holding at most about ``keep`` bytes of one line in memory."""
    pending = bytearray()  # the start of a line that continues in the next chunk (<= keep)
    total = 0  # that line's full length so far
    for chunk in chunks:
        parts = chunk.split(b"\n")
        last = parts.pop()  # what follows the chunk's last newline: continues in the next
        for i, part in enumerate(parts):
            if i == 0 and (pending or total):
                if len(pending) < keep:
                    pending += part[: keep - len(pending)]
                yield RawLine(bytes(pending), total + len(part))
                pending.clear()
                total = 0
            elif len(part) <= keep:
                yield RawLine(part, len(part))
            else:
                yield RawLine(part[:keep], len(part))
        if not parts and (pending or total):  # no newline in this chunk at all
            if len(pending) < keep:
                pending += last[: keep - len(pending)]
            total += len(last)
        else:
            pending += last[:keep]
            total = len(last)
    if total or pending:
        yield RawLine(bytes(pending), total, complete=False)


def _kind(problem: str) -> str:
    """What was repaired, without the line's own numbers."""
    if problem == REPLACED:
        return "invalid UTF-8 replaced"
    return "cut at 1 MiB" if problem.startswith(_CUT_PROBLEM) else problem


class RepairLog:
    """The console lines repaired during a pull, for ``Source.warnings``: one warning that says
    how many lines in how many runs, of which kind, and shows the first (a lone line is shown
    as it is); every line is logged at DEBUG. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self._lines = 0
        self._runs: set[tuple[str, str]] = set()
        self._kinds: Counter[str] = Counter()
        self._first: str | None = None

    def add(self, project: str, run_id: str, seq: int, problems: Sequence[str]) -> None:
        """Line ``seq`` of a run's console was repaired (``problems``: what; none: it was not)."""
        if not problems:
            return
        where = f"console line {seq} of run {run_id!r} ({project}): {problems[0]}"
        log.debug("%s", where)
        with self._lock:
            self._lines += 1
            self._runs.add((project, run_id))
            self._kinds.update(_kind(p) for p in problems)
            if self._first is None:
                self._first = where

    def drain(self) -> list[str]:
        """The warning for the lines repaired since the last drain (none: no warning)."""
        with self._lock:
            lines, runs, kinds, first = self._lines, len(self._runs), self._kinds, self._first
            self._reset()
        if first is None:
            return []
        if lines == 1:
            return [first]
        what = ", ".join(f"{n:,} {kind}" for kind, n in kinds.most_common())
        return [f"console: {lines:,} line(s) repaired in {runs:,} run(s) ({what}); first: {first}"]

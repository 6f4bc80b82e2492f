"""Console lines of simulated runs: formulas, not stored text (a 1 GB console costs nothing
until somebody reads it).

Line ``e`` (1-based; its ``epoch`` on the wire) of a run is a pure function of the run and
``e``: its level (every level appears), its bytes and its timestamp. A run's console grows with
its ticks (one line every ``log_every`` ticks) plus lines appended outside them (``log_extra``:
``World.append_logs``, or the ``log_append_on_read`` quirk); ``log_fixed`` gives a run a fixed,
possibly huge, line count instead. ``log_gaps`` skips a counter every that many lines (a gap the
SDK never writes, for clients that assume gap-free counters).

Hostile runs (``log_hostile``) print what real consoles print: multi-byte text and emoji, tqdm
carriage returns, ANSI colours, tabs, empty lines, invalid UTF-8 (lone bytes ``\\xff``
``\\xfe`` ``\\x80`` and a lead byte before ASCII, each one U+FFFD for a reader using Python's
``errors="replace"``), and at the 1-based lines in ``log_long`` a line of
:data:`LONG_LINE_BYTES` bytes.

On the wire a message's invalid bytes travel raw inside the JSON string (or, with the
``json_escapes`` quirk, as ``\\udcXX`` escapes of lone surrogates); the truth is the text a
mirror keeps: bytes decoded with ``errors="replace"``, a line over :data:`MAX_LOG_LINE` bytes
cut there and :data:`CUT_MARKER` appended (the contract's rule, restated here: the simulator
shares no code with swansync).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from trackersim.swanlab.model import iso_ms

if TYPE_CHECKING:
    from trackersim.swanlab.model import Run

LEVELS = ("DEBUG", "INFO", "WARN", "ERROR")
_PATTERN = ("INFO",) * 6 + ("DEBUG", "WARN", "INFO", "ERROR")
LONG_LINE_BYTES = 1_500_000
MAX_LOG_LINE = 1 << 20
CUT_MARKER = " [... line cut at 1 MiB by swansync: {total} bytes in all]"

_PLAIN = (
    "step {n}: loss={loss:.4f} acc={acc:.3f}",
    "epoch {n} done in {sec:.1f}s",
    "训练 第{n}步 完成 ✓",
    "saving checkpoint to /ckpt/model-{n}.pt",
)
_HOSTILE: tuple[bytes, ...] = (
    "🚀 emoji line {n} — 中文 ✓ ñ".encode(),
    b"\r 45%|\xe2\x96\x88\xe2\x96\x88\xe2\x96\x88\xe2\x96\x88      | 45/100 [00:04<00:05]",
    b"\x1b[32mOK\x1b[0m colours {n}",
    b"tab\tseparated\tline {n}",
    b"",
    b"bad byte \xff in line {n}",
    b"lone continuation \x80\xfe bytes {n}",
    b"truncated lead \xc3( then ascii {n}",
    b"quotes \"double\" 'single' \\backslash\\ {n}",
    b"trailing spaces {n}   ",
)


@dataclass(frozen=True)
class Line:
    epoch: int  # the run's line counter
    level: str
    raw: bytes  # the message as the run printed it
    tag: str
    ts_ms: int

    @property
    def wire_text(self) -> str:
        """The message for a JSON answer: invalid bytes as lone surrogates, which the JSON
        writer turns back into the raw bytes (or escapes them)."""
        return self.raw.decode("utf-8", "surrogateescape")

    @property
    def text(self) -> str:
        """What a mirror keeps."""
        if len(self.raw) > MAX_LOG_LINE:
            head = self.raw[:MAX_LOG_LINE].decode("utf-8", "replace")
            return head + CUT_MARKER.format(total=len(self.raw))
        return self.raw.decode("utf-8", "replace")


def count(run: Run) -> int:
    """Lines of the run's console now (clones show their root's)."""
    return run.log_count()


def wire_time(run: Run, ln: Line) -> str:
    """The line's ``timestamp`` as the answer spells it (U12): ISO-8601 in ms with ``Z``;
    hostile runs also send nanoseconds and a +08:00 offset for the same instant."""
    text = str(iso_ms(ln.ts_ms))
    if run.data_run.log_hostile and ln.epoch % 4 == 1:
        return text[:-1] + "000000Z"
    if run.data_run.log_hostile and ln.epoch % 7 == 2:
        ms = ln.ts_ms + 8 * 3_600_000
        return str(iso_ms(ms))[:-1] + "+08:00"
    return text


def epoch_at(run: Run, index: int) -> int:
    """The counter of the line at 0-based position ``index``."""
    gaps = run.data_run.log_gaps
    return index + 1 + (index // gaps if gaps > 0 else 0)


def line(run: Run, index: int) -> Line:
    """The line at 0-based position ``index`` of the run's console."""
    data = run.data_run
    epoch = epoch_at(run, index)
    level = _PATTERN[(epoch + data.seed) % len(_PATTERN)]
    ts = data.created_ms + 1500 + epoch * max(1, data.tick_ms * max(1, data.log_every) // 2)
    if data.log_width:
        raw = _wide(epoch, data.log_width)
    elif epoch in data.log_long:
        raw = (b"0123456789" * (LONG_LINE_BYTES // 10 + 1))[:LONG_LINE_BYTES]
    elif data.log_hostile and epoch % 3 == 0:
        raw = _HOSTILE[(epoch // 3) % len(_HOSTILE)].replace(b"{n}", str(epoch).encode())
    else:
        n = epoch + data.seed % 1000
        raw = (
            _PLAIN[epoch % len(_PLAIN)]
            .format(n=n, loss=1 / (1 + n), acc=n % 100 / 100, sec=(n % 97) / 3)
            .encode()
        )
    return Line(epoch, level, raw, "", ts)


_DOTS = b"." * 4096


def _wide(epoch: int, width: int) -> bytes:
    """A cheap line of about ``width`` bytes for huge consoles."""
    head = b"%012d train step %d loss=0.%06d " % (epoch, epoch, (epoch * 7919) % 1_000_000)
    pad = width - len(head)
    return head + (_DOTS[:pad] if pad <= len(_DOTS) else b"." * pad) if pad > 0 else head


def page(run: Run, number: int, size: int, level: str, shard: bool) -> tuple[list[Line], int]:
    """One page of lines at or above ``level`` and that filter's line count. ``shard``: the
    request's epoch is a page index (else a line offset)."""
    total = count(run)
    start = number * size if shard else number
    floor = LEVELS.index(level)
    if floor == 0:
        end = min(total, start + size)
        return [line(run, i) for i in range(start, end)], total
    kept = [ln for ln in (line(run, i) for i in range(total)) if LEVELS.index(ln.level) >= floor]
    return kept[start : start + size], len(kept)


def export_line(ln: Line) -> bytes:
    """One row of a log export: ``<timestamp> <LEVEL> <message>\\n`` (our reading, U16)."""
    return b"%s %s %s\n" % (str(iso_ms(ln.ts_ms)).encode(), ln.level.encode(), ln.raw)


def export_block(run: Run, start: int, end: int) -> bytes:
    """Export rows ``start .. end - 1``. Huge consoles (``log_width``) take a fast path that
    makes the same bytes as :func:`export_line` without a Line per row."""
    data = run.data_run
    if not data.log_width or data.log_gaps:
        return b"".join(export_line(line(run, i)) for i in range(start, end))
    step = max(1, data.tick_ms * max(1, data.log_every) // 2)
    base = data.created_ms + 1500
    levels = [lv.encode() for lv in _PATTERN]
    out: list[bytes] = []
    second, prefix = -1, b""
    for i in range(start, end):
        epoch = i + 1
        ts = base + epoch * step
        if ts // 1000 != second:
            second = ts // 1000
            prefix = str(iso_ms(second * 1000))[:-4].encode()  # "YYYY-MM-DDTHH:MM:SS."
        out.append(
            b"%s%03dZ %s %s\n"
            % (
                prefix,
                ts % 1000,
                levels[(epoch + data.seed) % len(levels)],
                _wide(epoch, data.log_width),
            )
        )
    return b"".join(out)

"""A run's console (its ``output.log``) and its media files, generated from the run itself.

**Console.** One line per logged step offset (tick), from formulas, so growing a run appends
lines and never changes earlier ones. With ``console_quirks`` on (the default) the bytes are
hostile: every 5th line ends in CRLF, every 11th holds bytes that are not UTF-8, some lines
hold multi-byte text, a run's ``console_long`` tick is a line of 1 MiB + 100 bytes, and a
running run's file ends with the first half of its next line (a write in progress, no
newline). A finished run's file holds whole lines only.

Truth (:func:`truth_lines`): what a mirror stores per line under the contract: 1-based ``seq``,
the text without its ``\\r\\n``/``\\n``, invalid bytes as U+FFFD, a line over 1 MiB cut to its
first 1 MiB (back to a character boundary) followed by the cut marker; no stream, level or time
(W&B's output.log says none).

**Media files.** Every ``image``/``table`` history value names a file (``path``) whose bytes are
made from the key's seed and the step (``history.media_bytes``); the value's ``sha256`` and
``size`` are those bytes'. With ``media_missing`` on, every 4th image file is listed but its
object is gone (its signed URL answers 404).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trackersim.wandb.history import KeySpec, unit

if TYPE_CHECKING:
    from trackersim.wandb.model import Run

LONG_LINE = (1 << 20) + 100
MAX_LINE = 1 << 20
CUT_MARKER = " [... line cut at 1 MiB by swansync: {total} bytes in all]"  # the contract's


def line_bytes(run: Run, tick: int, quirks: bool) -> bytes:
    """Tick ``tick``'s console line, with its line ending."""
    u = unit(run.seed * 17 + 3, tick)
    if quirks and run.console_long == tick:
        return b"L" * LONG_LINE + b"\n"
    text = f"step {run.step_base + tick}: loss {2.0 * (1 - u):.4f}"
    if tick % 3 == 1:
        text += " ünïcödé ✓ 训练"
    body = text.encode()
    if quirks and tick % 11 == 3:
        body += b" bad \xff\xfe\xc3("
    end = b"\r\n" if quirks and tick % 5 == 4 else b"\n"
    return body + end


def output_log(run: Run, quirks: bool) -> bytes:
    out = bytearray()
    for tick in range(run.ticks):
        out += line_bytes(run, tick, quirks)
    if run.state == "running" and quirks:
        nxt = line_bytes(run, run.ticks, quirks)
        out += nxt[: max(1, len(nxt) // 2)].rstrip(b"\r\n")
    return bytes(out)


def _contract_text(line: bytes) -> str:
    body = line[:-2] if line.endswith(b"\r\n") else line[:-1]
    if len(body) <= MAX_LINE:
        return body.decode("utf-8", "replace")
    end = MAX_LINE
    while end > 0 and (body[end] & 0xC0) == 0x80:
        end -= 1
    return body[:end].decode("utf-8", "replace") + CUT_MARKER.format(total=len(body))


def truth_lines(run: Run, quirks: bool) -> list[dict[str, Any]]:
    return [
        {
            "project": run.project.path,
            "run_id": run.name,
            "seq": tick + 1,
            "ts": None,
            "level": None,
            "stream": None,
            "text": _contract_text(line_bytes(run, tick, quirks)),
        }
        for tick in range(run.ticks)
    ]


def missing(spec: KeySpec, offset: int) -> bool:
    """With ``media_missing``: this value's file is listed but gone (every 4th image)."""
    if spec.kind != "image":
        return False
    return ((offset - spec.first) // spec.every) % 4 == 1


def media_files(run: Run) -> dict[str, tuple[KeySpec, int]]:
    """File name (the value's ``path``) -> (key, step offset) of every media value so far."""
    out: dict[str, tuple[KeySpec, int]] = {}
    for spec in run.keys:
        if spec.kind not in ("image", "table"):
            continue
        end = run.ticks if spec.until is None else min(run.ticks, spec.until)
        for off in range(spec.first, end, spec.every):
            out[spec.value(off)["path"]] = (spec, off)
    return out

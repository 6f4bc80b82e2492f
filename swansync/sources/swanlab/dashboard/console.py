"""A run's console from the dashboard's ``/experiment/<id>/recent_log`` answer (pure parsing).

What swanboard serves there (0.1.10b2 and 0.1.9b3; ``docs/protocols/swanlab-offline-dashboard.md``
section 4.2): ``logs`` is the **whole** console, every ``console/YYYY-MM-DD.log`` file read as
text and split on newlines, concatenated in date order; ``error`` is ``error.log`` split the
same way (the writer's local time, then the error), present once a run crashed; ``recent``
holds two first words and is useless. There is no paging, no level, stream, time or counter.

So ``seq`` is the 1-based position in ``logs``, which is the line number of the log folder
(:mod:`swansync.sources.swanlab.logdir.console`) with two differences the dashboard cannot
avoid: each file's split leaves an empty string after its last newline, so a run spanning
midnight gets one extra empty line per day boundary; and swanboard opens the files in text
mode, so a bare carriage return also ends a line there. The empty string after the last
newline of the newest file is dropped; when it is not empty, the last line is still being
written and is taken only once the run has ended. A crashed run's error becomes one more
line, level ERROR, as from the folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from swansync.sources.swanlab.local import ERROR_LEVEL, error_text, str_line


def _strings(value: Any) -> list[str]:
    return [v if isinstance(v, str) else str(v) for v in value] if isinstance(value, list) else []


def recent_lines(
    data: Any, after_seq: int | None, ended: bool
) -> Iterator[tuple[int, str, str | None, bool]]:
    """``(seq, text, level, cut)`` of the lines of a ``recent_log`` answer above
    ``after_seq``. ``ended``: the run has finished or crashed. (swanboard decodes the files
    strictly, so its lines are valid UTF-8: an answer at all means nothing was replaced.)"""
    if not isinstance(data, dict):
        return
    after = after_seq or 0
    lines = _strings(data.get("logs"))
    if lines and (lines[-1] == "" or not ended):
        lines.pop()  # the newline's empty tail, or a line still being written
    for seq in range(after + 1, len(lines) + 1):
        text, cut, _ = str_line(lines[seq - 1])
        yield seq, text, None, cut
    if ended and "error" in data and len(lines) + 1 > after:
        error = error_text(_strings(data.get("error")))
        if error is not None:
            text, cut, _ = str_line(error)
            yield len(lines) + 1, text, ERROR_LEVEL, cut

"""How `swansync pull` shows its progress: bars on a terminal, periodic log lines elsewhere.

Both read the library's progress events (see :data:`swansync.report.ProgressFn`) into one
:class:`Tally`: runs and points advance as each run's metrics arrive (not when a batch commits),
points have a total estimated from the summaries, bytes have a rate, and the current phase
(listing, summaries, fetching, writing a batch, views, publishing) is always named.
The bars live in :mod:`.progress_bars`: a pull that prints log lines or JSON never imports
``rich.progress``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rich import filesize

PHASES = {
    "listing": "listing runs",
    "summaries": "reading summaries",
    "metrics": "fetching metrics",
    "views": "applying views",
    "publish": "publishing the serving copy",
    "done": "done",
}


@dataclass
class Tally:
    """What the events so far add up to."""

    projects: int = 0
    projects_total: int = 0
    runs: int = 0
    runs_total: int = 0
    failed: int = 0
    points: int = 0
    points_expected: int = 0
    committed_points: int = 0
    bytes_by_source: dict[str, int] = field(default_factory=dict)
    source: str = ""
    phase: str = "starting"
    done: bool = False  # the pull ended: the points are counted, no longer estimated

    @property
    def bytes(self) -> int:
        return sum(self.bytes_by_source.values())

    def apply(self, event: str, data: dict[str, Any]) -> None:
        if event == "targets":
            self.projects_total += data["projects"]
            self.source = data["source"]
        elif event == "phase":
            self.phase = PHASES.get(data["name"], data["name"])
            self.done = data["name"] == "done"
        elif event == "listed":
            self.phase = f"listed {data['project']}: {data['runs']:,} runs"
        elif event == "project":
            self.runs_total += data["runs_to_fetch"]
            self.points_expected += data.get("points_expected", 0)
            self.phase = f"fetching metrics of {data['project']}"
        elif event == "fetched":
            self.runs += 1
            self.failed += bool(data.get("failed"))
            self.points += data["points"]
        elif event == "bytes":
            self.bytes_by_source[self.source] = data["total"]
        elif event == "writing":
            self.phase = f"writing {data['runs']} runs ({data['points']:,} points)"
        elif event == "committed":
            self.committed_points += data["points"]
            self.phase = f"fetching metrics of {data['project']}"
        elif event == "project_done":
            self.projects += 1


# -- plain lines --------------------------------------------------------------------------


class PlainProgress:
    """Log lines for a pipe or a log file: one per phase and project, and a progress line at
    most every ``every`` seconds while metrics arrive."""

    def __init__(
        self,
        every: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        emit: Callable[[str], None] | None = None,
    ) -> None:
        self.tally = Tally()
        self.every, self.clock = every, clock
        self.started = self.last = clock()
        logger = logging.getLogger("swansync.progress")
        self.emit = emit or (lambda line: logger.info("%s", line))

    def __call__(self, event: str, **data: Any) -> None:
        t = self.tally
        t.apply(event, data)
        if event == "phase" and data["name"] not in ("metrics", "done"):
            self.emit(t.phase)
        elif event == "project":
            self.emit(
                f"{data['project']}: {data['runs']:,} runs listed, {data['runs_to_fetch']:,} "
                f"with new metrics (~{data.get('points_expected', 0):,} points)"
            )
        elif (event in ("fetched", "committed") and self.clock() - self.last >= self.every) or (
            event == "phase" and data["name"] == "done" and t.runs
        ):
            self.emit(self.line())

    def line(self) -> str:
        t = self.tally
        self.last = now = self.clock()
        elapsed = max(now - self.started, 1e-9)
        failed = f" ({t.failed} failed)" if t.failed else ""
        size = (  # local folders are read, not downloaded: no bytes to count
            f"{filesize.decimal(t.bytes)} ({filesize.decimal(int(t.bytes / elapsed))}/s), "
            if t.bytes
            else ""
        )
        points = f"{t.points:,}" if t.done else f"{t.points:,}/~{t.points_expected:,}"
        return (
            f"progress: {t.runs:,}/{t.runs_total:,} runs{failed}, {points} points "
            f"({t.points / elapsed:,.0f}/s), {size}{elapsed:.0f}s elapsed"
        )

"""How `swansync pull` shows its progress: bars on a terminal, periodic log lines elsewhere.

Both read the library's progress events (see :data:`swansync.report.ProgressFn`) into one
:class:`Tally`: runs and points advance as each run's metrics arrive (not when a batch commits),
points have a total estimated from the summaries, bytes have a rate, and the current phase
(listing, summaries, fetching, writing a batch, views, publishing) is always named.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rich import filesize
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

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

    @property
    def bytes(self) -> int:
        return sum(self.bytes_by_source.values())

    def apply(self, event: str, data: dict[str, Any]) -> None:
        if event == "targets":
            self.projects_total += data["projects"]
            self.source = data["source"]
        elif event == "phase":
            self.phase = PHASES.get(data["name"], data["name"])
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
        return (
            f"progress: {t.runs:,}/{t.runs_total:,} runs{failed}, {t.points:,}/"
            f"~{t.points_expected:,} points ({t.points / elapsed:,.0f}/s), {size}"
            f"{elapsed:.0f}s elapsed"
        )


# -- bars ---------------------------------------------------------------------------------


class _Bar(BarColumn):
    def render(self, task: Task) -> Any:
        return Text("") if task.fields.get("kind") in ("phase", "bytes") else super().render(task)


class _Count(ProgressColumn):
    """``done/total`` (``~total`` for an estimate), bytes as kB/MB/GB, or the phase's text."""

    def render(self, task: Task) -> Text:
        kind = task.fields.get("kind")
        if kind == "phase":
            return Text(task.fields.get("text", ""))
        fmt = filesize.decimal if kind == "bytes" else "{:,.0f}".format
        done = fmt(int(task.completed))
        if task.total is None or kind == "bytes":
            return Text(done)
        approx = "~" if task.fields.get("estimate") else ""
        return Text(f"{done}/{approx}{fmt(int(task.total))}")


class _Rate(ProgressColumn):
    def render(self, task: Task) -> Text:
        kind, speed = task.fields.get("kind"), task.speed
        if kind in ("phase", "projects") or not speed:
            return Text("")
        if kind == "bytes":
            return Text(f"{filesize.decimal(int(speed))}/s")
        return Text(f"{speed:,.0f}/s" if speed >= 10 else f"{speed:.1f}/s")


class _Time(ProgressColumn):
    """Elapsed time on the phase line; time remaining on the runs and points bars."""

    def __init__(self) -> None:
        super().__init__()
        self.elapsed, self.remaining = TimeElapsedColumn(), TimeRemainingColumn()

    def render(self, task: Task) -> Any:
        kind = task.fields.get("kind")
        if kind == "phase":
            return self.elapsed.render(task)
        if kind in ("runs", "points") and task.total:
            return self.remaining.render(task)
        return Text("")


class RichProgress:
    """Progress on a terminal: the phase with elapsed time; projects; runs and points with
    totals, rates and time left; bytes with a rate."""

    KINDS = ("phase", "projects", "runs", "points", "bytes")

    def __init__(self, console: Console | None = None) -> None:
        self.bar = Progress(
            TextColumn("{task.description:<9}"),
            _Bar(),
            _Count(),
            _Rate(),
            _Time(),
            console=console or Console(stderr=True),
            transient=False,
        )
        self.tally = Tally()
        self.tasks: dict[str, TaskID] = {}

    def __enter__(self) -> RichProgress:
        self.bar.start()
        for kind in self.KINDS:
            total = None if kind in ("phase", "bytes") else 0
            self.tasks[kind] = self.bar.add_task(kind, total=total, kind=kind)
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()

    def note(self, text: str) -> None:
        """One line above the bars (a line written past them would be drawn over)."""
        self.bar.console.print(text, markup=False, highlight=False)

    def __call__(self, event: str, **data: Any) -> None:
        t = self.tally
        t.apply(event, data)
        update = self.bar.update
        update(self.tasks["phase"], text=t.phase)
        update(self.tasks["projects"], completed=t.projects, total=t.projects_total)
        update(self.tasks["runs"], completed=t.runs, total=t.runs_total)
        update(
            self.tasks["points"],
            completed=t.points,
            total=max(t.points_expected, t.points),
            estimate=True,
        )
        update(self.tasks["bytes"], completed=t.bytes)

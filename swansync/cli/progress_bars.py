"""Progress bars of `swansync pull` on a terminal (:class:`RichProgress`), over the same
:class:`~swansync.cli.progress.Tally` as the plain log lines."""

from __future__ import annotations

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

from swansync.cli.progress import Tally


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
        update(  # an estimate from the summaries until the end, then what came
            self.tasks["points"],
            completed=t.points,
            total=t.points if t.done else max(t.points_expected, t.points),
            estimate=not t.done,
        )
        update(self.tasks["bytes"], completed=t.bytes)

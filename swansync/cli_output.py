"""How the CLI shows things: progress bars, tables, CSV-ready frames. Presentation only."""

from __future__ import annotations

import json
from typing import Any

import polars as pl
from rich import filesize
from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TaskID, TextColumn
from rich.table import Table
from rich.text import Text


class Count(ProgressColumn):
    """``done/total`` (or just ``done`` while the total is unknown); bytes as kB/MB/GB."""

    def render(self, task: Task) -> Text:
        fmt = filesize.decimal if task.fields.get("unit") == "bytes" else "{:,.0f}".format
        done = fmt(int(task.completed))
        return Text(done if task.total is None else f"{done}/{fmt(int(task.total))}")


class RichProgress:
    """Progress bars on a terminal: projects, runs, points, bytes."""

    def __init__(self, console: Console | None = None) -> None:
        self.bar = Progress(
            TextColumn("{task.description:<10}"),
            BarColumn(),
            Count(),
            console=console or Console(stderr=True),
            transient=False,
        )
        self.tasks: dict[str, TaskID] = {}
        self.bytes_task: TaskID | None = None

    def __enter__(self) -> RichProgress:
        self.bar.start()
        self.tasks["projects"] = self.bar.add_task("projects", total=0)
        self.tasks["runs"] = self.bar.add_task("runs", total=0)
        self.tasks["points"] = self.bar.add_task("points", total=None)
        self.bytes_task = self.bar.add_task("bytes", total=None, unit="bytes")
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()

    def __call__(self, event: str, **data: Any) -> None:
        if event == "targets":
            self.bar.update(self.tasks["projects"], total=data["projects"])
        elif event == "project":
            t = self.tasks["runs"]
            total = self.bar.tasks[t].total or 0
            self.bar.update(t, total=total + data["runs_to_fetch"])
        elif event == "project_done":
            self.bar.advance(self.tasks["projects"])
        elif event == "run":
            self.bar.advance(self.tasks["runs"])
            self.bar.advance(self.tasks["points"], data["points"])
        elif event == "bytes" and self.bytes_task is not None:
            self.bar.update(self.bytes_task, completed=data["total"])


def frame_table(frame: Any, title: str | None = None) -> Table:
    table = Table(*frame.columns, title=title)
    for row in frame.iter_rows():
        table.add_row(*("" if v is None else str(v) for v in row))
    return table


def csv_ready(frame: Any) -> Any:
    """CSV has no lists or structs: write nested cells (labels, run_ids, ...) as JSON text."""
    nested = [c for c, t in frame.schema.items() if t.is_nested()]
    return frame.with_columns(
        pl.Series(
            c, [None if v is None else json.dumps(v, default=str) for v in frame[c].to_list()]
        )
        for c in nested
    )

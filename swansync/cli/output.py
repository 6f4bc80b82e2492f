"""How the CLI shows tables (status, query, views, demo) and writes query output to files and
pipes. Presentation only; progress is in :mod:`swansync.cli.progress`."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

# -- tables -------------------------------------------------------------------------------
#
# On a terminal a table uses the width there is: columns are shown from the left while they fit,
# long cells wrap (never cut with "…"), and a last line says which columns were left out.
# Anywhere else (a pipe, a file) nothing is cut: plain text, one line per row, every column at
# full width, so `swansync status | grep` and `query ... > out.txt` see every value.

GAP = 2  # spaces between columns in plain text
MIN_WRAPPED = 12  # narrowest a wrapped column may get before it is left out instead


def cell(value: Any) -> str:
    """One value as text: None is empty, floats keep every digit (repr), one line per cell."""
    if value is None:
        return ""
    text = repr(value) if isinstance(value, float) else str(value)
    return text.translate(_ONE_LINE)


# Line breaks and tabs inside a value are shown as \n, \r, \t: a row stays one line.
_ONE_LINE = str.maketrans({"\n": "\\n", "\r": "\\r", "\t": "\\t"})


def plain_table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Full-width aligned text: a header line, then one line per row; nothing is cut."""
    widths = [cell_len(c) for c in columns]
    for row in rows:
        widths = [max(w, cell_len(v)) for w, v in zip(widths, row, strict=True)]
    return "".join(
        (" " * GAP)
        .join(v + " " * (w - cell_len(v)) for v, w in zip(line, widths, strict=True))
        .rstrip()
        + "\n"
        for line in [columns, *rows]
    )


def fit_columns(columns: Sequence[str], rows: Sequence[Sequence[str]], width: int) -> int:
    """How many columns, from the left, fit in ``width`` (a box table: 3 cells of padding and
    border per column, plus one). The last shown column may wrap when it gets at least
    MIN_WRAPPED characters (or its header's length); at least one column is always shown."""
    used = 1
    for i, name in enumerate(columns):
        natural = max([cell_len(name), *(cell_len(r[i]) for r in rows)])
        room = width - used - 3
        if natural <= room:
            used += natural + 3
            continue
        return i + 1 if room >= max(MIN_WRAPPED, cell_len(name)) or i == 0 else i
    return len(columns)


def print_table(
    console: Console,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    title: str | None = None,
) -> None:
    """A table on ``console``: boxed and fitted on a terminal, full plain text elsewhere."""
    text_rows = [[cell(v) for v in row] for row in rows]
    if not console.is_terminal:
        if title:
            console.file.write(title + "\n")
        console.file.write(plain_table(columns, text_rows))
        console.file.flush()
        return
    shown = fit_columns(columns, text_rows, console.width)
    table = Table(title=title, title_justify="left")
    for name in columns[:shown]:
        table.add_column(Text(name), overflow="fold")
    for row in text_rows:
        table.add_row(*(Text(v) for v in row[:shown]))
    console.print(table)
    hidden = list(columns[shown:])
    if hidden:
        console.print(
            Text(
                f"{len(hidden)} more column(s) not shown: {', '.join(hidden)} "
                "(widen the terminal, or pipe the output: it is never cut)"
            )
        )


def frame_rows(frame: Any) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and rows of a polars frame."""
    return list(frame.columns), list(frame.iter_rows())


# -- files and pipes ------------------------------------------------------------------


def query_table(q: Any, output: Path | None, console: Console) -> None:
    """``swansync query --format table``: on ``console``, or as plain text into ``output``."""
    if output is None:
        print_table(console, q.columns, q.rows())
        return

    def table(f: Any) -> None:
        text = io.TextIOWrapper(f, encoding="utf-8", newline="")
        print_table(Console(file=text), q.columns, q.rows())
        text.flush()
        text.detach()

    write_atomically(output, table)


def write_atomically(path: Path, write: Any) -> None:
    """Write through a temporary file beside ``path``, renamed over it only when complete:
    a failed or interrupted query leaves no half-written file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as f:
            write(f)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def reader_left() -> NoReturn:
    """The reader of stdout had enough (`swansync query ... | head`): stop quietly with exit 0,
    whichever way the output was written (nothing more goes to the closed pipe)."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    raise SystemExit(0)


@contextmanager
def reader_may_leave() -> Iterator[None]:
    """Around what a command writes to stdout: a broken pipe is :func:`reader_left`."""
    try:
        yield
        sys.stdout.flush()
    except OSError as e:
        if isinstance(e, BrokenPipeError) or stdout_gone():
            reader_left()
        raise


class OutConsole(Console):
    """rich's console for stdout, whose broken pipe is :func:`reader_left` (rich exits 1)."""

    def on_broken_pipe(self) -> None:
        reader_left()


def stdout_gone() -> bool:
    """Whether stdout is a pipe whose reader has closed it (the writer's end reports an error;
    polars says so only in the text of a plain OSError)."""
    import select

    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(ev & select.POLLERR for _, ev in poller.poll(0))
    except (OSError, ValueError):
        return False

"""Tables: on a terminal they fit the width and say what they leave out; piped, nothing is cut."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console

from swansync.cli.output import cell, fit_columns, plain_table, print_table
from tests.cli.test_cli import run_cli

COLUMNS = ["project", "run", "state", "note", "value"]
ROWS: list[list[Any]] = [
    ["team/a-very-long-project-name-indeed", "run-1", "FINISHED", "x" * 120, 0.9434999999999999],
    ["team/b", "run\nwith newline", "RUNNING", None, 0.9435],
]


def render(*, terminal: bool, width: int) -> str:
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=terminal, width=width, color_system=None)
    print_table(console, COLUMNS, ROWS)
    return buf.getvalue()


def test_piped_table_is_full_width_plain_text_one_line_per_row():
    text = render(terminal=False, width=80)
    lines = text.splitlines()
    assert len(lines) == 3  # header + 2 rows: the newline in a name does not split a row
    assert "x" * 120 in lines[1]  # nothing cut at 80 columns
    assert "0.9434999999999999" in lines[1] and "0.9435" in lines[2]  # every digit, no ties
    assert "run\\nwith newline" in lines[2]
    assert "…" not in text and "│" not in text
    # columns line up: every value starts where its header starts
    start = lines[0].index("state")
    assert lines[1][start:].startswith("FINISHED") and lines[2][start:].startswith("RUNNING")


def test_terminal_table_fits_the_width_and_counts_hidden_columns():
    text = render(terminal=True, width=80)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "…" not in text  # long cells wrap, they are not cut
    assert "2 more column(s) not shown: note, value" in text
    wide = render(terminal=True, width=250)
    assert "not shown" not in wide
    assert "x" * 120 in wide and "0.9434999999999999" in wide


def test_fit_columns():
    rows = [[cell(v) for v in r] for r in ROWS]
    assert fit_columns(COLUMNS, rows, 1000) == len(COLUMNS)
    assert fit_columns(COLUMNS, rows, 10) == 1  # the first column always shows (wrapped)
    assert 1 < fit_columns(COLUMNS, rows, 80) < len(COLUMNS)


def test_plain_table_aligns_wide_characters():
    from rich.cells import cell_len

    lines = plain_table(["名前", "n"], [["実験", "1"], ["ab", "2"]]).splitlines()
    assert [cell_len(line[:-1]) for line in lines] == [6, 6, 6]  # on screen, not in characters


def test_query_and_views_list_piped_are_never_cut(tmp_path):
    db = tmp_path / "w.duckdb"
    import duckdb

    duckdb.connect(str(db)).close()
    long_value = "y" * 300
    result = run_cli("query", f"SELECT '{long_value}' AS long, 1 AS a", "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert long_value in result.stdout
    assert result.stdout.splitlines()[1].rstrip().endswith("1")
    views = run_cli("views", "list")
    assert "…" not in views.stdout
    assert max(len(line) for line in views.stdout.splitlines()) > 80  # descriptions whole

"""`swansync demo`: real results from the simulator, and it never deletes someone's warehouse."""

from __future__ import annotations

import duckdb
import pytest

from swansync.demo import run_demo
from swansync.errors import ConfigError


def test_demo_mirrors_and_ranks(tmp_path):
    db = tmp_path / "demo.duckdb"
    result = run_demo(db)
    assert result.first.status == "ok"
    assert result.first.rows["metrics"] == result.totals["points"][0] > 0
    assert result.second.rows["metrics"] == 0  # the second pull is a no-op
    board = result.leaderboard
    assert board.height > 0
    for _, group in board.group_by("project"):
        values = group.sort("rank")["best_val_acc"].to_list()
        assert values == sorted(values, reverse=True)
    again = run_demo(db)  # a rerun starts from a fresh demo warehouse
    assert again.first.rows["metrics"] == result.first.rows["metrics"]


def test_demo_refuses_a_warehouse_that_is_not_its_own(tmp_path):
    other = tmp_path / "mine.duckdb"
    duckdb.connect(str(other)).execute("CREATE TABLE precious (a INT)").close()
    with pytest.raises(ConfigError, match="not a swansync demo warehouse"):
        run_demo(other)
    assert duckdb.connect(str(other)).execute("SELECT count(*) FROM precious").fetchone() == (0,)


def test_demo_leaderboard_names_runs_by_id_and_keeps_every_digit(tmp_path):
    """Run names repeat in the demo world and rounded values looked tied: the board shows the
    run id and the exact stored value."""
    result = run_demo(tmp_path / "demo.duckdb")
    board = result.leaderboard
    assert "run_id" in board.columns
    assert board.select("project", "run_id").is_unique().all()
    con = duckdb.connect(str(result.db), read_only=True)
    for project, run_id, value in board.select("project", "run_id", "best_val_acc").iter_rows():
        stored = con.execute(
            "SELECT max(value) FROM metrics WHERE project = ? AND run_id = ? AND key = 'val/acc'"
            " AND NOT isnan(value)",
            [project, run_id],
        ).fetchone()
        assert stored == (value,)
    con.close()


def test_the_hint_names_a_command_this_shell_can_run(monkeypatch, tmp_path):
    """`make demo` runs from .venv, whose bin folder is not on PATH: the hint names the
    console script there, and plain `swansync` when it is on PATH."""
    import sys
    from pathlib import Path

    from swansync.cli.commands import _command

    venv = tmp_path / "venv" / "bin"
    venv.mkdir(parents=True)
    (venv / "swansync").write_text("#!/bin/sh\n")
    (venv / "swansync").chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(venv / "python"))
    monkeypatch.setenv("PATH", str(tmp_path / "elsewhere"))
    assert _command() == str(Path(venv / "swansync"))
    monkeypatch.setenv("PATH", str(venv))
    assert _command() == "swansync"

"""Input refused before anything is written: one line on stderr, exit 2, no warehouse file
(a missing or empty folder, a file given as a folder, a URL or host that does not parse, no
API key, an empty path)."""

from __future__ import annotations

from pathlib import Path

import pytest

from swansync.report import Failure
from tests.cli.test_cli import run_cli
from tests.cli.test_errors import assert_one_line

CASES = {
    "missing logdir": (["--logdir", "{tmp}/nope"], "no such folder"),
    "logdir is a file": (["--logdir", "{tmp}/file.txt"], "is a file, not a folder"),
    "empty logdir": (["--logdir", ""], "--logdir is empty"),
    "logdir one level too high": (["--logdir", "{tmp}"], "no runs.swanlab"),
    "dashboard not a URL": (["--dashboard", "not-a-url"], "dashboard URL 'not-a-url'"),
    "malformed host": (["--project", "a/b", "--host", "http://"], "invalid SwanLab host"),
    "source name for a logdir": (
        ["--logdir", "{tmp}/inner", "--source-name", "lab"],
        "--source-name",
    ),
    "no key at all": (["--project", "a/b", "--host", "http://127.0.0.1:9"], "no SwanLab API key"),
}


@pytest.mark.parametrize("case", CASES)
def test_refused_input_is_one_line_exit_2_and_writes_no_warehouse(tmp_path: Path, case) -> None:
    (tmp_path / "file.txt").write_text("not a folder\n")
    (tmp_path / "inner").mkdir()  # the log folder is one level down
    args, needle = CASES[case]
    db = tmp_path / "w.duckdb"
    result = run_cli(
        "pull",
        *(a.format(tmp=tmp_path) for a in args),
        "--db",
        str(db),
        env_extra={"HOME": str(tmp_path)},  # no `swanlab login` file
        timeout=120,
    )
    assert_one_line(result, 2, needle)
    assert not db.exists() and not Path(f"{db}.wal").exists()
    assert result.stdout == ""


@pytest.mark.parametrize("command", [["pull", "--logdir", "."], ["status"], ["query", "FROM runs"]])
def test_an_empty_db_path_is_refused(command) -> None:
    assert_one_line(run_cli(*command, "--db", "", timeout=120), 2, "--db is empty")


def test_a_failure_names_its_target_once() -> None:
    assert str(Failure("/tmp/x", None, "/tmp/x: no runs.swanlab here")) == (
        "/tmp/x: no runs.swanlab here"
    )
    assert str(Failure("a/b", "r1", "HTTP 500")) == "a/b run r1: HTTP 500"

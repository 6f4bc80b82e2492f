"""The ``swansync`` process leaves without the interpreter's teardown (issue 15: 0.1-0.2 CPU-s
per command). These check that nothing a command wrote is lost on the way out and that exit
statuses are those ``sys.exit`` would give."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from swansync.warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[2]


def _leave(body: str) -> subprocess.CompletedProcess[str]:
    code = f"import logging, sys\nfrom swansync.__main__ import leave\n{body}\n"
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("arg", "status", "stderr"),
    [("None", 0, ""), ("0", 0, ""), ("3", 3, ""), ("130", 130, ""), ("'bad'", 1, "bad\n")],
)
def test_status_is_what_sys_exit_would_give(arg: str, status: int, stderr: str) -> None:
    got = _leave(f"leave({arg})")
    assert (got.returncode, got.stderr) == (status, stderr)


def test_buffered_output_and_log_files_are_flushed(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    body = (
        f"logging.basicConfig(filename={str(log)!r}, level=logging.INFO)\n"
        "logging.getLogger('t').info('last words')\n"
        "sys.stdout.write('y' * 300_000)\nsys.stderr.write('to stderr')\nleave(2)"
    )
    got = _leave(body)
    assert got.returncode == 2
    assert got.stdout == "y" * 300_000
    assert got.stderr == "to stderr"
    assert "last words" in log.read_text()


def test_a_reader_that_left_does_not_change_the_status() -> None:
    """``swansync query ... | head``: the pipe closes before the output is flushed."""
    code = (
        "import sys\nfrom swansync.__main__ import leave\n"
        "sys.stdout.write('z\\n' * 1_000_000)\nleave(0)"
    )
    with subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.read(10)
        proc.stdout.close()
        err = proc.stderr.read()
        assert proc.wait(timeout=120) == 0
    assert b"Traceback" not in err and b"BrokenPipe" not in err


def test_the_command_writes_all_its_output(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    cmd = [sys.executable, "-m", "swansync"]
    with Warehouse(db) as wh:
        wh.migrate()
    got = subprocess.run(
        [*cmd, "query", "--db", str(db), "--format", "csv", "SELECT range AS n FROM range(100000)"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert got.returncode == 0, got.stderr
    lines = got.stdout.splitlines()
    assert lines[0] == "n" and lines[-1] == "99999" and len(lines) == 100_001
    bad = subprocess.run(
        [*cmd, "query", "--db", str(tmp_path / "missing" / "w.duckdb"), "SELECT 1"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1, bad.stderr

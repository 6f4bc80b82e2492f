"""Error paths a new user hits: one line on stderr, no traceback, the documented exit code."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tests.cli.test_cli import run_cli


def assert_one_line(result, code: int, *needles: str) -> None:
    assert result.returncode == code, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:"), lines
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0]


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


def test_sim_serve_on_a_busy_port_is_one_line_exit_2(busy_port: int) -> None:
    result = run_cli("sim", "serve", "--port", str(busy_port), timeout=120)
    assert_one_line(result, 2, f"127.0.0.1:{busy_port}", "--port")


@pytest.mark.parametrize("port", ["70000", "-1"])
def test_sim_serve_on_an_invalid_port_is_one_line_exit_2(port: str) -> None:
    assert_one_line(run_cli("sim", "serve", "--port", port, timeout=120), 2, port, "0-65535")


def test_sim_serve_unknown_world_is_one_line_exit_2() -> None:
    assert_one_line(run_cli("sim", "serve", "--world", "nope", timeout=120), 2, "nope")


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl", "table"])
def test_a_reader_that_leaves_early_gets_no_error_message(tmp_path, fmt: str) -> None:
    """`swansync query ... | head`: no traceback, no 'error: Broken pipe' line, and exit 0
    whatever the format (a reader that had enough; when the output fits in the pipe the writer
    never learns the reader left, so 0 is the only code a pipe can give consistently)."""
    import os
    import subprocess
    import sys

    import duckdb

    db = tmp_path / "w.duckdb"
    duckdb.connect(str(db)).execute(
        "CREATE TABLE t AS SELECT range AS i FROM range(300000)"
    ).close()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SWANLAB_", "SWANSYNC_"))}
    cmd = [sys.executable, "-m", "swansync", "query", "FROM t", "--db", str(db), "-f", fmt]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.readline()  # the first line arrived; the reader goes away
        proc.stdout.close()
        err = proc.stderr.read().decode()
        proc.wait(timeout=120)
    assert err == ""
    assert proc.returncode == 0

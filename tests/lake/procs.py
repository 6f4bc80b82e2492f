"""Worker processes (``tests/lake/worker.py``) for the tests and the commit benchmark.

Each worker's stdout is read by a thread into a queue, so every wait here has a deadline: a
worker that hangs (say, on a catalog lock) fails the test instead of stalling the suite.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
WAIT = 120.0  # seconds a worker may take to start or to print its next line


class Worker:
    """A started worker that has connected and printed READY; :meth:`go` releases it."""

    def __init__(self, args: Sequence[str], env: Mapping[str, str]) -> None:
        self.mode = args[0]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.lake.worker", *args],
            cwd=REPO,
            env=dict(env),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._err: list[str] = []
        self._threads = [
            threading.Thread(target=self._pump, daemon=True),
            threading.Thread(target=self._pump_err, daemon=True),
        ]
        for t in self._threads:
            t.start()
        first = self._next(WAIT, "start")
        if first.strip() != "READY":
            self.kill()
            raise RuntimeError(f"worker {self.mode} did not start: {first!r} {self.stderr()}")

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def _pump_err(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self._err.append(line)

    def _next(self, timeout: float, what: str) -> str:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            self.kill()
            raise RuntimeError(f"worker {self.mode}: no {what} within {timeout:.0f}s") from None
        if line is None:
            self.proc.wait(30)
            raise RuntimeError(
                f"worker {self.mode} ended ({self.proc.returncode}): {self.stderr()}"
            )
        return line

    def stderr(self) -> str:
        return "".join(self._err)[-3000:]

    def go(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def readline(self, timeout: float = WAIT) -> dict[str, Any]:
        """The next JSON line the worker prints."""
        result: dict[str, Any] = json.loads(self._next(timeout, "output line"))
        return result

    def results(self, timeout: float = 600) -> list[dict[str, Any]]:
        """Close stdin, wait for the exit, and return the JSON lines it printed."""
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise RuntimeError(f"worker {self.mode} still running after {timeout:.0f}s") from None
        out: list[dict[str, Any]] = []
        while True:
            line = self._lines.get(timeout=30)
            if line is None:
                break
            if line.startswith("{"):
                out.append(json.loads(line))
        self.kill()  # reaps and closes the pipes
        if self.proc.returncode != 0:
            raise RuntimeError(
                f"worker {self.mode} failed ({self.proc.returncode}): {self.stderr()}"
            )
        return out

    def kill(self) -> None:
        """SIGKILL (by pid) when still running; then reap it and close its pipes."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)
        for t in self._threads:  # they end at EOF, right after the process
            t.join(30)
        for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()


def start(
    mode: str, catalog: str, data_path: str | None, env: Mapping[str, str], **options: Any
) -> Worker:
    args = [mode, "--catalog", catalog]
    if data_path:
        args += ["--data-path", data_path]
    for k, v in options.items():
        args += [f"--{k.replace('_', '-')}", str(v)]
    return Worker(args, env)

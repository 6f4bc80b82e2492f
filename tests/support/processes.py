"""`python -m swansync ...` as a real child process that tests send signals to, synchronised
without sleeps: :class:`HoldOne` holds one metric download of the simulator until the test
releases it, so a signal can land mid-pull with a fetch in flight, and :class:`Child` reads the
child's stderr line by line so a test waits for what it said (never for a time).

    with swansync_child(["pull", ...], {"SWANLAB_API_KEY": key}, hold=hold) as child:
        assert hold.held.wait(timeout=300)
        child.proc.send_signal(signal.SIGINT)
        assert child.wait_line("received"), child.err
        hold.release.set()
        out = child.finish()

On leaving the block the hold is released and a child still alive is killed (by its handle:
ours alone) and its pipes closed, whatever the test asserted.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import IO, Any

from trackersim.swanlab import Faults

DOWNLOADS = "GET /_files/"


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without SWANLAB_*/SWANSYNC_* settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SWANLAB_", "SWANSYNC_"))}
    return {**env, **extra}


class HoldOne(Faults):
    """Faults that hold the ``nth`` metric download until ``release`` is set."""

    def __init__(self, nth: int) -> None:
        super().__init__()
        self.nth, self.seen = nth, 0
        self.held, self.release = threading.Event(), threading.Event()

    def decide(self, route: str, is_data: bool, fingerprint: str = "", klass: Any = "json") -> Any:
        if route.startswith(DOWNLOADS):
            with self._lock:
                self.seen += 1
                mine = self.seen == self.nth
            if mine:
                self.held.set()
                self.release.wait(timeout=300)
        return super().decide(route, is_data, fingerprint, klass)


def _lines_of(stream: IO[str]) -> queue.Queue[str]:
    q: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:
            q.put(line)
        q.put("")  # end of stream

    threading.Thread(target=pump, daemon=True).start()
    return q


class Child:
    """A running ``swansync`` process; its stderr lines read so far are in ``seen``."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        assert proc.stdout is not None and proc.stderr is not None
        self._out = _lines_of(proc.stdout)  # read on a thread too: a full pipe never blocks it
        self._lines = _lines_of(proc.stderr)
        self.seen: list[str] = []

    @property
    def err(self) -> str:
        """The stderr read so far."""
        return "".join(self.seen)

    def wait_line(self, needle: str) -> str:
        """The next stderr line holding ``needle``; "" if stderr ends first."""
        while True:
            line = self._lines.get(timeout=120)
            self.seen.append(line)
            if not line or needle in line:
                return line

    def finish(self, timeout: float = 300) -> str:
        """Wait up to ``timeout`` seconds for the child to end, read the rest of stderr into
        ``seen``; its stdout."""
        self.proc.wait(timeout=timeout)
        while (line := self._lines.get(timeout=60)) != "":
            self.seen.append(line)
        out: list[str] = []
        while (line := self._out.get(timeout=60)) != "":
            out.append(line)
        return "".join(out)


@contextmanager
def swansync_child(
    args: list[str], env: Mapping[str, str] | None = None, *, hold: HoldOne | None = None
) -> Iterator[Child]:
    """``python -m swansync ARGS`` in :func:`clean_env` plus ``env``; see the module doc."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "swansync", *args],
        env=clean_env(**(env or {})),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield Child(proc)
    finally:
        if hold is not None:
            hold.release.set()
        if proc.poll() is None:
            proc.kill()  # our own child, by its handle
            proc.wait(timeout=60)
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()

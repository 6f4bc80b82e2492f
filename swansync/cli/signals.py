"""Ctrl-C and SIGTERM during a pull or the scheduler: stop at the next transaction boundary
(CLI support)."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import NoReturn


class StopNow(KeyboardInterrupt):
    """A second signal: stop at once. A KeyboardInterrupt, so the pull records ``interrupted``
    on its way out (also when it lands in a query and DuckDB reports it as its own error: see
    :func:`swansync.warehouse.interrupted`); ``signum`` gives the exit code (128 + it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@contextmanager
def stop_on_signals(stop: threading.Event, say: Callable[[str], None]) -> Iterator[list[int]]:
    """While the block runs, SIGINT (Ctrl-C) and SIGTERM set ``stop``: the pull ends at its
    next transaction boundary and records ``interrupted``. One line says so at once. A second
    signal says so too and raises :class:`StopNow` in the main thread: the waits on worker
    threads give up (fetches in flight are abandoned); the command then calls
    :func:`exit_now`. Yields the list the received signals' numbers are appended to."""
    caught: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield caught
        return

    signals = (signal.SIGINT, signal.SIGTERM)
    busy: list[int] = []  # the handler is writing its line; signals meanwhile wait in `later`
    later: list[int] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        caught.append(signum)
        if busy:  # Python runs a handler inside the one in progress: never write two at once
            later.append(signum)
            return
        busy.append(signum)
        try:
            name = signal.Signals(signum).name
            if stop.is_set():
                say(f"{name} received again: stopping now (what committed stays)")
                raise StopNow(signum)
            stop.set()
            again = "Ctrl-C" if signum == signal.SIGINT else name
            say(
                f"{name} received: stopping after the current transaction "
                f"({again} again to stop at once; the next pull carries on)"
            )
        finally:
            busy.clear()
        if later:
            handler(later.pop(0), frame)

    previous = {s: signal.signal(s, handler) for s in signals}
    try:
        yield caught
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def exit_now(signum: int) -> NoReturn:
    """End the process after a second signal: 128 + its number, without waiting for the
    fetches still in flight on worker threads (a normal exit joins them: up to a request's
    timeout). What committed stays; the pull has recorded ``interrupted`` on its way out."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(128 + signum)

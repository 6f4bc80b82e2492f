"""Ctrl-C and SIGTERM during a pull: stop at the next transaction boundary (CLI support)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType


@contextmanager
def stop_on_signals(stop: threading.Event, say: Callable[[str], None]) -> Iterator[list[int]]:
    """While the block runs, SIGINT (Ctrl-C) and SIGTERM set ``stop``: the pull ends at its
    next transaction boundary and records ``interrupted``. One line says so at once. A second
    signal gets the default behaviour (Ctrl-C raises KeyboardInterrupt, SIGTERM kills).
    Yields the list the received signal's number is appended to."""
    caught: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield caught
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        for s, h in previous.items():  # the next one is not handled gently
            signal.signal(s, h)
        caught.append(signum)
        stop.set()
        name = signal.Signals(signum).name
        again = "Ctrl-C" if signum == signal.SIGINT else name
        say(
            f"{name} received: stopping after the current transaction "
            f"({again} again to stop at once; the next pull carries on)"
        )

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield caught
    finally:
        for s, h in previous.items():
            signal.signal(s, h)

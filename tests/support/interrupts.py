"""A Ctrl-C that lands while DuckDB runs a query, without sleeps or timing.

The query reads a named pipe, so it is under way (inside DuckDB) once the pipe's writer can open
it. The writer then trips SIGINT for the main thread, as a real Ctrl-C does: Python runs the
handler (the default one raises KeyboardInterrupt, like the CLI's second Ctrl-C) when DuckDB next
checks for signals, in the middle of the query; then it feeds rows until the query stops reading.
"""

from __future__ import annotations

import _thread
import contextlib
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROWS = b"1\n" * 50_000  # one write; DuckDB checks for signals between its tasks
WRITES = 40  # enough rows for several tasks after the signal


def ctrl_c() -> None:
    """What a Ctrl-C does to Python: SIGINT for the main thread, handled at its next check."""
    _thread.interrupt_main(signal.SIGINT)


def query_hit_by_ctrl_c(con: Any, folder: Path, hit: Callable[[], None] = ctrl_c) -> None:
    """Run a query on the DuckDB connection ``con`` that a Ctrl-C (or ``hit``) lands in;
    whatever the query raises propagates (the test asserts what it is)."""
    fifo = folder / "ctrl-c.pipe"
    os.mkfifo(fifo)

    def feed() -> None:
        with contextlib.suppress(BrokenPipeError), fifo.open("wb") as pipe:
            hit()  # the query has the pipe open: it is running
            for _ in range(WRITES):
                pipe.write(ROWS)

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        con.execute(
            f"SELECT count(*) FROM read_csv('{fifo}', columns = {{'n': 'BIGINT'}}, "
            "header = false, auto_detect = false)"
        ).fetchall()
    finally:
        # Whatever the query left unread (or never opened), read to the writer's end.
        reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        os.set_blocking(reader, True)
        while os.read(reader, 1 << 16):
            pass
        writer.join()
        os.close(reader)
        signal.signal(signal.SIGINT, previous)
        fifo.unlink()

"""Run the simulator as a foreground process (``python -m trackersim.swanlab serve``)."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from types import FrameType

from trackersim.swanlab.generate import build_world
from trackersim.swanlab.server import SimServer

log = logging.getLogger("trackersim.swanlab")


def serve(
    world_name: str,
    port: int,
    seed: int,
    host: str = "127.0.0.1",
    quiet: bool = False,
    hostile: bool | None = None,
) -> None:
    """Serve a preset world until SIGTERM/SIGINT. Writes ``READY <url> <api_key>`` to stdout
    (a machine-readable handshake for the parent process, not a user message) once listening.
    ``hostile`` None = the preset's default (see :func:`build_world`)."""
    world = build_world(world_name, seed=seed, hostile=hostile)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    sim = SimServer(world, port=port, host=host, log_requests=not quiet)
    try:
        with sim:
            sys.stdout.write(f"READY {sim.url} {sim.api_key}\n")
            sys.stdout.flush()
            while not stop.wait(0.5):
                pass
            log.info("simulator stopping")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

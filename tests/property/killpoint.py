"""``python -m tests.property.killpoint N before|after|never -- ARGS``: ``swansync ARGS`` in this
process, killed with SIGKILL at the N-th warehouse transaction, just before its COMMIT or just
after it ("never": not killed here; the test may kill it from the simulator instead).

A synchronised kill, not a timed one: the process kills itself at an exact point of the pull.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from swansync import cli
from swansync.warehouse import Warehouse


def arm(n: int, when: str) -> None:
    """Patch :meth:`Warehouse.transaction` to SIGKILL this process at transaction ``n``."""
    original = Warehouse.transaction
    seen = 0

    @contextmanager
    def transaction(self: Warehouse, target: tuple[str, str] | None = None) -> Iterator[Warehouse]:
        nonlocal seen
        with original(self, target) as wh:
            yield wh
            seen += 1
            if seen == n and when == "before":
                os.kill(os.getpid(), signal.SIGKILL)  # the block ran; COMMIT never does
        if seen == n and when == "after":
            os.kill(os.getpid(), signal.SIGKILL)

    Warehouse.transaction = transaction  # type: ignore[method-assign]


def main(argv: list[str]) -> None:
    n, when, sep, *args = argv
    if sep != "--" or when not in ("before", "after", "never"):
        raise SystemExit("usage: killpoint N before|after|never -- SWANSYNC-ARGS")
    if when != "never":
        arm(int(n), when)
    sys.argv = ["swansync", *args]
    cli.main()


if __name__ == "__main__":
    main(sys.argv[1:])

"""`python -m tests.lake.killpoint N before|after -- SWANSYNC-ARGS`: the swansync CLI, SIGKILLed
at its N-th lake write transaction -- ``before`` its COMMIT (the block ran) or right ``after``.
The lake counterpart of tests/property/killpoint.py (a lake has its own transaction)."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from swansync import cli
from swansync.warehouse import Warehouse
from swansync.warehouse.lake import LakeWarehouse


def arm(n: int, when: str) -> None:
    original = LakeWarehouse.transaction
    seen = 0

    @contextmanager
    def transaction(
        self: LakeWarehouse, target: tuple[str, str] | None = None
    ) -> Iterator[Warehouse]:
        nonlocal seen
        with original(self, target) as wh:
            yield wh
            if target is not None:
                seen += 1
                if seen == n and when == "before":
                    os.kill(os.getpid(), signal.SIGKILL)  # the block ran; COMMIT never does
        if target is not None and seen == n and when == "after":
            os.kill(os.getpid(), signal.SIGKILL)

    LakeWarehouse.transaction = transaction  # type: ignore[method-assign,assignment]


def main(argv: list[str]) -> None:
    n, when, sep, *args = argv
    if sep != "--" or when not in ("before", "after"):
        raise SystemExit("usage: killpoint N before|after -- SWANSYNC-ARGS")
    arm(int(n), when)
    sys.argv = ["swansync", *args]
    cli.main()


if __name__ == "__main__":
    main(sys.argv[1:])

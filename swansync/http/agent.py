"""How swansync names itself to the servers it reads: ``User-Agent: swansync/<version>``."""

from __future__ import annotations

import functools
import importlib.metadata


@functools.cache
def user_agent() -> str:
    """``swansync/<installed version>``, or ``swansync/dev`` from a source tree that is not
    installed. Read once, on the first client built: the package metadata lookup scans
    ``sys.path``, which a command that never talks HTTP should not pay for."""
    try:
        version = importlib.metadata.version("swansync")
    except importlib.metadata.PackageNotFoundError:
        version = "dev"
    return f"swansync/{version}"

"""``python -m swansync`` and the ``swansync`` command.

``--version`` is answered here, before the CLI (typer, rich) is imported: it is what scripts and
health checks call, and it should cost no more than starting Python.

When a command is done, the process leaves without the interpreter's teardown: unloading
polars, pyarrow and DuckDB module by module costs 0.1-0.2 CPU-s, more than a no-op pull's own
work on a quiet machine. Everything a command writes is written by then: the warehouse is closed
and sources (with their temporary files) are closed by the library before it returns; what is
left is flushed here (stdout, stderr, logging handlers).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from typing import NoReturn


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from swansync import __version__

        print(f"swansync {__version__}")
        return
    from swansync.cli import main as cli_main

    try:
        cli_main()
    except SystemExit as e:
        leave(e.code)
    leave(0)


def leave(code: object) -> NoReturn:
    """Flush what the command wrote and end the process with ``code`` (as ``sys.exit`` reads
    it: None is 0, a string is printed on stderr and is 1), skipping the interpreter's
    teardown. A reader that went away (``| head``) does not change the status; a failed flush
    of stdout (a full disk) is one line and 1."""
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        print(code, file=sys.stderr)
        status = 1
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        pass
    except OSError as e:
        status = 1
        print(f"error: {e}", file=sys.stderr)
    logging.shutdown()
    with contextlib.suppress(OSError):
        sys.stderr.flush()
    os._exit(status)


if __name__ == "__main__":
    main()

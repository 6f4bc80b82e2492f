"""The ``swansync`` command: a thin skin over the library.

Each command builds :class:`~swansync.config.Settings`, calls one library function and prints a
summary. Errors are :class:`~swansync.errors.SwansyncError`; they are printed here, once, as one
line on stderr, with exit code 2 for usage/config/auth problems and 1 otherwise.

Layout: :mod:`.common` (apps, consoles, shared options), :mod:`.pull`, :mod:`.commands` (the
others), :mod:`.output` (tables, files), :mod:`.progress` (bars and log lines), :mod:`.signals`.
"""

from __future__ import annotations

import sys

from swansync.cli import commands, pull  # noqa: F401  (registers the commands on the app)
from swansync.cli.common import STATE, app, err_console, say
from swansync.errors import SwansyncError

__all__ = ["app", "main"]


def main() -> None:
    """Entry point: run the app, turning SwansyncError into one line and an exit code.

    Usage errors are click's: it prints them with the usage line and exits 2 by itself.
    File errors (a folder that does not exist, a full disk) are one line and exit 1.
    """
    try:
        app()
    except SwansyncError as e:
        if STATE.debug:
            err_console().print_exception()
        say(f"error: {e}")
        sys.exit(e.exit_code)
    except OSError as e:
        from swansync.cli.output import reader_left, stdout_gone

        if isinstance(e, BrokenPipeError) or stdout_gone():
            reader_left()  # `swansync query ... | head`: no message, exit 0
        if STATE.debug:
            err_console().print_exception()
        say(f"error: {e}")
        sys.exit(1)
    except KeyboardInterrupt:
        say("interrupted")
        sys.exit(130)

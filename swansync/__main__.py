"""``python -m swansync`` and the ``swansync`` command.

``--version`` is answered here, before the CLI (typer, rich) is imported: it is what scripts and
health checks call, and it should cost no more than starting Python.
"""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from swansync import __version__

        print(f"swansync {__version__}")
        return
    from swansync.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()

"""``python -m swansync``."""

from swansync.cli import main

main()

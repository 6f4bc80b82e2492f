"""What the sync modules below :mod:`swansync.sync` need to know about a pull (not Settings)."""

from __future__ import annotations

from dataclasses import dataclass

from swansync.sources.base import RunFilter


@dataclass(frozen=True)
class PullOptions:
    full: bool = False  # re-read everything and reconcile
    system: bool = True  # also mirror SYSTEM metrics
    workers: int = 4  # concurrent fetches
    filters: tuple[RunFilter, ...] = ()

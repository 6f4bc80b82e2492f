"""What the sync modules below :mod:`swansync.sync` need to know about a pull (not Settings)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from swansync.sources.base import RunFilter

MediaMode = Literal["none", "list", "download"]
MEDIA_MODES: tuple[MediaMode, ...] = ("none", "list", "download")


@dataclass(frozen=True)
class PullOptions:
    full: bool = False  # re-read everything and reconcile
    system: bool = True  # also mirror SYSTEM metrics
    workers: int = 4  # concurrent fetches
    filters: tuple[RunFilter, ...] = ()
    # Media files: "none" (no media rows), "list" (rows with the source's URL), "download"
    # (rows and a local copy under media_root/media/, bounded per file and per pull).
    media: MediaMode = "list"
    media_max_bytes: int | None = None  # per file; None = no bound
    media_max_total_bytes: int | None = None  # per pull; None = no bound
    media_root: Path | None = None  # the warehouse's folder (paths are relative to it)

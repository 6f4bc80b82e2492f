"""What one pull read ahead of time, kept on disk until the sync asks for it.

The sync asks for summaries of every run before it asks for any points, and W&B has no per-key
summary (last step, min, max) to answer from: the source reads a changed run's new rows once,
in ``summaries``, and parks them here (pickled columns in a private temporary folder, removed on
``close``) for ``scalar_points``, so a pull sends each history request once and memory stays
flat however large the pull.
"""

from __future__ import annotations

import pickle
import tempfile
import threading
from pathlib import Path
from typing import Generic, TypeVar

from swansync.sources.base import RunKey

T = TypeVar("T")


class Spool(Generic[T]):
    def __init__(self) -> None:
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self._files: dict[RunKey, Path] = {}
        self._lock = threading.Lock()
        self._count = 0

    def put(self, key: RunKey, batch: T) -> None:
        with self._lock:
            if self._dir is None:
                self._dir = tempfile.TemporaryDirectory(prefix="swansync-wandb-")
            self._count += 1
            path = Path(self._dir.name) / f"{self._count}.pickle"
            old = self._files.pop(key, None)
        with path.open("wb") as f:
            pickle.dump(batch, f, protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            self._files[key] = path
        if old is not None:
            old.unlink(missing_ok=True)

    def take(self, key: RunKey) -> T | None:
        """The batch parked for ``key`` (removed from the spool), or None."""
        with self._lock:
            path = self._files.pop(key, None)
        if path is None:
            return None
        with path.open("rb") as f:
            batch: T = pickle.load(f)  # our own file, written above in this pull
        path.unlink(missing_ok=True)
        return batch

    def close(self) -> None:
        with self._lock:
            self._files.clear()
            if self._dir is not None:
                self._dir.cleanup()
                self._dir = None

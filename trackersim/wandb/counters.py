"""Per-operation request and byte counters (thread-safe)."""

from __future__ import annotations

import threading


class Counters:
    """Requests and response-body bytes per GraphQL operation name (``"Runs"``,
    ``"HistoryPage"``, ``"<anonymous>"``) or file route (``"GET /_files/parquet"``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data: dict[str, list[int]] = {}

    def add(self, name: str, requests: int = 0, nbytes: int = 0) -> None:
        with self._lock:
            slot = self._data.setdefault(name, [0, 0])
            slot[0] += requests
            slot[1] += nbytes

    def requests(self, name: str | None = None) -> int:
        with self._lock:
            if name is None:
                return sum(v[0] for v in self._data.values())
            return self._data.get(name, [0, 0])[0]

    def bytes(self, name: str | None = None) -> int:
        with self._lock:
            if name is None:
                return sum(v[1] for v in self._data.values())
            return self._data.get(name, [0, 0])[1]

    def reset(self) -> None:
        with self._lock:
            self._data.clear()

    def snapshot(self) -> dict[str, tuple[int, int]]:
        with self._lock:
            return {k: (v[0], v[1]) for k, v in self._data.items()}

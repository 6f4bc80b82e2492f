"""Per-route request and byte counters (thread-safe)."""

from __future__ import annotations

import threading


class RouteCounters:
    """Requests and response-body bytes per route template (e.g. ``GET /api/project/{ws}``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data: dict[str, list[int]] = {}

    def add(self, route: str, requests: int = 0, nbytes: int = 0) -> None:
        with self._lock:
            slot = self._data.setdefault(route, [0, 0])
            slot[0] += requests
            slot[1] += nbytes

    def requests(self, route: str | None = None) -> int:
        with self._lock:
            if route is None:
                return sum(v[0] for v in self._data.values())
            return self._data.get(route, [0, 0])[0]

    def bytes(self, route: str | None = None) -> int:
        with self._lock:
            if route is None:
                return sum(v[1] for v in self._data.values())
            return self._data.get(route, [0, 0])[1]

    def reset(self) -> None:
        with self._lock:
            self._data.clear()

    def snapshot(self) -> dict[str, tuple[int, int]]:
        with self._lock:
            return {k: (v[0], v[1]) for k, v in self._data.items()}

"""Per-route request, byte and CPU-time counters (thread-safe)."""

from __future__ import annotations

import threading


class RouteCounters:
    """Requests and response-body bytes per route template (e.g. ``GET /api/project/{ws}``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data: dict[str, list[int]] = {}
        self._cpu: dict[str, float] = {}

    def add_cpu(self, route: str, seconds: float) -> None:
        """CPU time (of the serving thread) spent on one request of ``route``."""
        with self._lock:
            self._cpu[route] = self._cpu.get(route, 0.0) + seconds

    def cpu_snapshot(self) -> dict[str, float]:
        """CPU seconds per route so far (every request the simulator answered)."""
        with self._lock:
            return dict(self._cpu)

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
            self._cpu.clear()

    def snapshot(self) -> dict[str, tuple[int, int]]:
        with self._lock:
            return {k: (v[0], v[1]) for k, v in self._data.items()}

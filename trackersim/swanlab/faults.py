"""Fault injection: 429s, 5xx, dropped connections and slow answers, deterministic from a seed."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Any, Literal

from trackersim.errors import SimConfigError

Action = Literal["ok", "429", "5xx", "reset"]


@dataclass
class Faults:
    """What goes wrong, and how often.

    Rates are probabilities per request, drawn in this order: reset, 429, 5xx (so their sum
    should stay <= 1). ``routes`` limits faults to route templates (``"POST
    /api/house/metrics/scalar/export"``) or prefixes of them; ``None`` means every data route
    (never the login unless ``"POST /api/login/api_key"`` is listed). ``fail_runs`` maps a run
    cuid (or slug) to an HTTP status returned for every request that mentions it in the path,
    query or body — a permanent failure for that run. ``slow_ms`` delays a ``rate_slow`` share
    of the requests.
    """

    rate_429: float = 0.0
    rate_5xx: float = 0.0
    rate_reset: float = 0.0
    slow_ms: int = 0
    rate_slow: float = 1.0
    retry_after: int = 0
    seed: int = 0
    routes: list[str] | None = None
    fail_runs: dict[str, int] = field(default_factory=dict)
    _rng: random.Random = field(init=False, repr=False)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Faults:
        allowed = {
            "rate_429",
            "rate_5xx",
            "rate_reset",
            "slow_ms",
            "rate_slow",
            "retry_after",
            "seed",
            "routes",
            "fail_runs",
        }
        unknown = set(data) - allowed
        if unknown:
            known = sorted(allowed)
            raise SimConfigError(f"unknown fault settings {sorted(unknown)}; known: {known}")
        return cls(**data)

    def applies(self, route: str, is_data: bool) -> bool:
        if self.routes is None:
            return is_data
        return any(route == r or route.startswith(r) for r in self.routes)

    def decide(self, route: str, is_data: bool) -> tuple[Action, int, float]:
        """(action, 5xx status, delay seconds) for one request."""
        if not self.applies(route, is_data):
            return "ok", 0, 0.0
        with self._lock:
            draw = self._rng.random()
            status = self._rng.choice((500, 502, 503))
            slow = self._rng.random() < self.rate_slow
        delay = self.slow_ms / 1000.0 if slow else 0.0
        if draw < self.rate_reset:
            return "reset", 0, delay
        if draw < self.rate_reset + self.rate_429:
            return "429", 0, delay
        if draw < self.rate_reset + self.rate_429 + self.rate_5xx:
            return "5xx", status, delay
        return "ok", 0, delay

    def failing_run(self, haystack: str) -> int | None:
        for run_ref, status in self.fail_runs.items():
            if run_ref and run_ref in haystack:
                return status
        return None

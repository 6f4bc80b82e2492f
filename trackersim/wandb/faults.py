"""Fault injection, deterministic from a seed: what goes wrong, how often, and where.

Actions (per request, drawn in this order from the rates, after any scripted ones):

================  ==========================================================================
reset             the connection closes before any answer
reset_headers     status line and headers (with Content-Length) are sent, then the socket closes
reset_body        headers and half the body are sent, then the socket closes
truncate          a lying Content-Length: it announces and sends only half the body, and the
                  connection stays open (the client reads a clean but cut 200)
429               ``429`` with ``Retry-After: <retry_after>`` (no header if retry_after is None)
5xx               500, 502, 503 or 504 with a GraphQL ``errors`` body
proxy_502         ``502`` with an nginx HTML page (a proxy in front of the server)
html_200          ``200`` with an HTML error page instead of JSON (a captive portal, an SSO wall)
drip              the correct answer, written ``drip_bytes`` at a time every ``drip_ms``
================  ==========================================================================

``operations`` limits faults to these GraphQL operation names (``"Runs"``, ``"HistoryPage"``)
or the file route ``"GET /_files/parquet"`` (exact names); ``None`` means every operation except
``Viewer`` and every file. ``script`` is a list of actions consumed one per matching request
before any rate applies (``["429", "429"]``: the next two matching requests are rate limited).
``fail_runs`` maps a run id to a status returned for every request whose variables name it (a
permanent failure).
``expire_urls`` makes every signed parquet URL answer as expired. ``slow_ms`` delays a
``rate_slow`` share of requests.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field, fields
from typing import Any

from trackersim.errors import SimConfigError

ACTIONS = (
    "reset",
    "reset_headers",
    "reset_body",
    "truncate",
    "429",
    "5xx",
    "proxy_502",
    "html_200",
    "drip",
)


@dataclass
class Faults:
    rate_reset: float = 0.0
    rate_reset_headers: float = 0.0
    rate_reset_body: float = 0.0
    rate_truncate: float = 0.0
    rate_429: float = 0.0
    rate_5xx: float = 0.0
    rate_proxy_502: float = 0.0
    rate_html_200: float = 0.0
    rate_drip: float = 0.0
    drip_bytes: int = 256
    drip_ms: int = 5
    slow_ms: int = 0
    rate_slow: float = 1.0
    retry_after: int | None = 0
    seed: int = 0
    operations: list[str] | None = None
    script: list[str] = field(default_factory=list)
    fail_runs: dict[str, int] = field(default_factory=dict)
    expire_urls: bool = False
    _rng: random.Random = field(init=False, repr=False)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        bad = [a for a in self.script if a not in (*ACTIONS, "ok")]
        if bad:
            raise SimConfigError(f"unknown scripted fault actions {bad}; known: {ACTIONS}")
        self.script = list(self.script)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Faults:
        allowed = {f.name for f in fields(cls) if not f.name.startswith("_")}
        unknown = set(data) - allowed
        if unknown:
            raise SimConfigError(
                f"unknown fault settings {sorted(unknown)}; known: {sorted(allowed)}"
            )
        return cls(**data)

    def applies(self, operation: str) -> bool:
        if self.operations is None:
            return operation != "Viewer"
        return operation in self.operations

    def decide(self, operation: str) -> tuple[str, int, float]:
        """(action, 5xx status, delay in seconds) for one request."""
        if not self.applies(operation):
            return "ok", 0, 0.0
        with self._lock:
            scripted = self.script.pop(0) if self.script else None
            draw = self._rng.random()
            status = self._rng.choice((500, 502, 503, 504))
            slow = self._rng.random() < self.rate_slow
        delay = self.slow_ms / 1000.0 if slow else 0.0
        if scripted is not None:
            return scripted, status, delay
        edge = 0.0
        for action in ACTIONS:
            edge += getattr(self, "rate_" + action)
            if draw < edge:
                return action, status, delay
        return "ok", status, delay

    def failing_run(self, haystack: str) -> int | None:
        for run_id, status in self.fail_runs.items():
            if run_id and run_id in haystack:
                return status
        return None

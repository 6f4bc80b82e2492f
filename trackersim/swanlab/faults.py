"""Fault injection: status faults, byte-level faults and page shifts, deterministic from a seed.

Every request is classified (``login``, ``json`` for the API routes, ``download`` for presigned
``/_files/`` URLs) and fingerprinted (route, path, query without the URL signature, body). The
fault a request gets is drawn from ``(seed, fingerprint, attempt)``, where ``attempt`` counts how
often that fingerprint was seen: the same pull against the same world meets the same faults,
whatever the thread interleaving, and a retry draws afresh.
"""

from __future__ import annotations

import hashlib
import random
import threading
from collections import Counter
from dataclasses import dataclass, field, fields
from typing import Any, Literal, NamedTuple

from trackersim.errors import SimConfigError

Action = Literal[
    "ok",
    "reset",  # connection closed before any answer
    "429",
    "5xx",  # 500/502/503 with a JSON error body
    "reset_headers",  # status line and headers sent, then a TCP reset
    "reset_body",  # part of the body sent, then a TCP reset
    "truncate_chunked",  # chunked body cut off (no final chunk), connection closed
    "truncate_length",  # Content-Length promises more bytes than are sent, connection closed
    "html_200",  # 200 with an HTML page instead of the answer (a proxy or WAF page)
    "html_502",  # 502 with nginx's HTML page
    "expired",  # download only: 403 "Request has expired"; that URL stays expired
    "drip",  # the right answer, a few bytes at a time
]
RouteClass = Literal["login", "json", "download"]
CLASSES: tuple[RouteClass, ...] = ("login", "json", "download")

# Drawn in this order; each rate is a probability per request of that class.
KINDS: tuple[Action, ...] = (
    "reset",
    "429",
    "5xx",
    "reset_headers",
    "reset_body",
    "truncate_chunked",
    "truncate_length",
    "html_200",
    "html_502",
    "expired",
    "drip",
)
BYTE_KINDS: tuple[Action, ...] = KINDS[3:]
DOWNLOAD_ONLY: frozenset[str] = frozenset({"expired"})
RUN_LIST_ROUTE = "GET /api/project/{ws}/{proj}/runs"


class Decision(NamedTuple):
    action: Action
    status: int = 0  # for "5xx"
    delay: float = 0.0  # seconds of simulated latency before answering
    page_shift: bool = False  # insert a run at the head of the listed project first


@dataclass
class Faults:
    """What goes wrong, and how often.

    ``rate_<kind>`` is the probability per request of one fault kind (see :data:`Action`; the
    kinds are drawn in :data:`KINDS` order, so their sum should stay <= 1). ``classes`` overrides
    rates per route class: ``{"download": {"rate_expired": 0.2}}``. ``routes`` limits faults to
    route templates (``"POST /api/house/metrics/scalar/export"``) or prefixes of them; ``None``
    means every data route (never the login unless ``"POST /api/login/api_key"`` is listed or
    ``classes`` has a ``"login"`` entry).
    ``fail_runs`` maps a run cuid (or slug) to an HTTP status returned for every request that
    mentions it in the path, query or body: a permanent failure for that run. ``slow_ms``
    delays a ``rate_slow`` share of the requests; ``drip_ms`` paces the pieces of a dripped body.
    ``rate_page_shift``: before serving page >= 2 of a project's run list, a new run is created
    at the head of that project, so the page repeats the last item of the page before (as when
    runs are created while a client pages). ``injected`` counts the faults drawn, by kind.
    """

    rate_429: float = 0.0
    rate_5xx: float = 0.0
    rate_reset: float = 0.0
    rate_reset_headers: float = 0.0
    rate_reset_body: float = 0.0
    rate_truncate_chunked: float = 0.0
    rate_truncate_length: float = 0.0
    rate_html_200: float = 0.0
    rate_html_502: float = 0.0
    rate_expired: float = 0.0
    rate_drip: float = 0.0
    rate_page_shift: float = 0.0
    drip_ms: float = 2.0
    slow_ms: int = 0
    rate_slow: float = 1.0
    retry_after: int = 0
    seed: int = 0
    routes: list[str] | None = None
    fail_runs: dict[str, int] = field(default_factory=dict)
    classes: dict[str, dict[str, float]] = field(default_factory=dict)
    injected: Counter[str] = field(init=False, repr=False, default_factory=Counter)
    _attempts: dict[str, int] = field(init=False, repr=False, default_factory=dict)
    _expired: set[str] = field(init=False, repr=False, default_factory=set)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        rate_names = {f"rate_{k}" for k in KINDS}
        for cls, rates in self.classes.items():
            if cls not in CLASSES:
                raise SimConfigError(f"unknown route class {cls!r}; known: {list(CLASSES)}")
            unknown = set(rates) - rate_names
            if unknown:
                raise SimConfigError(f"unknown rates {sorted(unknown)} for class {cls!r}")

    @classmethod
    def settings(cls) -> list[str]:
        return [f.name for f in fields(cls) if f.init]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Faults:
        allowed = set(cls.settings())
        unknown = set(data) - allowed
        if unknown:
            known = sorted(allowed)
            raise SimConfigError(f"unknown fault settings {sorted(unknown)}; known: {known}")
        return cls(**data)

    @classmethod
    def hostile(cls, rate: float = 0.2, seed: int = 0, **extra: Any) -> Faults:
        """``rate`` of the data requests fail, spread evenly over every fault kind that applies
        to their route class (so downloads also meet expired URLs); no page shifts unless
        ``rate_page_shift`` is passed in ``extra``."""
        json_kinds = [k for k in KINDS if k not in DOWNLOAD_ONLY]
        per_json = rate / len(json_kinds)
        per_download = rate / len(KINDS)
        base = {f"rate_{k}": per_json for k in json_kinds}
        download = {f"rate_{k}": per_download for k in KINDS}
        return cls(**{**base, "seed": seed, "classes": {"download": download}, **extra})

    # -- decisions --------------------------------------------------------------------------
    def applies(self, route: str, is_data: bool, klass: RouteClass = "json") -> bool:
        """Faults hit data routes, and the login only when asked for by ``routes`` or by a
        ``classes["login"]`` entry."""
        if self.routes is None:
            return is_data or klass in self.classes
        return any(route == r or route.startswith(r) for r in self.routes)

    def _rate(self, kind: str, klass: RouteClass) -> float:
        name = f"rate_{kind}"
        override = self.classes.get(klass, {})
        if name in override:
            return override[name]
        if kind in DOWNLOAD_ONLY and klass != "download":
            return 0.0
        rate: float = getattr(self, name)
        return rate

    def decide(
        self, route: str, is_data: bool, fingerprint: str = "", klass: RouteClass = "json"
    ) -> Decision:
        """The fault for one request (``fingerprint`` identifies the request's content)."""
        if not self.applies(route, is_data, klass):
            return Decision("ok")
        with self._lock:
            attempt = self._attempts.get(fingerprint, 0)
            self._attempts[fingerprint] = attempt + 1
        digest = hashlib.blake2b(
            f"{self.seed}\n{fingerprint}\n{attempt}".encode(), digest_size=8
        ).digest()
        rng = random.Random(int.from_bytes(digest, "big"))
        draw, shift_draw, slow_draw = rng.random(), rng.random(), rng.random()
        status = rng.choice((500, 502, 503))
        delay = self.slow_ms / 1000.0 if slow_draw < self.rate_slow else 0.0
        shift = route == RUN_LIST_ROUTE and shift_draw < self.rate_page_shift
        action: Action = "ok"
        edge = 0.0
        for kind in KINDS:
            edge += self._rate(kind, klass)
            if draw < edge:
                action = kind
                break
        if action != "ok":
            self.note(action)
        return Decision(action, status if action == "5xx" else 0, delay, shift)

    def note(self, kind: str) -> None:
        """Count one injected fault (page shifts are counted where they really happen)."""
        with self._lock:
            self.injected[kind] += 1

    def failing_run(self, haystack: str) -> int | None:
        for run_ref, status in self.fail_runs.items():
            if run_ref and run_ref in haystack:
                return status
        return None

    # -- expired download URLs --------------------------------------------------------------
    def expire(self, signature: str) -> None:
        with self._lock:
            self._expired.add(signature)

    def is_expired(self, signature: str) -> bool:
        with self._lock:
            return signature in self._expired

"""What to retry and how long to wait: one budget per logical request, exponential backoff,
``Retry-After`` honoured (seconds or HTTP-date), and a short, redacted reason for every fault.

Decisions (README "Retries"):

* A logical request gets ``retries + 1`` attempts in all, whatever went wrong: a 429/5xx
  status, a connection dropped before or while the body was read, a body shorter than its
  ``Content-Length`` or a chunked body that ends early, a read that stalls past the timeout, or a
  body the caller rejects (HTML where JSON was expected, truncated JSON).
* Connection refused and an unknown host name are not transient for a pull: nothing listens
  there. They fail at once -- unless the same host answered earlier in this session (a server
  restarting mid-pull), then they are retried like any dropped connection.
* Only idempotent requests are retried after bytes may have reached the server. A connect
  failure or connect timeout is retried for any method (nothing was sent).
* Wait before retry ``n`` (1-based): ``backoff * 2**(n-1)``, capped at ``backoff_max``. A
  ``Retry-After`` is a lower bound: the wait is the larger of it (capped at ``max_retry_after``)
  and our backoff, so a server answering "0" is not hammered.
"""

from __future__ import annotations

import email.utils
import errno
import math
import socket
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import requests
import urllib3.exceptions as u3

RETRY_STATUSES: frozenset[int] = frozenset({429, 500, 502, 503, 504})

FaultKind = Literal["connect", "transport", "body"]


@dataclass(frozen=True)
class RetryPolicy:
    """The retry budget and backoff of every logical request of a session."""

    retries: int = 5
    backoff: float = 0.5
    backoff_max: float = 30.0
    max_retry_after: float = 60.0
    statuses: frozenset[int] = RETRY_STATUSES

    def wait(self, retry: int, retry_after: float | None) -> tuple[float, str]:
        """Seconds to wait before retry number ``retry`` (1-based) and why, for the log."""
        ours = min(self.backoff_max, self.backoff * 2 ** (retry - 1))
        if retry_after is None:
            return ours, "no Retry-After: exponential backoff"
        asked = min(retry_after, self.max_retry_after)
        capped = f", capped at {self.max_retry_after:g} s" if retry_after > asked else ""
        if ours > asked:
            return ours, f"Retry-After {retry_after:g} s{capped}; our backoff is longer"
        return asked, f"Retry-After {retry_after:g} s{capped}"


def parse_retry_after(value: str | None, server_date: str | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for: delay-seconds or an HTTP-date (measured from
    the response's ``Date`` when it has one, so clock skew does not matter). None when absent or
    unreadable; a date in the past is 0."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    when = _http_date(text)
    if when is None:
        return None
    now = _http_date(server_date) if server_date else None
    delta = (when - (now or datetime.now(UTC))).total_seconds()
    return max(0.0, delta)


def _http_date(text: str) -> datetime | None:
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


# -- faults --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """What went wrong with one attempt, in a few words (never a URL or a secret)."""

    kind: FaultKind  # connect: no connection; transport: broken after it; body: wrong content
    reason: str
    sent: bool = True  # bytes may have reached the server (False: safe for any method)
    refused: bool = False  # connection refused / host unknown: nothing listens there


class HttpFault(requests.exceptions.ConnectionError):
    """A request that failed after its retry budget (or at once, when retrying cannot help).

    ``kind`` is ``connect`` (no connection could be made), ``transport`` (the connection broke,
    stalled, or the body was cut short) or ``body`` (the answer arrived whole but is not what was
    expected); ``reason`` is a short, redacted description; ``attempts`` how many were made.
    """

    def __init__(self, fault: Fault, attempts: int) -> None:
        tries = f" (after {attempts} attempts)" if attempts > 1 else ""
        super().__init__(fault.reason + tries)
        self.kind: FaultKind = fault.kind
        self.reason = fault.reason
        self.attempts = attempts


class BadBody(Exception):
    """Raised by a response check: the body is not what the caller expected (retriable)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and every exception it wraps (args, ``reason``, cause, context), breadth first."""
    seen: list[BaseException] = []
    todo: list[BaseException] = [exc]
    while todo and len(seen) < 20:
        e = todo.pop(0)
        if any(e is s for s in seen):
            continue
        seen.append(e)
        nested = [a for a in getattr(e, "args", ()) if isinstance(a, BaseException)]
        for attr in ("reason", "__cause__", "__context__"):
            value = getattr(e, attr, None)
            if isinstance(value, BaseException):
                nested.append(value)
        todo.extend(nested)
    return seen


def request_fault(exc: requests.RequestException, timeout: float | None) -> Fault | None:
    """The fault of a request that got no response; None when retrying cannot help (bad URL,
    TLS verification, too many redirects): the caller re-raises the original."""
    chain = _chain(exc)
    if isinstance(exc, requests.exceptions.SSLError) or any(
        isinstance(e, ssl.SSLCertVerificationError) for e in chain
    ):
        return None
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return Fault("connect", _timed_out("connecting", timeout), sent=False)
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return Fault("transport", _timed_out("waiting for the answer", timeout))
    if not isinstance(exc, requests.exceptions.ConnectionError):
        return None
    for e in chain:
        if isinstance(e, ConnectionRefusedError) or (
            isinstance(e, OSError) and e.errno == errno.ECONNREFUSED
        ):
            return Fault("connect", "connection refused", sent=False, refused=True)
        if isinstance(e, u3.NameResolutionError | socket.gaierror):
            return Fault("connect", "host name not found", sent=False, refused=True)
    if any(isinstance(e, u3.NewConnectionError) for e in chain):
        return Fault("connect", "cannot open a connection", sent=False)
    return Fault("transport", _broken(chain, "before answering"))


def body_fault(exc: BaseException, timeout: float | None) -> Fault:
    """The fault of an exception raised while a response body was read."""
    chain = _chain(exc)
    if any(isinstance(e, u3.ReadTimeoutError | TimeoutError | socket.timeout) for e in chain):
        return Fault("transport", _timed_out("reading the body", timeout))
    if any(isinstance(e, u3.DecodeError) for e in chain):
        return Fault("transport", "the body could not be decoded (corrupt compression)")
    for e in chain:
        if isinstance(e, u3.IncompleteRead):
            return Fault("transport", f"the body ended early ({_incomplete(e)})")
    if any(isinstance(e, u3.InvalidChunkLength) for e in chain):
        return Fault("transport", "the chunked body ended early (bad chunk length)")
    return Fault("transport", _broken(chain, "mid-body"))


def _incomplete(e: u3.IncompleteRead) -> str:
    return f"{e.partial} bytes read, {e.expected} more expected"


def _broken(chain: list[BaseException], when: str) -> str:
    for e in chain:
        if isinstance(e, ConnectionResetError):
            return f"connection reset by the server {when}"
        if isinstance(e, ConnectionAbortedError | BrokenPipeError):
            return f"connection aborted {when}"
    text = " ".join(str(e) for e in chain)
    if "Remote end closed connection" in text or "ended prematurely" in text:
        return f"the server closed the connection {when}"
    return f"connection broken {when} ({type(chain[-1]).__name__})"


def _timed_out(what: str, timeout: float | None) -> str:
    return f"timed out {what}" + (f" (timeout {timeout:g} s)" if timeout else "")

"""The session every swansync HTTP call goes through: one retry loop per logical request that
covers the status, the connection AND reading the body (urllib3's ``Retry`` only covers the
first two, so a reset mid-body used to fail the run), bodies read in full and checked against
``Content-Length``, an optional caller check of the body, no cookie jar, and urllib3's own log
lines routed to ours at DEBUG.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection
from http.cookiejar import Cookie, CookiePolicy
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from urllib.request import Request as UrlRequest

import requests
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase, HTTPBasicAuth
from requests.utils import get_netrc_auth

from swansync.http.accounting import Accounting
from swansync.http.body import READ_CHUNK, html_note, read_body, run_hooks
from swansync.http.policy import (
    RETRY_STATUSES,
    BadBody,
    Fault,
    HttpFault,
    RetryPolicy,
    parse_retry_after,
    request_fault,
)
from swansync.http.redact import redact
from swansync.http.urllib3_logs import route_urllib3_logs

if TYPE_CHECKING:
    from requests.sessions import _Settings

log = logging.getLogger("swansync.http")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
LOUD_WAIT = 10.0  # waits at least this long are logged as warnings, shorter ones at INFO

Check = Callable[[requests.Response], None]


class PolicySession(requests.Session):
    """A ``requests.Session`` whose :meth:`request` is one logical request under a
    :class:`RetryPolicy`: it returns a response whose body is fully read (``.content``), or the
    last retriable-status response when the budget ran out, or raises :class:`HttpFault`.

    Extra keyword arguments of :meth:`request`: ``idempotent`` (default: by method; POSTs that
    only read must say so) and ``check(response)``, called on 2xx answers, which raises
    :class:`BadBody` for a body that is not what was expected (retried like a dropped
    connection). Response hooks run once per attempt, after its body was read.
    """

    def __init__(self, policy: RetryPolicy, timeout: float) -> None:
        super().__init__()
        self.policy = policy
        self.timeout = timeout
        self._answered: set[str] = set()  # hosts that answered: a refusal there is a restart
        self._lock = threading.Lock()
        # What the environment says per origin (proxies, CA bundle, ~/.netrc), read once per
        # session: requests reads it again for every request (proxy variables, two stat()
        # calls), which a pull of thousands of requests paid in CPU for the same answer.
        self._env: dict[tuple[str, Any], _Settings] = {}
        self._netrc: dict[str, AuthBase] = {}

    def merge_environment_settings(
        self,
        url: Any,
        proxies: Any,
        stream: Any,
        verify: Any,
        cert: Any,
    ) -> _Settings:
        if proxies or verify is not None or cert is not None or not self.trust_env:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        key = (_origin(str(url)), stream)
        with self._lock:
            cached = self._env.get(key)
        if cached is None:
            cached = super().merge_environment_settings(url, {}, stream, None, None)
            with self._lock:
                self._env[key] = cached
        settings = cached.copy()
        settings["proxies"] = dict(cached["proxies"])
        return settings

    def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
        if self.trust_env and not request.auth and not self.auth:
            origin = _origin(str(request.url))
            with self._lock:
                auth = self._netrc.get(origin)
            if auth is None:
                found = get_netrc_auth(str(request.url))
                auth = HTTPBasicAuth(*found) if found else _NO_AUTH
                with self._lock:
                    self._netrc[origin] = auth
            request.auth = auth
        return super().prepare_request(request)

    def request(  # type: ignore[override]
        self,
        method: str,
        url: str,
        *args: Any,
        idempotent: bool | None = None,
        check: Check | None = None,
        **kw: Any,
    ) -> requests.Response:
        return self._logical(method, url, args, kw, idempotent, check, read=True)

    def open(
        self,
        method: str,
        url: str,
        *args: Any,
        idempotent: bool | None = None,
        check: Check | None = None,
        **kw: Any,
    ) -> requests.Response:
        """Like :meth:`request`, for a body the caller streams: retried the same way until an
        answer arrives whose status is final, which is returned with its body UNREAD (the
        caller iterates ``resp.raw`` or ``iter_content`` and closes it; a break midway is the
        caller's to handle). ``check`` sees only the headers of a 2xx answer. Response hooks
        are not run: count the bytes as they are read."""
        kw.pop("hooks", None)
        return self._logical(method, url, args, kw, idempotent, check, read=False)

    def _logical(
        self,
        method: str,
        url: str,
        args: tuple[Any, ...],
        kw: dict[str, Any],
        idempotent: bool | None,
        check: Check | None,
        *,
        read: bool,
    ) -> requests.Response:
        safe = method.upper() in IDEMPOTENT_METHODS if idempotent is None else idempotent
        hooks = kw.pop("hooks", None)
        kw["stream"] = True  # the body is read below, inside the retry loop
        if kw.get("timeout") is None:
            kw["timeout"] = self.timeout
        host = urlsplit(url).netloc
        budget = self.policy.retries + 1
        for attempt in range(1, budget + 1):
            outcome = self._attempt(method, url, args, kw, hooks, check, read=read)
            retry_after: float | None = None
            if isinstance(outcome, Fault):
                if not self._may_retry(outcome, safe, host) or attempt == budget:
                    raise HttpFault(outcome, attempt) from None
                reason = outcome.reason
            else:
                resp = outcome
                if resp.status_code not in self.policy.statuses or not safe or attempt == budget:
                    return resp
                retry_after = parse_retry_after(
                    resp.headers.get("Retry-After"), resp.headers.get("Date")
                )
                reason = f"HTTP {resp.status_code}{html_note(resp)}"
            delay, why = self.policy.wait(attempt, retry_after)
            log.log(
                logging.WARNING if delay >= LOUD_WAIT else logging.INFO,
                "%s %s: %s; retry %d of %d in %.3g s (%s)",
                method.upper(),
                redact(url),
                reason,
                attempt,
                budget - 1,
                delay,
                why,
            )
            time.sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _attempt(
        self,
        method: str,
        url: str,
        args: tuple[Any, ...],
        kw: dict[str, Any],
        hooks: Any,
        check: Check | None,
        *,
        read: bool = True,
    ) -> requests.Response | Fault:
        """One attempt: the response with its body read (unread when ``read`` is False and the
        status is final), or what went wrong."""
        try:
            resp = super().request(method, url, *args, **kw)
        except requests.RequestException as e:
            fault = request_fault(e, kw.get("timeout"))
            if fault is None:
                raise
            return fault
        with self._lock:
            self._answered.add(urlsplit(url).netloc)
        if not read and resp.status_code not in self.policy.statuses:
            if check is not None and 200 <= resp.status_code < 300:
                try:
                    check(resp)
                except BadBody as e:
                    resp.close()
                    return Fault("body", e.reason)
            return resp
        fault = read_body(resp, method, kw.get("timeout"))
        if read:
            run_hooks(hooks, resp)
        if fault is None and check is not None and 200 <= resp.status_code < 300:
            try:
                check(resp)
            except BadBody as e:
                fault = Fault("body", e.reason)
        return resp if fault is None else fault

    def _may_retry(self, fault: Fault, safe: bool, host: str) -> bool:
        if fault.refused:
            with self._lock:
                return safe and host in self._answered
        return safe or not fault.sent


class _NoAuth(AuthBase):
    """No credentials (and, being set, no second look into ~/.netrc)."""

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        return r


_NO_AUTH = _NoAuth()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


# -- the factory ---------------------------------------------------------------------------


class _NoCookies(CookiePolicy):
    """Never store or send cookies from the jar: the client sets ``Cookie`` explicitly on the
    requests that need it, so nothing can leak to presigned URLs by accident."""

    netscape = True
    rfc2965 = False
    hide_cookie2 = True

    def set_ok(self, cookie: Cookie, request: UrlRequest) -> bool:
        return False

    def return_ok(self, cookie: Cookie, request: UrlRequest) -> bool:
        return False

    def domain_return_ok(self, domain: str, request: UrlRequest) -> bool:
        return False

    def path_return_ok(self, path: str, request: UrlRequest) -> bool:
        return False


def make_session(
    *,
    timeout: float = 60,
    retries: int = 5,
    backoff: float = 0.5,
    max_retry_after: float = 60,
    backoff_max: float = 30.0,
    user_agent: str,
    pool_size: int = 16,
    retry_statuses: Collection[int] = RETRY_STATUSES,
) -> PolicySession:
    """A :class:`PolicySession` for http and https: ``timeout`` for every request that does not
    pass its own, ``retries`` retries per logical request (``retries + 1`` attempts), backoff
    ``backoff * 2**(n-1)`` capped at ``backoff_max``, ``Retry-After`` honoured up to
    ``max_retry_after``, ``retry_statuses`` the statuses worth retrying. No cookie jar."""
    route_urllib3_logs()
    policy = RetryPolicy(
        retries=retries,
        backoff=backoff,
        backoff_max=backoff_max,
        max_retry_after=max_retry_after,
        statuses=frozenset(retry_statuses),
    )
    session = PolicySession(policy, timeout)
    session.cookies.set_policy(_NoCookies())
    session.headers["User-Agent"] = user_agent
    # No urllib3 retries: every retry is ours, under one budget per logical request.
    adapter = HTTPAdapter(max_retries=0, pool_connections=pool_size, pool_maxsize=pool_size)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


# Accounting, READ_CHUNK and route_urllib3_logs were defined here before the split.
__all__ = [
    "READ_CHUNK",
    "Accounting",
    "Check",
    "PolicySession",
    "make_session",
    "route_urllib3_logs",
]

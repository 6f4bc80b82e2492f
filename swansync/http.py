"""One place for HTTP policy: timeouts, retry/backoff honouring ``Retry-After``, accounting and
redaction of secrets.

Retries are done by urllib3's ``Retry`` mounted on the session's adapters rather than by a loop of
our own: it already retries at the right layer (connect errors, dropped connections mid-read,
statuses), honours ``Retry-After`` on 429/503, and keeps one backoff schedule for every caller, so
nothing else in swansync sleeps. POST is retried too because every SwanLab read we make — including
the ``/house`` POSTs and the login exchange — is idempotent.
"""

from __future__ import annotations

import email.utils
import logging
import re
import threading
import time
from collections.abc import Collection, Mapping
from http.cookiejar import Cookie, CookiePolicy
from typing import Any
from urllib.request import Request as UrlRequest

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from swansync.sources.base import Counters

log = logging.getLogger(__name__)

RETRY_STATUSES: frozenset[int] = frozenset({429, 500, 502, 503, 504})

# -- redaction -----------------------------------------------------------------------------

_SECRET_QUERY = re.compile(
    r"(?i)((?<![\w-])(?:X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|Signature|sig|q-signature|"
    r"q-sign-algorithm|q-ak|q-key-time|q-header-list|q-url-param-list|Expires|OSSAccessKeyId|"
    r"x-oss-signature|x-oss-credential|x-cos-security-token|token|access_token|api_key|apikey)=)"
    r"[^&#\s'\"]*"
)
_SID = re.compile(r"(?i)(\bsid\s*[=:]\s*\"?)[^;,\s'\"&]+")
_AUTH_HEADER = re.compile(
    r"(?i)(\b(?:authorization|x-api-key)\s*[:=]\s*['\"]?)(?:ApiKey\s+|Bearer\s+)?[^\s,'\"}]+"
)
_extra_secrets: set[str] = set()
_extra_lock = threading.Lock()


def register_secret(secret: str) -> None:
    """Make :func:`redact` remove this literal value (an API key, a session id) wherever it
    appears. Short strings are ignored so that redaction cannot mangle ordinary text."""
    if secret and len(secret) >= 6:
        with _extra_lock:
            _extra_secrets.add(secret)


def redact(text: str) -> str:
    """Remove API keys, ``sid`` cookies and presigned URL signatures from ``text``."""
    with _extra_lock:
        secrets = sorted(_extra_secrets, key=len, reverse=True)
    for s in secrets:
        if s in text:
            text = text.replace(s, "***")
    text = _SECRET_QUERY.sub(r"\1***", text)
    text = _SID.sub(r"\1***", text)
    return _AUTH_HEADER.sub(r"\1***", text)


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the formatted message of every record it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the logger's problem, not ours
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


_filter_installed = False


def _install_log_redaction() -> None:
    """urllib3 logs retried URLs (presigned ones carry signatures): redact them at the source."""
    global _filter_installed
    if _filter_installed:
        return
    flt = RedactingFilter()
    for name in ("urllib3.connectionpool", "urllib3.util.retry", "urllib3.connection", __name__):
        logging.getLogger(name).addFilter(flt)
    _filter_installed = True


# -- retry ---------------------------------------------------------------------------------


class _Retry(Retry):
    """urllib3 ``Retry`` with a cap on ``Retry-After`` and a lenient parser for it (a bad header
    falls back to the exponential backoff instead of failing the request)."""

    max_retry_after: float = 60.0

    def new(self, **kw: Any) -> _Retry:
        new = super().new(**kw)
        new.max_retry_after = self.max_retry_after
        return new

    def get_retry_after(self, response: Any) -> float | None:
        value = response.headers.get("Retry-After")
        if value is None:
            return None
        seconds: float | None
        try:
            seconds = float(value.strip())
        except ValueError:
            parsed = email.utils.parsedate_tz(value)
            seconds = None if parsed is None else email.utils.mktime_tz(parsed) - time.time()
        if seconds is None:
            return None
        seconds = max(0.0, min(seconds, self.max_retry_after))
        log.warning(
            "HTTP %s: server asked to wait %.1f s before retrying", response.status, seconds
        )
        return seconds

    def sleep_for_retry(self, response: Any) -> bool:
        seconds = self.get_retry_after(response)
        if seconds is None:
            return False
        time.sleep(seconds)
        return True


def make_retry(
    retries: int,
    backoff: float,
    max_retry_after: float,
    backoff_max: float = 30.0,
    statuses: Collection[int] = RETRY_STATUSES,
) -> Retry:
    """The retry policy: ``retries`` retries (``retries + 1`` attempts) on connection errors,
    dropped connections and ``statuses`` (429/500/502/503/504), any method, exponential backoff,
    Retry-After honoured (capped). After the last attempt the response is returned, not raised,
    so callers can report the status."""
    r = _Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        other=retries,
        allowed_methods=None,  # every method: our POSTs are idempotent reads
        status_forcelist=sorted(statuses),
        backoff_factor=backoff,
        backoff_max=backoff_max,
        raise_on_status=False,
        raise_on_redirect=False,
        respect_retry_after_header=True,
    )
    r.max_retry_after = max_retry_after
    return r


class _TimeoutAdapter(HTTPAdapter):
    """An adapter that applies a default timeout to every request that does not set one."""

    def __init__(self, timeout: float, **kw: Any) -> None:
        self._timeout = timeout
        super().__init__(**kw)

    def send(self, request: requests.PreparedRequest, **kw: Any) -> requests.Response:  # type: ignore[override]
        if kw.get("timeout") is None:
            kw["timeout"] = self._timeout
        return super().send(request, **kw)


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
    user_agent: str,
    pool_size: int = 16,
    retry_statuses: Collection[int] = RETRY_STATUSES,
) -> requests.Session:
    """A ``requests.Session`` with swansync's HTTP policy mounted for http and https.

    The session never stores cookies (see :class:`_NoCookies`); ``timeout`` applies to every
    request that does not pass its own; ``retry_statuses`` are the HTTP statuses worth retrying.
    """
    _install_log_redaction()
    session = requests.Session()
    session.cookies.set_policy(_NoCookies())
    session.headers["User-Agent"] = user_agent
    retry = make_retry(retries, backoff, max_retry_after, statuses=retry_statuses)
    adapter = _TimeoutAdapter(
        timeout, max_retries=retry, pool_connections=pool_size, pool_maxsize=pool_size
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


# -- accounting ----------------------------------------------------------------------------


class Accounting:
    """Response hooks that count requests and bytes into a :class:`~swansync.sources.base.Counters`.

    Callers name the route (``"POST /house/metrics/summaries"``) so that ids in paths and
    presigned URLs never become counter keys.
    """

    def __init__(self, counters: Counters | None = None) -> None:
        self.counters = counters if counters is not None else Counters()

    def hook(self, route: str) -> Mapping[str, Any]:
        """A ``hooks=`` argument for one request that records it under ``route``."""

        def on_response(response: requests.Response, *args: Any, **kw: Any) -> requests.Response:
            nbytes = len(response.content) if not kw.get("stream") else 0
            self.counters.record(route, nbytes)
            return response

        return {"response": on_response}

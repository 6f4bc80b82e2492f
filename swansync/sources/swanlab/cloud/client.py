"""A small, thread-safe client for the SwanLab OpenAPI: login, JSON calls, error mapping and
cookie-less downloads. Endpoint knowledge lives in :mod:`.source`; this module knows transport.

Which calls are retried (:mod:`swansync.http.policy` says how): every GET; the POSTs that only
read -- everything under ``/house/``, ``/files/presigned/`` and ``/resources/presigned/``, and the
filtered run listing ``.../runs/shows``; and the login ``POST /login/api_key``, which is safe to
repeat (a repeated login only opens another session; the old one expires unused). Any other POST
is sent once. A JSON answer that is not JSON (an HTML page from a proxy, a truncated body,
``null``) is retried like a dropped connection, then reported in one line naming the route.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from swansync.errors import ApiError, AuthError, DataError, FatalApiError, RetriableApiError
from swansync.http import (
    RETRY_STATUSES,
    Accounting,
    HttpFault,
    PolicySession,
    make_session,
    redact,
    register_secret,
    user_agent,
)
from swansync.http.download import (
    TooManyRedirects,
    iter_body,
    not_html_unless,
    open_following,
)
from swansync.http.hints import plain_http_hint
from swansync.sources.base import Counters
from swansync.sources.swanlab.cloud import auth
from swansync.sources.swanlab.cloud.answers import is_read_post, json_body, not_html

log = logging.getLogger(__name__)

# The protocol level we speak (spec 2.2, U2): sent like the SDK does, harmless if ignored.
SDK_VERSION = "0.10.3"
DOWNLOAD_TIMEOUT = 120.0


class SwanLabClient:
    """JSON over HTTP against ``<api_host>/api`` with the session cookie on data calls only.

    Safe to share between threads: ``requests.Session`` pools connections per thread-safe
    urllib3 pool, and the login is serialised by a lock.
    """

    def __init__(
        self,
        api_host: str,
        api_key: str,
        *,
        timeout: float = 60,
        retries: int = 5,
        backoff: float = 0.5,
        max_retry_after: float = 60,
        session: PolicySession | None = None,
        counters: Counters | None = None,
    ) -> None:
        self.api_host = api_host.rstrip("/")
        self.base = self.api_host + "/api"
        self._key = api_key
        register_secret(api_key)
        self.timeout = timeout
        self.http = session or make_session(
            timeout=timeout,
            retries=retries,
            backoff=backoff,
            max_retry_after=max_retry_after,
            user_agent=user_agent(),
        )
        self.accounting = Accounting(counters)
        self._auth = auth.SessionHolder()
        self._generation = 0

    def __repr__(self) -> str:
        return f"SwanLabClient(api_host={self.api_host!r})"

    # -- login -----------------------------------------------------------------------------

    def login(self) -> auth.Session:
        """Exchange the API key for a session (spec 2.1), falling back to /auth/verify."""
        with self._auth.lock:
            return self._login_locked()

    def _login_locked(self) -> auth.Session:
        self._generation += 1
        route = "POST /login/api_key"
        parsed: list[Any] = []
        resp = self._send(
            "POST",
            self.base + "/login/api_key",
            route=route,
            what="login",
            headers={"authorization": self._key, "X-SwanLab-SDK-Version": SDK_VERSION},
            parsed=parsed,
        )
        if resp.status_code in (404, 405):
            session = self._verify_locked()
        elif 200 <= resp.status_code < 300:
            session = auth.session_from_login(parsed[0], self._generation)
        elif resp.status_code in (401, 403):
            raise auth.refused(resp.status_code, self.api_host)
        else:
            raise self._error(resp, route, "login")
        self._auth.current = session
        log.debug("logged in to %s as %s", self.api_host, session.username)
        return session

    def _verify_locked(self) -> auth.Session:
        route = "GET /auth/verify"
        parsed: list[Any] = []
        resp = self._send(
            "GET",
            self.base + "/auth/verify",
            route=route,
            what="login",
            headers={"Authorization": f"ApiKey {self._key}", "X-SwanLab-SDK-Version": SDK_VERSION},
            parsed=parsed,
        )
        if resp.status_code in (401, 403):
            raise auth.refused(resp.status_code, self.api_host)
        if resp.status_code == 404:
            raise AuthError(
                f"{self.api_host} offers no SwanLab login route (/api/login/api_key): "
                "is this a SwanLab API host? check --host / SWANLAB_API_HOST"
            )
        if not 200 <= resp.status_code < 300:
            raise self._error(resp, route, "login")
        return auth.session_from_verify(parsed[0], self._key, self._generation)

    def _session(self) -> auth.Session:
        """The current session, logging in first or refreshing when < 7 days remain."""
        current = self._auth.current
        if current is not None and not current.needs_refresh(self._auth.now()):
            return current
        with self._auth.lock:
            current = self._auth.current
            if current is None:
                return self._login_locked()
            if current.needs_refresh(self._auth.now()):
                try:
                    return self._login_locked()
                except RetriableApiError as e:
                    log.warning("session refresh failed, going on with the old one: %s", e)
            return current

    def _relogin_after_401(self, stale: auth.Session) -> auth.Session:
        with self._auth.lock:
            current = self._auth.current
            if current is not None and current.generation != stale.generation:
                return current  # another thread already logged in again
            return self._login_locked()

    # -- requests --------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        url: str,
        *,
        route: str,
        what: str,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        body: Any = None,
        timeout: float | None = None,
        parsed: list[Any] | None = None,
        idempotent: bool = True,
        check: Callable[[requests.Response], None] | None = None,
        lenient: bool = False,
    ) -> requests.Response:
        """One logical request. With ``parsed`` (a list to fill), a 2xx answer must be JSON
        (checked, and retried when it is not, under the same budget) and its value is appended.
        """
        data = None
        hdrs = dict(headers or {})
        if body is not None:
            data = json.dumps(body, allow_nan=False).encode()
            hdrs["Content-Type"] = "application/json"

        def checked(resp: requests.Response) -> None:
            if parsed is not None:
                parsed[:] = [json_body(resp, lenient=lenient)]
            if check is not None:
                check(resp)

        try:
            return self.http.request(
                method,
                url,
                params=params,
                data=data,
                headers=hdrs,
                timeout=timeout or self.timeout,
                allow_redirects=True,
                hooks=self.accounting.hook(route),
                idempotent=idempotent,
                check=checked,
            )
        except HttpFault as e:
            raise self._fault(e, url, route, what) from None
        except requests.RequestException as e:  # not retriable: bad URL, TLS, redirects
            reason = redact(str(e).splitlines()[0] if str(e) else type(e).__name__)
            hint = plain_http_hint(e, url)
            if hint:
                reason = "not a TLS answer"
            raise FatalApiError(
                f"{what}: {route} to {_origin(url)} failed ({type(e).__name__}: {reason[:200]})"
                + hint,
                route=route,
            ) from None

    def _fault(self, e: HttpFault, url: str, route: str, what: str) -> ApiError | DataError:
        """One line for a request that failed without a usable answer."""
        where = self.base if url.startswith(self.base) else _origin(url)
        if e.kind == "connect":
            return RetriableApiError(f"cannot connect to {where}: {e}", route=route)
        if e.kind == "body":
            return DataError(f"{what}: {route} on {where} answered {e}")
        return RetriableApiError(f"{what}: {route} on {where}: {e}", route=route)

    def call(
        self,
        method: str,
        path: str,
        *,
        route: str,
        what: str,
        params: dict[str, Any] | None = None,
        body: Any = None,
        lenient: bool = False,
    ) -> Any:
        """One JSON call to ``{API}{path}`` with the session; the parsed body. Errors:
        401 after one re-login -> AuthError; 429/5xx after retries -> RetriableApiError;
        other 4xx -> FatalApiError (``status`` set, 404 included); bad JSON -> DataError.
        ``lenient``: see :func:`json_body`."""
        session = self._session()
        parsed: list[Any] = []
        safe = method.upper() == "GET" or is_read_post(path)
        resp = self._send(
            method,
            self.base + path,
            route=route,
            what=what,
            headers=dict(session.headers),
            params=params,
            body=body,
            parsed=parsed,
            idempotent=safe,
            lenient=lenient,
        )
        if resp.status_code == 401:
            log.info("%s answered 401; logging in again once", route)
            session = self._relogin_after_401(session)
            resp = self._send(
                method,
                self.base + path,
                route=route,
                what=what,
                headers=dict(session.headers),
                params=params,
                body=body,
                parsed=parsed,
                idempotent=safe,
                lenient=lenient,
            )
            if resp.status_code == 401:
                raise AuthError(
                    f"SwanLab at {self.api_host} refused the session for {route} (HTTP 401) even "
                    "after a fresh login: run `swanlab login` or set SWANLAB_API_KEY"
                )
        if not 200 <= resp.status_code < 300:
            raise self._error(resp, route, what)
        return parsed[0]

    def download(self, url: str, *, route: str, what: str) -> bytes:
        """GET a presigned (or relative) URL with NO session cookie or key; the raw bytes, read
        in 1 MiB pieces and checked against ``Content-Length`` (a short body is retried). Any
        non-2xx is an ApiError (the SDK silently returns nothing there)."""
        full = (
            urljoin(self.api_host + "/", url)
            if not url.lower().startswith(("http://", "https://"))
            else url
        )
        resp = self._send(
            "GET",
            full,
            route=route,
            what=what,
            timeout=max(self.timeout, DOWNLOAD_TIMEOUT),
            check=not_html,
        )
        if not 200 <= resp.status_code < 300:
            raise self._error(resp, route, what)
        return resp.content

    def open_stream(
        self, url: str, *, route: str, what: str, allow_html: bool = False
    ) -> tuple[requests.Response, Iterator[bytes]]:
        """GET a presigned (or relative) URL with NO session cookie or key, redirects followed
        by hand (never with credentials to another origin), and its body left to stream: the
        response (headers) and an iterator of its pieces, counted as they arrive. A non-2xx
        answer is an ApiError; a break midway raises RetriableApiError from the iterator."""
        full = (
            urljoin(self.api_host + "/", url)
            if not url.lower().startswith(("http://", "https://"))
            else url
        )
        counters = self.accounting.counters
        timeout = max(self.timeout, DOWNLOAD_TIMEOUT)
        try:
            opened = open_following(
                self.http,
                full,
                timeout=timeout,
                check=not_html_unless(allow_html),
                on_hop=lambda _: counters.record(route),
            )
        except HttpFault as e:
            raise self._fault(e, full, route, what) from None
        except (TooManyRedirects, requests.RequestException) as e:
            raise FatalApiError(
                f"{what}: {route} failed: {redact(str(e))[:200]}", route=route
            ) from None
        resp = opened.response
        if not 200 <= resp.status_code < 300:
            try:
                raise self._error(resp, route, what)  # reads the (small) error body
            finally:
                resp.close()

        def pieces() -> Iterator[bytes]:
            try:
                yield from iter_body(resp, timeout=timeout, count=counters.add_bytes)
            except HttpFault as e:
                raise RetriableApiError(
                    f"{what}: {route} on {_origin(full)}: {e}", route=route
                ) from None

        return resp, pieces()

    # -- errors ----------------------------------------------------------------------------

    def _error(self, resp: requests.Response, route: str, what: str) -> ApiError:
        code: Any = None
        message: Any = None
        try:
            body = json.loads(resp.content)
            if isinstance(body, dict):
                code, message = body.get("code"), body.get("message")
        except ValueError:
            pass
        trace = resp.headers.get("traceid") or resp.headers.get("x-trace-id")
        parts = [f"{what}: {route} failed with HTTP {resp.status_code}"]
        if "html" in resp.headers.get("Content-Type", "").lower():
            parts[0] += " (an HTML page: a proxy or gateway answered, not the API)"
        if code is not None or message is not None:
            parts.append(f"[{code}] {message}" if code is not None else str(message))
        if trace:
            parts.append(f"trace id {trace}")
        text = redact(" | ".join(str(p) for p in parts).replace("\n", " "))[:500]
        cls = RetriableApiError if resp.status_code in RETRY_STATUSES else FatalApiError
        return cls(text, status=resp.status_code, route=route)

    def close(self) -> None:
        self.http.close()


def _origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``: what an error may name (never a path or query)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else "the server"

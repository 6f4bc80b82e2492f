"""Streamed downloads: redirects followed by hand so that credentials never travel to another
origin, and the body read in pieces with its bytes counted as they arrive.

``requests`` drops ``Authorization`` on a redirect to another host but keeps other headers a
caller set (an ``X-Api-Key``, a ``Cookie`` set as a header is re-derived from the jar), and it
follows an https -> http downgrade. Here a redirect is followed only to http(s) URLs, at most
:data:`MAX_REDIRECTS` times, and once the chain leaves the first origin (scheme, host, port)
every credential header is dropped for the rest of the chain, even if it comes back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests

from swansync.http.body import READ_CHUNK
from swansync.http.policy import BadBody, Fault, HttpFault, body_fault
from swansync.http.redact import redact
from swansync.http.session import PolicySession

MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})
CREDENTIALS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})


def origin(url: str) -> tuple[str, str]:
    """(scheme, host[:port]) of ``url``, lower-cased, default ports spelled out."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port or {"http": 80, "https": 443}.get(scheme, 0)
    return scheme, f"{host}:{port}"


class TooManyRedirects(Exception):
    """A download kept redirecting (or redirected somewhere that is not http(s))."""


@dataclass
class Opened:
    """A download whose headers arrived (status final, body unread) and the URL that answered."""

    response: requests.Response
    url: str
    redirects: int


def open_following(
    session: PolicySession,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    timeout: float | None = None,
    check: Callable[[requests.Response], None] | None = None,
    on_hop: Callable[[requests.Response], None] | None = None,
) -> Opened:
    """GET ``url`` through ``session`` (its retry policy), following redirects by hand.

    Credential headers (:data:`CREDENTIALS`) go only to the origin of ``url``. ``check`` sees
    the headers of a 2xx answer (a :class:`BadBody` it raises is retried like a fault);
    ``on_hop`` every answer (to count requests)."""
    first = origin(url)
    hdrs = dict(headers or {})
    for hop in range(MAX_REDIRECTS + 1):
        resp = session.open(
            "GET", url, headers=hdrs, timeout=timeout, allow_redirects=False, check=check
        )
        if on_hop is not None:
            on_hop(resp)
        location = resp.headers.get("Location")
        if resp.status_code not in REDIRECTS or not location:
            return Opened(resp, url, hop)
        resp.close()
        nxt = urljoin(url, location)
        if urlsplit(nxt).scheme.lower() not in ("http", "https"):
            raise TooManyRedirects(f"redirected to a {urlsplit(nxt).scheme!r} URL")
        if origin(nxt) != first:
            hdrs = {k: v for k, v in hdrs.items() if k.lower() not in CREDENTIALS}
        url = nxt
    raise TooManyRedirects(f"more than {MAX_REDIRECTS} redirects")


def iter_body(
    resp: requests.Response,
    *,
    timeout: float | None,
    count: Callable[[int], None] | None = None,
    chunk: int = READ_CHUNK,
) -> Iterator[bytes]:
    """The body of an opened response in pieces (decoded), closing it at the end or when the
    consumer stops early. A break midway raises :class:`HttpFault` (kind ``transport``); so
    does a body shorter than its ``Content-Length``."""
    got = 0
    try:
        try:
            for piece in resp.raw.stream(chunk, decode_content=True):
                got += len(piece)
                if count is not None:
                    count(len(piece))
                yield piece
        except Exception as e:  # urllib3 raises its own, OSError and ssl errors here
            raise HttpFault(body_fault(e, timeout), 1) from None
        expected = resp.headers.get("Content-Length", "").strip()
        identity = resp.headers.get("Content-Encoding", "identity").strip().lower()
        if (
            expected.isdigit()
            and identity in ("", "identity")
            and "Transfer-Encoding" not in resp.headers
            and int(expected) != got
        ):
            raise HttpFault(
                Fault("transport", f"the body has {got} bytes, Content-Length said {expected}"),
                1,
            )
    finally:
        resp.close()


def content_length(resp: requests.Response) -> int | None:
    text = resp.headers.get("Content-Length", "").strip()
    identity = resp.headers.get("Content-Encoding", "identity").strip().lower()
    return int(text) if text.isdigit() and identity in ("", "identity") else None


def not_html_unless(allowed: bool) -> Callable[[requests.Response], None]:
    """A header check refusing an HTML page (a proxy's or a portal's 200) where a file was
    expected, unless HTML is what the file is."""

    def check(resp: requests.Response) -> None:
        if not allowed and "html" in resp.headers.get("Content-Type", "").lower():
            raise BadBody("an HTML page where a file was expected")

    return check


def describe(url: str) -> str:
    """What a message may say about a download URL (never its query: signatures)."""
    return redact(url.split("?", 1)[0])


__all__ = [
    "CREDENTIALS",
    "MAX_REDIRECTS",
    "Opened",
    "TooManyRedirects",
    "content_length",
    "describe",
    "iter_body",
    "not_html_unless",
    "open_following",
    "origin",
]

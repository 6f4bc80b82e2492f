"""A raw-socket HTTP/1.1 server for byte-level fault tests.

``http.server`` cannot misbehave on purpose; this one can. Each test gives an ``app(request) ->
action``; the action decides what goes on the wire: a proper answer, or headers then a reset, a
reset in the middle of the body, a chunked body that ends without its last chunk, a
``Content-Length`` longer than the body, a byte-at-a-time drip, a stall until the client gives
up, a bare close or reset. Connections are kept alive between requests like a real server's, so
the client's pooled-connection paths are exercised too.
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

REASONS = {200: "OK", 403: "Forbidden", 404: "Not Found", 429: "Too Many Requests"}
REASONS |= {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


@dataclass
class RawRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Reply:
    """A well-formed answer (``body`` bytes, or any JSON-able value)."""

    status: int = 200
    body: Any = b""
    headers: dict[str, str] = field(default_factory=dict)
    chunked: bool = False

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body).encode()

    def content_type(self) -> str:
        return "application/octet-stream" if isinstance(self.body, bytes) else "application/json"


@dataclass
class ResetAfterHeaders:
    """Status line and headers of ``reply`` (announcing its full length), then a TCP reset."""

    reply: Reply


@dataclass
class ResetMidBody:
    """``reply``'s headers and its first ``at`` body bytes, then a TCP reset."""

    reply: Reply
    at: int


@dataclass
class TruncatedChunked:
    """``reply`` as a chunked body cut after ``at`` bytes: the connection closes cleanly without
    the terminating zero-length chunk."""

    reply: Reply
    at: int


@dataclass
class LyingLength:
    """``reply`` with ``Content-Length`` ``extra`` bytes longer than its body, then a close."""

    reply: Reply
    extra: int = 10


@dataclass
class Drip:
    """``reply`` sent one byte per ``send`` (headers included): slow, but whole."""

    reply: Reply


@dataclass
class Stall:
    """``reply``'s headers and first ``at`` body bytes, then nothing until the client hangs up
    (its read timeout)."""

    reply: Reply
    at: int


@dataclass
class Close:
    """Close the connection without answering (``reset``: with a TCP reset instead)."""

    reset: bool = False


@dataclass
class RawHeaders:
    """A verbatim head (status line + header lines, without the blank line) then ``body``."""

    head: bytes
    body: bytes


# An app answers each request with one of the actions above or a bare JSON-able value.
App = Callable[[RawRequest], Any]


def html(status: int, title: str = "Bad Gateway") -> Reply:
    page = f"<html><head><title>{status} {title}</title></head><body><h1>{title}</h1>"
    page += "<hr><center>nginx</center></body></html>"
    return Reply(status, page.encode(), {"Content-Type": "text/html"})


class RawServer:
    """Serves ``app`` on 127.0.0.1 (a free port) from a thread per connection."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.requests: list[RawRequest] = []
        self._lock = threading.Lock()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._conns: list[socket.socket] = []
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def hits(self, method: str | None = None, path: str | None = None) -> list[RawRequest]:
        with self._lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method) and (path is None or r.path == path)
            ]

    def stop(self) -> None:
        self._stopped.set()
        _quiet(lambda: self._sock.shutdown(socket.SHUT_RDWR))  # wakes the blocked accept()
        self._sock.close()
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            _quiet(c.close)
        self._thread.join(timeout=10)

    # -- internals -------------------------------------------------------------------------

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with self._lock:
                self._conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(30)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buf = b""
        try:
            while True:
                req, buf = _read_request(conn, buf)
                if req is None:
                    return
                with self._lock:
                    self.requests.append(req)
                action = self.app(req)
                if not self._act(conn, action if action is not None else Reply()):
                    return
        except OSError:
            return
        finally:
            _quiet(conn.close)

    def _act(self, conn: socket.socket, action: Any) -> bool:
        """Put ``action`` on the wire; False when the connection is finished."""
        if not isinstance(action, Reply | Close | RawHeaders) and not hasattr(action, "reply"):
            action = Reply(200, action)  # a bare JSON-able value
        if isinstance(action, Close):
            _reset(conn) if action.reset else _quiet(lambda: conn.shutdown(socket.SHUT_RDWR))
            return False
        if isinstance(action, RawHeaders):
            conn.sendall(action.head + b"\r\n\r\n" + action.body)
            return True
        if isinstance(action, Reply):
            conn.sendall(_head(action, len(action.payload())) + _body(action, action.payload()))
            return True
        reply: Reply = action.reply
        data = reply.payload()
        if isinstance(action, ResetAfterHeaders):
            conn.sendall(_head(reply, len(data)))
            _reset(conn)
            return False
        if isinstance(action, ResetMidBody):
            conn.sendall(_head(reply, len(data)) + data[: action.at])
            _reset(conn)
            return False
        if isinstance(action, TruncatedChunked):
            chunked = Reply(reply.status, reply.body, reply.headers, chunked=True)
            conn.sendall(_head(chunked, len(data)) + _chunk(data[: action.at]))
            _quiet(lambda: conn.shutdown(socket.SHUT_RDWR))
            return False
        if isinstance(action, LyingLength):
            conn.sendall(_head(reply, len(data) + action.extra) + data)
            _quiet(lambda: conn.shutdown(socket.SHUT_RDWR))
            return False
        if isinstance(action, Drip):
            for i in range(len(whole := _head(reply, len(data)) + _body(reply, data))):
                conn.sendall(whole[i : i + 1])
            return True
        if isinstance(action, Stall):
            conn.sendall(_head(reply, len(data)) + data[: action.at])
            _quiet(lambda: conn.recv(1))  # returns when the client gives up and closes
            return False
        raise TypeError(f"unknown action {action!r}")


def _read_request(conn: socket.socket, buf: bytes) -> tuple[RawRequest | None, bytes]:
    while b"\r\n\r\n" not in buf:
        data = conn.recv(65536)
        if not data:
            return None, b""
        buf += data
    head, buf = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length") or 0)
    while len(buf) < n:
        data = conn.recv(65536)
        if not data:
            return None, b""
        buf += data
    body, buf = buf[:n], buf[n:]
    parts = urlsplit(target)
    query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    return RawRequest(method, parts.path, query, headers, body), buf


def _head(reply: Reply, length: int) -> bytes:
    lines = [f"HTTP/1.1 {reply.status} {REASONS.get(reply.status, 'Status')}"]
    headers = {"Content-Type": reply.content_type(), **reply.headers}
    if reply.chunked:
        headers["Transfer-Encoding"] = "chunked"
    else:
        headers.setdefault("Content-Length", str(length))
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n" if data else b""


def _body(reply: Reply, data: bytes) -> bytes:
    if not reply.chunked:
        return data
    mid = len(data) // 2
    return _chunk(data[:mid]) + _chunk(data[mid:]) + b"0\r\n\r\n"


def _reset(conn: socket.socket) -> None:
    """Close with a TCP RST (SO_LINGER 0) instead of a FIN."""
    _quiet(lambda: conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)))
    _quiet(conn.close)


def _quiet(fn: Callable[[], Any]) -> None:
    with contextlib.suppress(OSError):
        fn()


@pytest.fixture
def raw_server() -> Iterator[Callable[[App], RawServer]]:
    """Start raw servers for a test (``raw_server(app)``); all are stopped afterwards."""
    servers: list[RawServer] = []

    def start(app: App) -> RawServer:
        s = RawServer(app)
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.stop()

"""A tiny programmable HTTP server for transport-level tests of the SwanLab client.

Each test gives an ``app(req) -> Reply`` function; the server records every request. ``DROP``
closes the connection without answering (a dropped connection).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.http.rawserver import raw_server  # the byte-level fault server, for export chains


@dataclass
class Req:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # JSON-able, or bytes sent as-is
    headers: dict[str, str] = field(default_factory=dict)


DROP = object()

App = Callable[[Req], Any]


class FakeServer:
    def __init__(self, app: App) -> None:
        self.app = app
        self.requests: list[Req] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return None

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                req = Req(
                    self.command,
                    parts.path,
                    {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()},
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                with server._lock:
                    server.requests.append(req)
                reply = server.app(req)
                if reply is DROP:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if not isinstance(reply, Reply):
                    reply = Reply(200, reply)
                data = (
                    reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
                )
                self.send_response(reply.status)
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                if "Content-Type" not in reply.headers:
                    ctype = "text/csv" if isinstance(reply.body, bytes) else "application/json"
                    self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def hits(self, method: str, path: str) -> list[Req]:
        with self._lock:
            return [r for r in self.requests if r.method == method and r.path == path]

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=10)


@pytest.fixture
def serve() -> Iterator[Callable[[App], FakeServer]]:
    servers: list[FakeServer] = []

    def start(app: App) -> FakeServer:
        s = FakeServer(app)
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.stop()


__all__ = ["raw_server"]

KEY = "Zk3SecretKeyValue0001"  # 21 chars like a real key
SID = "session-id-abcdef123456"
FAR = "2099-01-01T00:00:00.000Z"


def login_ok(req: Req, *, status: int = 200, expired_at: str = FAR, sid: str = SID) -> Reply:
    if req.headers.get("authorization") != KEY:
        return Reply(401, {"code": "UNAUTHORIZED", "message": "Error api key"})
    return Reply(
        status,
        {"sid": sid, "expiredAt": expired_at, "userInfo": {"username": "alice", "name": "A"}},
    )


def authed(req: Req, sid: str = SID) -> bool:
    return f"sid={sid}" in req.headers.get("cookie", "")

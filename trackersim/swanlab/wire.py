"""Writing answers to the socket, faithfully or broken at the byte level.

``send`` writes a :class:`~trackersim.swanlab.proto.Response` with its status, headers and body
(``Content-Length`` for bytes, chunked transfer for streams) and counts it. ``send_broken`` does
the same with one of the byte-level faults of :mod:`trackersim.swanlab.faults`: a TCP reset after
the headers or in the middle of the body, a body cut short (chunked or against its
``Content-Length``), or a slow drip. The canned pages are what proxies and object stores really
send: an HTML page with status 200 (a WAF or captive portal), nginx's 502 page, and the XML
"Request has expired" error of an object store.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import time
import uuid
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING

from trackersim.swanlab.proto import Response

if TYPE_CHECKING:
    from trackersim.swanlab.counters import RouteCounters

# Simulated latency between the headers and a reset, so that the client has parsed the headers
# (otherwise "reset after the headers" would look like a plain dropped connection).
RESET_GAP_S = 0.003
DRIP_PIECE = 7  # bytes per dripped piece
DRIP_PIECES = 24  # pieces dripped before the rest goes out at once

HTML_200 = b"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Just a moment...</title></head>
<body><h1>Checking your browser before accessing the API</h1>
<p>This process is automatic. Your request will be redirected shortly.</p></body></html>
"""
HTML_502 = b"""<html>
<head><title>502 Bad Gateway</title></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
<hr><center>nginx/1.24.0</center>
</body>
</html>
"""
EXPIRED_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>AccessDenied</Code><Message>Request has expired</Message>
<Resource>/exports</Resource><RequestId>NjVmZGU3NjBfOTQxMTA5MDlfMTIzNF8x</RequestId></Error>
"""

NO_SUCH_KEY = b"""<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>
<RequestId>NjVmZGU3NjBfOTQxMTA5MDlfMTIzNF8y</RequestId></Error>
"""


def html_200() -> Response:
    return Response(200, HTML_200, "text/html; charset=utf-8")


def html_502() -> Response:
    return Response(502, HTML_502, "text/html")


def expired() -> Response:
    return Response(403, EXPIRED_XML, "application/xml")


def _head(handler: BaseHTTPRequestHandler, resp: Response, framing: dict[str, str]) -> None:
    handler.send_response(resp.status)
    handler.send_header("Content-Type", resp.content_type)
    handler.send_header("traceid", uuid.uuid4().hex)
    for k, v in {**resp.headers, **framing}.items():
        handler.send_header(k, v)
    handler.end_headers()


def send(
    handler: BaseHTTPRequestHandler,
    resp: Response,
    counters: RouteCounters,
    route: str | None,
) -> None:
    """Write the response, counting it under ``route`` (None = not counted) *before* each
    write, so a client that has read the answer always sees it in the counters."""
    if isinstance(resp.body, bytes):
        _head(handler, resp, {"Content-Length": str(len(resp.body))})
        if route is not None:
            counters.add(route, 1, len(resp.body))
        handler.wfile.write(resp.body)
        return
    _head(handler, resp, {"Transfer-Encoding": "chunked"})
    if route is not None:
        counters.add(route, 1, 0)
    try:
        for chunk in resp.body:
            if chunk:
                if route is not None:
                    counters.add(route, 0, len(chunk))
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        handler.wfile.write(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        handler.close_connection = True


def _body(resp: Response, limit: int = 1 << 20) -> bytes:
    """The body, or for a stream its first ``limit`` bytes or so: a broken answer never
    delivers more than half of it, and a huge export must not be built whole for that."""
    if isinstance(resp.body, bytes):
        return resp.body
    out = bytearray()
    for chunk in resp.body:
        out += chunk
        if len(out) >= limit:
            break
    return bytes(out)


class Handler(BaseHTTPRequestHandler):
    """A request handler that can end its connection with a TCP RST (SO_LINGER 0) instead of
    an orderly FIN: set ``rst_pending`` and the connection is reset once the request is done."""

    rst_pending = False

    def finish(self) -> None:
        if not self.rst_pending:
            super().finish()
            return
        sock = self.connection
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        for stream in (self.wfile, self.rfile):
            with contextlib.suppress(OSError):
                stream.close()
        sock.close()  # the makefile() streams are closed, so this really closes: RST goes out


def _reset(handler: Handler) -> None:
    handler.close_connection = True
    handler.rst_pending = True


def _chunks(data: bytes, size: int) -> Iterable[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


def send_broken(
    handler: Handler,
    resp: Response,
    action: str,
    counters: RouteCounters,
    route: str,
    drip_s: float,
) -> None:
    """Write ``resp`` broken by ``action`` (a byte-level fault kind)."""
    body = _body(resp)
    half = len(body) // 2
    counters.add(route, 1, 0)
    try:
        if action == "drip":
            _head(handler, resp, {"Content-Length": str(len(body))})
            cut = DRIP_PIECE * DRIP_PIECES
            for piece in _chunks(body[:cut], DRIP_PIECE):
                handler.wfile.write(piece)
                counters.add(route, 0, len(piece))
                time.sleep(drip_s)  # simulated slow network, not synchronisation
            handler.wfile.write(body[cut:])
            counters.add(route, 0, len(body[cut:]))
        elif action == "reset_headers":
            _head(handler, resp, {"Content-Length": str(len(body))})
            time.sleep(RESET_GAP_S)  # simulated latency: the client reads the headers first
            _reset(handler)
        elif action == "reset_body":
            _head(handler, resp, {"Content-Length": str(len(body))})
            handler.wfile.write(body[:half])
            counters.add(route, 0, half)
            time.sleep(RESET_GAP_S)  # simulated latency: the client reads the first half
            _reset(handler)
        elif action == "truncate_chunked":
            _head(handler, resp, {"Transfer-Encoding": "chunked"})
            for piece in _chunks(body[:half], 4096):
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            counters.add(route, 0, half)
            handler.close_connection = True  # orderly close, but no final 0-length chunk
        elif action == "truncate_length":
            _head(handler, resp, {"Content-Length": str(len(body))})
            handler.wfile.write(body[:half])
            counters.add(route, 0, half)
            handler.close_connection = True  # fewer bytes than Content-Length promised
        else:
            raise ValueError(f"not a byte-level fault: {action!r}")
    except (BrokenPipeError, ConnectionResetError):
        handler.close_connection = True

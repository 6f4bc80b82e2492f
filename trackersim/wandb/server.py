"""The HTTP server: stdlib ThreadingHTTPServer in a daemon thread, speaking W&B's GraphQL.

Routes: ``POST <prefix>/graphql`` (any path ending in ``/graphql``, so a base URL with a path
prefix works), ``GET``/``HEAD /_files/parquet/...`` (signed URLs, see files.py), and the
loopback-only ``/_sim/...`` control routes (control.py). Per request: control routes bypass
everything; otherwise the operation is named from the query text, faults are applied, the
credentials are checked, and the answer is written and counted under the operation's name.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from trackersim.errors import SimError, SimNotFound
from trackersim.wandb import control, runfiles
from trackersim.wandb.counters import Counters
from trackersim.wandb.endpoint import Reply, authorized, errors_reply, execute, request_name
from trackersim.wandb.faults import Faults
from trackersim.wandb.files import Signer, serve_file
from trackersim.wandb.world import World

log = logging.getLogger("trackersim.wandb")

LOOPBACK = ("127.0.0.1", "::1", "::ffff:127.0.0.1")
FILES = "GET /_files/parquet"
RUN_FILES = "GET /_files/run"
PROXY_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad "
    b"Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
HTML_200 = (
    b"<!DOCTYPE html><html><head><title>Weights &amp; Biases</title></head><body><h1>Something "
    b"went wrong</h1><p>An unexpected error occurred. Please try again.</p></body></html>"
)


class SimServer:
    """A simulated W&B server serving ``world`` on ``host:port`` (port 0 = a free port)."""

    def __init__(
        self,
        world: World,
        port: int = 0,
        host: str = "127.0.0.1",
        faults: Faults | None = None,
        log_requests: bool = False,
    ) -> None:
        self.world = world
        self.host = host
        self.port = port
        self.faults = faults or Faults()
        self.counters = Counters()
        self.log_requests = log_requests
        self.signer = Signer(secrets.token_bytes(16), "", lambda: world.options.presign_ttl_s)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> SimServer:
        handler = type("WandbSimHandler", (_Handler,), {"sim": self})
        server_cls = _Server6 if ":" in self.host else ThreadingHTTPServer
        httpd = server_cls((self.host, self.port), handler)
        httpd.daemon_threads = True
        self._httpd = httpd
        self.port = httpd.server_address[1]
        self.signer.base_url = self.url
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()
        log.info("simulated W&B server serving world %r at %s", self.world.name, self.url)
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> SimServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def api_key(self) -> str:
        return self.world.api_key

    @property
    def username(self) -> str:
        return self.world.user.username


class _Server6(ThreadingHTTPServer):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    sim: SimServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # see the SwanLab simulator: avoids 40 ms stalls per answer
    server_version = "trackersim-wandb/0.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_POST(self) -> None:
        self._serve("POST")

    def do_GET(self) -> None:
        self._serve("GET")

    def do_HEAD(self) -> None:
        self._serve("HEAD")

    def _serve(self, method: str) -> None:
        sim = self.sim
        split = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        path = split.path
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        if path.startswith("/_sim/"):
            if self.client_address[0] not in LOOPBACK:
                self._write(errors_reply(403, "control routes are loopback-only"), None, "ok")
                return
            reply = _guard(lambda: control.dispatch(sim, method, path, query, body))
            self._write(reply, None, "ok")
            return
        if path.startswith("/_files/run/") and method in ("GET", "HEAD"):
            name, data, path = RUN_FILES, None, unquote(path)
        elif path.startswith("/_files/") and method in ("GET", "HEAD"):
            name, data = FILES, None
        elif method == "POST" and path.endswith("/graphql"):
            name, data = request_name(body)
        else:
            self._write(
                errors_reply(404, f"no route for {method} {path}"), f"{method} <unmatched>", "ok"
            )
            return

        action, status, delay = sim.faults.decide(name)
        if delay > 0:
            time.sleep(delay)  # simulated latency, not synchronisation
        if action == "reset":
            sim.counters.add(name, 1, 0)
            self.close_connection = True
            self._log(name, 0)
            return
        failing = sim.faults.failing_run(self.path + "\n" + body.decode("utf-8", "replace"))
        if failing is not None:
            reply = errors_reply(failing, "this run always fails (simulated)")
        elif action == "429":
            reply = errors_reply(429, "rate limit exceeded (simulated)")
            if sim.faults.retry_after is not None:
                reply.headers["Retry-After"] = str(sim.faults.retry_after)
        elif action == "5xx":
            reply = errors_reply(status, "internal server error (simulated)")
        elif action == "proxy_502":
            reply = Reply(502, PROXY_502, "text/html")
        elif action == "html_200":
            reply = Reply(200, HTML_200, "text/html; charset=utf-8")
        elif name == FILES:
            bad = sim.signer.check(path, query, sim.faults.expire_urls)
            reply = bad or _guard(lambda: serve_file(sim.world, path, self.headers.get("range")))
        elif name == RUN_FILES:
            bad = sim.signer.check(path, query, sim.faults.expire_urls)
            reply = bad or _guard(
                lambda: runfiles.serve(sim.world, path, self.headers.get("range"))
            )
        elif data is None:
            reply = errors_reply(400, "body must be a JSON object with a string 'query'")
        elif not authorized(sim.world, self.headers.get("authorization")):
            reply = errors_reply(401, "user is not logged in: invalid or missing API key")
        else:
            reply = _guard(lambda: execute(sim.world, data, sim.signer.sign))
        self._write(reply, name, action, head=method == "HEAD")
        self._log(name, reply.status)

    def _log(self, name: str, status: int) -> None:
        if self.sim.log_requests:
            log.info("%s -> %s", name, status or "dropped")

    def _write(self, reply: Reply, name: str | None, action: str, head: bool = False) -> None:
        """Write ``reply`` as ``action`` says, counting it under ``name`` before any byte goes
        out (a client that has read an answer always finds it counted)."""
        body = reply.body
        counters = self.sim.counters
        announced = len(body) // 2 if action == "truncate" else len(body)
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        for k, v in reply.headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(announced))
        self.end_headers()
        if name is not None:
            counters.add(name, 1, 0 if head else announced)
        if head:
            return
        try:
            if action == "reset_headers":
                self.wfile.flush()
                self.close_connection = True
            elif action in ("reset_body", "truncate"):
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = action == "reset_body"
            elif action == "drip":
                step = max(1, self.sim.faults.drip_bytes)
                for i in range(0, len(body), step):
                    self.wfile.write(body[i : i + step])
                    self.wfile.flush()
                    time.sleep(self.sim.faults.drip_ms / 1000.0)
            else:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        if self.close_connection and action in ("reset_headers", "reset_body"):
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)


def _guard(fn: Any) -> Reply:
    try:
        reply: Reply = fn()
        return reply
    except SimNotFound as exc:
        return errors_reply(404, str(exc))
    except SimError as exc:
        return errors_reply(400, str(exc))
    except Exception:  # a simulator bug: answer 500 instead of dropping the socket
        log.exception("simulator route failed")
        return errors_reply(500, "simulator bug (see its log)")

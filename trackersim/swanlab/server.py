"""The HTTP server: stdlib ThreadingHTTPServer in a daemon thread, speaking SwanLab's OpenAPI.

Per request: control routes (``/_sim/...``, loopback only) bypass everything; otherwise the
route is matched, faults are applied, the ``sid`` cookie is checked, the route runs, and the
answer (JSON or a streamed CSV) is written with a ``traceid`` header and counted.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
import zlib
from http.cookies import CookieError, SimpleCookie
from http.server import ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from trackersim.errors import SimError, SimNotFound
from trackersim.swanlab import (  # noqa: F401 (importing registers the routes)
    control,
    jsonout,
    routes_core,
    routes_files,
    routes_house,
    routes_media,
    wire,
)
from trackersim.swanlab.counters import RouteCounters
from trackersim.swanlab.faults import BYTE_KINDS, Faults, RouteClass
from trackersim.swanlab.proto import HttpError, Request, Response, json_response, match
from trackersim.swanlab.spell import mix
from trackersim.swanlab.world import World

log = logging.getLogger("trackersim.swanlab")

LOOPBACK = ("127.0.0.1", "::1", "::ffff:127.0.0.1")


class SimServer:
    """A simulated SwanLab cloud serving ``world`` on ``host:port`` (port 0 = a free port)."""

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
        self.counters = RouteCounters()
        self.log_requests = log_requests
        self.secret = secrets.token_bytes(16)
        self.sessions: set[str] = set()
        self.exports: dict[str, Any] = {}  # cosKey -> export job (routes_files)
        self.object_keys: dict[str, int] = {}  # object-key stem -> keys handed out
        self.url_epoch = 0  # bumped by expire_urls(): older signatures are expired
        self.lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> SimServer:
        handler = type("SimHandler", (_Handler,), {"sim": self})
        httpd = ThreadingHTTPServer((self.host, self.port), handler)
        httpd.daemon_threads = True
        self._httpd = httpd
        self.port = httpd.server_address[1]
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()
        log.info("simulated SwanLab cloud serving world %r at %s", self.world.name, self.url)
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

    # -- properties -----------------------------------------------------------------------------
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

    # -- helpers used by routes -----------------------------------------------------------------
    def new_session(self) -> str:
        sid = secrets.token_urlsafe(24)
        with self.lock:
            self.sessions.add(sid)
        return sid

    def sign(self, path: str, expires_ms: int) -> str:
        msg = f"{path}\n{expires_ms}\n{self.url_epoch}".encode()
        return hmac.new(self.secret, msg, hashlib.sha256).hexdigest()

    def expire_urls(self) -> None:
        """Every presigned URL handed out so far expires now (as if their lifetime had run
        out): answered 403 "Request has expired"; fresh presigns work."""
        with self.lock:
            self.url_epoch += 1

    def _sign_at(self, path: str, expires_ms: int, epoch: int) -> str:
        msg = f"{path}\n{expires_ms}\n{epoch}".encode()
        return hmac.new(self.secret, msg, hashlib.sha256).hexdigest()

    def presign(self, path: str) -> str:
        """An absolute, time-limited URL for a file path served under /_files/."""
        expires = int((time.time() + self.world.options.presign_ttl_s) * 1000)
        sig = self.sign(path, expires)
        return f"{self.url}/_files/{quote(path, safe='/')}?expires={expires}&signature={sig}"

    def check_signature(self, path: str, query: dict[str, str]) -> None:
        try:
            expires = int(query.get("expires", ""))
        except ValueError as exc:
            raise HttpError(403, "FORBIDDEN", "missing or malformed expiry") from exc
        good = self.sign(path, expires)
        if not hmac.compare_digest(good, query.get("signature", "")):
            if any(
                hmac.compare_digest(self._sign_at(path, expires, e), query.get("signature", ""))
                for e in range(self.url_epoch)
            ):
                raise HttpError(403, "FORBIDDEN", "request has expired")
            raise HttpError(403, "FORBIDDEN", "signature does not match")
        if time.time() * 1000 > expires or self.faults.is_expired(query.get("signature", "")):
            raise HttpError(403, "FORBIDDEN", "request has expired")

    def authorized(self, req: Request) -> bool:
        raw = req.headers.get("cookie", "")
        if raw:
            try:
                jar = SimpleCookie(raw)
            except CookieError:
                jar = SimpleCookie()
            morsel = jar.get("sid")
            if morsel is not None:
                with self.lock:
                    if morsel.value in self.sessions:
                        return True
        if self.world.options.accept_key_header:
            key = req.headers.get("authorization", "").removeprefix("ApiKey ").strip()
            return hmac.compare_digest(key, self.world.api_key)
        return False


class _Handler(wire.Handler):
    sim: SimServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out as separate writes; without TCP_NODELAY each response stalls on
    # Nagle + delayed ACK (~40 ms per request on loopback).
    disable_nagle_algorithm = True
    server_version = "swansync-sim/0.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet default stderr logging
        return

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def _serve(self, method: str) -> None:
        # CPU this thread spent on the request (parsing, the handler, writing the answer):
        # benchmarks read it per route to see what serving costs the simulator.
        started = time.thread_time()
        name = self._handle(method)
        if name is not None:
            self.sim.counters.add_cpu(name, time.thread_time() - started)

    def _handle(self, method: str) -> str | None:
        sim = self.sim
        split = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        req = Request(
            method=method,
            path=split.path,
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            client_host=self.client_address[0],
        )
        if req.path.startswith("/_sim/"):
            jsonout.use(jsonout.PLAIN)
            if req.client_host not in LOOPBACK:
                self._send(_error(403, "FORBIDDEN", "control routes are loopback-only"), None)
                return None
            self._send(_call(lambda: control.dispatch(sim, req)), None)
            return None

        rt, params, known = match(method, req.path)
        fingerprint = _fingerprint(rt.name if rt else method, req)
        opts = sim.world.options
        jsonout.use(
            jsonout.JsonStyle(
                numbers=opts.json_number_spellings,
                escapes=opts.json_escapes,
                salt=mix(sim.world.seed, zlib.crc32(fingerprint.encode())),
            )
        )
        if rt is None:
            name = f"{method} <unmatched>"
            if known:
                resp = _error(405, "METHOD_NOT_ALLOWED", f"{method} is not allowed on {req.path}")
            else:
                resp = _error(404, "NOT_FOUND", f"no route for {method} {req.path}")
            self._send(resp, name)
            return name
        req.params = params

        klass: RouteClass = "download" if rt.name.startswith("GET /_files/") else "json"
        if not rt.data:
            klass = "login"
        faults = sim.faults
        decision = faults.decide(rt.name, rt.data, fingerprint, klass)
        if decision.delay > 0:
            time.sleep(decision.delay)  # simulated latency, not synchronisation
        action = decision.action
        failing = None
        if rt.data and faults.fail_runs:
            failing = faults.failing_run(self.path + "\n" + body.decode("utf-8", "replace"))
        if action == "reset":
            sim.counters.add(rt.name, 1, 0)
            self.close_connection = True
            self._log(method, rt.name, 0)
            return rt.name
        if decision.page_shift and req.int_query("page", 1) >= 2:
            _shift_page(sim, params)
        if failing is not None:
            resp = _error(failing, "INTERNAL_ERROR", "this run always fails (simulated)")
        elif action == "429":
            resp = _error(429, "TOO_MANY_REQUESTS", "rate limited (simulated)")
            resp.headers["Retry-After"] = str(faults.retry_after)
        elif action == "5xx":
            resp = _error(decision.status, "INTERNAL_ERROR", "server error (simulated)")
            if decision.status == 503:
                resp.headers["Retry-After"] = str(faults.retry_after)
        elif action == "html_502":
            resp = wire.html_502()
        elif action == "html_200":
            resp = wire.html_200()
        elif action == "expired" and _expire(sim, req):
            resp = wire.expired()
        elif rt.auth and not sim.authorized(req):
            resp = _error(401, "UNAUTHORIZED", "Authorization Required: log in first")
        else:
            handler = rt.handler
            resp = _call(lambda: handler(sim, req))
        if action in BYTE_KINDS and action not in ("html_200", "html_502", "expired"):
            wire.send_broken(self, resp, action, sim.counters, rt.name, faults.drip_ms / 1000)
        else:
            self._send(resp, rt.name)
        self._log(method, rt.name, resp.status)
        return rt.name

    def _log(self, method: str, name: str, status: int) -> None:
        if self.sim.log_requests:
            log.info("%s %s -> %s", method, name.split(" ", 1)[1], status or "dropped")

    def _send(self, resp: Response, route: str | None) -> None:
        wire.send(self, resp, self.sim.counters, route)


def _fingerprint(route: str, req: Request) -> str:
    """What identifies a request for fault draws: route, path, query without the volatile URL
    signature, and a digest of the body."""
    query = sorted((k, v) for k, v in req.query.items() if k not in ("expires", "signature"))
    digest = hashlib.blake2b(req.body, digest_size=12).hexdigest()
    return f"{route}\n{req.path}\n{query}\n{digest}"


def _shift_page(sim: SimServer, params: dict[str, str]) -> None:
    """A run is created at the head of the listed project while the client pages."""
    path = f"{params.get('ws', '')}/{params.get('proj', '')}"
    with sim.world.lock:
        if path in sim.world.project_map:
            sim.world.add_run(path, name=f"created-while-paging-{len(sim.world.run_map)}")
            sim.faults.note("page_shift")


def _expire(sim: SimServer, req: Request) -> bool:
    """Mark a download URL expired for good (a fresh presign is the only way on)."""
    signature = req.query.get("signature", "")
    if not signature:
        return False
    sim.faults.expire(signature)
    return True


def _error(status: int, code: str, message: str) -> Response:
    return json_response({"code": code, "message": message}, status)


def _call(fn: Any) -> Response:
    try:
        resp: Response = fn()
        return resp
    except HttpError as exc:
        return _error(exc.status, exc.code, exc.message)
    except SimNotFound as exc:
        return _error(404, "NOT_FOUND", str(exc))
    except SimError as exc:
        return _error(400, "BAD_REQUEST", str(exc))
    except Exception:  # a bug in the simulator: answer 500 instead of dropping the socket
        log.exception("simulator route failed")
        return _error(500, "INTERNAL_ERROR", "simulator bug (see its log)")

"""Transport policy and auth of the SwanLab client against a tiny local server."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from swansync.errors import AuthError, DataError, FatalApiError, RetriableApiError
from swansync.http import redact
from swansync.sources.swanlab.cloud.client import SwanLabClient

from .conftest import DROP, FAR, KEY, SID, Reply, Req, authed, login_ok


def client(url: str, **kw: Any) -> SwanLabClient:
    kw.setdefault("backoff", 0.01)
    kw.setdefault("retries", 3)
    kw.setdefault("timeout", 10)
    return SwanLabClient(url, KEY, **kw)


def test_login_then_cookie_on_data(serve: Any) -> None:
    def app(req: Req) -> Any:
        if req.path == "/api/login/api_key":
            assert req.body == b""
            return login_ok(req)
        if not authed(req):
            return Reply(401, {"code": "UNAUTHORIZED", "message": "no"})
        return {"ok": True}

    s = serve(app)
    c = client(s.url)
    assert c.call("GET", "/user/profile", route="GET /user/profile", what="me") == {"ok": True}
    assert c.call("GET", "/user/profile", route="GET /user/profile", what="me") == {"ok": True}
    assert len(s.hits("POST", "/api/login/api_key")) == 1
    data = s.hits("GET", "/api/user/profile")
    assert all("authorization" not in r.headers for r in data)
    assert c.accounting.counters.requests == 3
    assert c.accounting.counters.by_route["GET /user/profile"] == 2


@pytest.mark.parametrize("status", [200, 201])
def test_login_accepts_200_and_201(serve: Any, status: int) -> None:
    s = serve(lambda r: login_ok(r, status=status) if "login" in r.path else {"x": 1})
    assert client(s.url).call("GET", "/x", route="GET /x", what="x") == {"x": 1}


@pytest.mark.parametrize(
    "expired_at",
    [
        "2099-01-01T00:00:00Z",
        "2099-01-01T00:00:00.123456Z",
        "2099-01-01 00:00:00",
        "4070908800000",
        "garbage",
    ],
)
def test_lenient_expired_at(serve: Any, expired_at: str) -> None:
    s = serve(lambda r: login_ok(r, expired_at=expired_at) if "login" in r.path else [1])
    c = client(s.url)
    for _ in range(3):
        c.call("GET", "/x", route="GET /x", what="x")
    assert len(s.hits("POST", "/api/login/api_key")) == 1


def test_relogin_when_expiry_within_seven_days(serve: Any) -> None:
    soon = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    s = serve(lambda r: login_ok(r, expired_at=soon) if "login" in r.path else [1])
    c = client(s.url)
    for _ in range(3):
        c.call("GET", "/x", route="GET /x", what="x")
    # The first call logs in; each later call finds < 7 days left and logs in again first.
    assert len(s.hits("POST", "/api/login/api_key")) == 3


def test_401_relogin_once_then_auth_error(serve: Any) -> None:
    state = {"sid": 0}

    def app(req: Req) -> Any:
        if "login" in req.path:
            state["sid"] += 1
            return login_ok(req, sid=f"{SID}-{state['sid']}")
        if req.path == "/api/flaky":  # accepts only the second session
            return [1] if authed(req, f"{SID}-2") else Reply(401, {"message": "expired"})
        return Reply(401, {"message": "never"})

    s = serve(app)
    c = client(s.url)
    assert c.call("GET", "/flaky", route="GET /flaky", what="flaky") == [1]
    assert len(s.hits("POST", "/api/login/api_key")) == 2
    with pytest.raises(AuthError) as e:
        c.call("GET", "/never", route="GET /never", what="never")
    assert len(s.hits("GET", "/api/never")) == 2  # once, then once after a fresh login
    assert KEY not in str(e.value)


def test_bad_key_is_auth_error_without_key(serve: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    s = serve(lambda r: Reply(401, {"code": "UNAUTHORIZED", "message": f"bad key {KEY}"}))
    with pytest.raises(AuthError) as e:
        client(s.url).call("GET", "/x", route="GET /x", what="x")
    assert "\n" not in str(e.value)
    assert KEY not in str(e.value)
    assert len(s.requests) == 1  # a 401 is final
    assert all(KEY not in r.getMessage() for r in caplog.records)


def test_auth_verify_fallback(serve: Any) -> None:
    def app(req: Req) -> Any:
        if req.path == "/api/login/api_key":
            return Reply(404, {"code": "NOT_FOUND", "message": "no such route"})
        if req.path == "/api/auth/verify":
            ok = req.headers.get("authorization") == f"ApiKey {KEY}"
            return {"username": "alice"} if ok else Reply(401, {})
        ok = req.headers.get("authorization") == f"ApiKey {KEY}"
        return [1] if ok and "cookie" not in req.headers else Reply(401, {})

    s = serve(app)
    assert client(s.url).call("GET", "/x", route="GET /x", what="x") == [1]


def test_retry_after_honoured(serve: Any) -> None:
    calls: list[float] = []

    def app(req: Req) -> Any:
        if "login" in req.path:
            return login_ok(req)
        calls.append(time.monotonic())
        if len(calls) < 3:
            return Reply(503 if len(calls) == 1 else 429, {"message": "busy"}, {"Retry-After": "1"})
        return {"done": True}

    s = serve(app)
    t0 = time.monotonic()
    c = client(s.url, backoff=0.0)
    assert c.call("POST", "/house/x", route="POST /house/x", what="x", body={}) == {"done": True}
    assert len(calls) == 3
    assert calls[1] - calls[0] >= 0.9
    assert calls[2] - calls[1] >= 0.9
    assert time.monotonic() - t0 < 10


def test_retry_after_capped(serve: Any) -> None:
    n = {"c": 0}

    def app(req: Req) -> Any:
        if "login" in req.path:
            return login_ok(req)
        n["c"] += 1
        return Reply(429, {}, {"Retry-After": "3600"}) if n["c"] == 1 else [1]

    s = serve(app)
    c = SwanLabClient(s.url, KEY, retries=2, backoff=0.0, timeout=5, max_retry_after=0.2)
    t0 = time.monotonic()
    assert c.call("GET", "/x", route="GET /x", what="x") == [1]
    assert time.monotonic() - t0 < 5


def test_5xx_exhausts_retries_then_retriable_error(serve: Any) -> None:
    s = serve(
        lambda r: (
            login_ok(r)
            if "login" in r.path
            else Reply(500, {"code": 500, "message": "boom"}, {"traceid": "tr-1"})
        )
    )
    with pytest.raises(RetriableApiError) as e:
        client(s.url, retries=3).call("POST", "/house/x", route="POST /house/x", what="x", body={})
    assert len(s.hits("POST", "/api/house/x")) == 4
    assert e.value.status == 500
    assert "tr-1" in str(e.value) and "POST /house/x" in str(e.value)


def test_other_4xx_final(serve: Any) -> None:
    s = serve(
        lambda r: (
            login_ok(r)
            if "login" in r.path
            else Reply(404, {"code": "NOT_FOUND", "message": "gone"})
        )
    )
    with pytest.raises(FatalApiError) as e:
        client(s.url).call("GET", "/x", route="GET /x", what="thing")
    assert e.value.status == 404
    assert len(s.hits("GET", "/api/x")) == 1
    assert "NOT_FOUND" in str(e.value)


def test_dropped_connections_retried_for_post(serve: Any) -> None:
    n = {"c": 0}
    lock = threading.Lock()

    def app(req: Req) -> Any:
        if "login" in req.path:
            return login_ok(req)
        with lock:
            n["c"] += 1
            c = n["c"]
        return DROP if c <= 2 else {"ok": c}

    s = serve(app)
    c = client(s.url)
    assert c.call("POST", "/house/x", route="POST /house/x", what="x", body={"a": 1}) == {"ok": 3}


def test_connection_refused_is_retriable(serve: Any) -> None:
    s = serve(lambda r: [1])
    url = s.url
    s.stop()
    with pytest.raises(RetriableApiError) as e:
        client(url, retries=1).call("GET", "/x", route="GET /x", what="x")
    assert KEY not in str(e.value)


@pytest.mark.parametrize("body", [b"not json", b"null"])
def test_bad_json_is_data_error(serve: Any, body: bytes) -> None:
    s = serve(
        lambda r: login_ok(r) if "login" in r.path else Reply(200, body, {"Content-Type": "text/x"})
    )
    with pytest.raises(DataError, match="run 'r1'"):
        client(s.url).call("GET", "/x", route="GET /x", what="run 'r1'")


def test_download_without_cookie_and_non2xx_is_error(serve: Any) -> None:
    storage = serve(
        lambda r: (
            b"step,a_step,a_timestamp\n0,1.0,5\n"
            if r.path == "/ok"
            else Reply(403, b"AccessDenied")
        )
    )
    api = serve(login_ok)
    c = client(api.url)
    c.login()
    assert c.download(storage.url + "/ok?X-Amz-Signature=abc", route="GET <csv>", what="csv")
    assert "cookie" not in storage.requests[-1].headers
    assert "authorization" not in storage.requests[-1].headers
    with pytest.raises(FatalApiError) as e:
        c.download(storage.url + "/denied?X-Amz-Signature=topsecret", route="GET <csv>", what="csv")
    assert "topsecret" not in str(e.value)


def test_redact() -> None:
    text = (
        f"GET https://s3.example/x.csv?X-Amz-Credential=AK%2F1&X-Amz-Signature=deadbeef&a=1 "
        f"Cookie: sid={SID}; authorization: {KEY} q-signature=ff00"
    )
    out = redact(text)
    for secret in ("deadbeef", SID, KEY, "AK%2F1", "ff00"):
        assert secret not in out
    # A signed URL loses its whole query (a signature may hide under any parameter name).
    assert "s3.example/x.csv?<signed query redacted> " in out and "a=1" not in out
    assert redact("GET https://api.example/x?page=2&size=100") == (
        "GET https://api.example/x?page=2&size=100"
    )


def test_key_never_logged(serve: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    n = {"c": 0}

    def app(req: Req) -> Any:
        if "login" in req.path:
            return login_ok(req)
        n["c"] += 1
        return Reply(503, {}, {"Retry-After": "0"}) if n["c"] == 1 else [1]

    s = serve(app)
    c = client(s.url)
    c.call("GET", "/x", route="GET /x", what="x")
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert KEY not in text and SID not in text
    assert FAR  # the far-future expiry keeps one login


def test_https_to_a_plain_http_server_says_so(serve: Any) -> None:
    """`--host 127.0.0.1:8080` means https; a plain-http server answers the TLS hello with
    garbage. The one-line error says what to do, not only what OpenSSL saw."""
    s = serve(lambda r: login_ok(r) if "login" in r.path else {"x": 1})
    url = s.url.replace("http://", "https://")
    with pytest.raises(FatalApiError) as e:
        client(url).call("GET", "/x", route="GET /x", what="x")
    text = str(e.value)
    assert "plain http" in text and url.replace("https://", "http://") in text, text
    assert "\n" not in text

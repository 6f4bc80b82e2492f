"""The HTTP policy against a server that misbehaves at the byte level, through the real
``make_session`` stack: every fault is retried under one budget per logical request, bodies come
back whole or not at all, and nothing noisy or secret reaches the logs."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from swansync.http import BadBody, HttpFault, PolicySession, make_session
from tests.http.rawserver import (
    Close,
    Drip,
    LyingLength,
    RawHeaders,
    RawRequest,
    RawServer,
    Reply,
    ResetAfterHeaders,
    ResetMidBody,
    Stall,
    TruncatedChunked,
    html,
)

BODY = bytes(range(256)) * 64  # 16 KiB, every byte value
Start = Callable[[Callable[[RawRequest], Any]], RawServer]

# Faults that break the answer after the connection was made; each is worth a retry.
BROKEN: dict[str, Callable[[], Any]] = {
    "reset after headers": lambda: ResetAfterHeaders(Reply(200, BODY)),
    "reset mid-body": lambda: ResetMidBody(Reply(200, BODY), at=5000),
    "truncated chunked body": lambda: TruncatedChunked(Reply(200, BODY), at=5000),
    "Content-Length longer than the body": lambda: LyingLength(Reply(200, BODY), extra=100),
    "close without answering": lambda: Close(),
    "reset without answering": lambda: Close(reset=True),
}
STATUSES: dict[str, Callable[[], Any]] = {
    "429": lambda: Reply(429, {"message": "slow down"}),
    "500": lambda: Reply(500, {"message": "boom"}),
    "502 HTML page from a proxy": lambda: html(502),
    "503": lambda: Reply(503, {"message": "busy"}, {"Retry-After": "0"}),
}


def session(**kw: Any) -> PolicySession:
    kw.setdefault("retries", 3)
    kw.setdefault("backoff", 0.001)
    kw.setdefault("timeout", 10)
    kw.setdefault("max_retry_after", 0.01)
    return make_session(user_agent="test", **kw)


def first_then(fault: Callable[[], Any], then: Any = None) -> Callable[[RawRequest], Any]:
    """An app that answers the first request with ``fault`` and every later one with ``then``
    (default: the whole BODY)."""
    seen: list[int] = []

    def app(req: RawRequest) -> Any:
        seen.append(1)
        if len(seen) == 1:
            return fault()
        return then if then is not None else Reply(200, BODY)

    return app


def always(fault: Callable[[], Any]) -> Callable[[RawRequest], Any]:
    return lambda req: fault()


@pytest.mark.parametrize("name", list(BROKEN) + list(STATUSES))
def test_one_fault_then_the_whole_body(raw_server: Start, name: str) -> None:
    s = raw_server(first_then({**BROKEN, **STATUSES}[name]))
    resp = session().get(s.url + "/data")
    assert resp.status_code == 200
    assert resp.content == BODY
    assert len(s.hits()) == 2


@pytest.mark.parametrize("name", list(BROKEN))
def test_a_fault_that_never_ends_fails_after_the_budget(raw_server: Start, name: str) -> None:
    s = raw_server(lambda r: BROKEN[name]())
    with pytest.raises(HttpFault) as e:
        session(retries=2).get(s.url + "/data")
    assert len(s.hits()) == 3  # retries + 1 attempts, no more
    assert e.value.kind == "transport" and e.value.attempts == 3
    assert "\n" not in str(e.value) and "(after 3 attempts)" in str(e.value)


@pytest.mark.parametrize("name", list(STATUSES))
def test_a_status_that_never_ends_returns_the_last_answer(raw_server: Start, name: str) -> None:
    s = raw_server(lambda r: STATUSES[name]())
    resp = session(retries=2).get(s.url + "/data")
    assert resp.status_code == int(name[:3])
    assert len(s.hits()) == 3


def test_the_reasons_say_what_broke(raw_server: Start) -> None:
    expect = {
        "reset after headers": "connection reset by the server mid-body",
        "reset mid-body": "connection reset by the server mid-body",
        "truncated chunked body": "the server closed the connection mid-body",
        "Content-Length longer than the body": "16384 bytes read, 100 more expected",
        "close without answering": "before answering",
        "reset without answering": "connection reset by the server before answering",
    }
    for name, words in expect.items():
        s = raw_server(always(BROKEN[name]))
        with pytest.raises(HttpFault) as e:
            session(retries=0).get(s.url + "/data")
        assert words in str(e.value), (name, str(e.value))


def test_a_slow_drip_is_read_whole(raw_server: Start) -> None:
    s = raw_server(lambda r: Drip(Reply(200, BODY[:3000])))
    assert session().get(s.url + "/x").content == BODY[:3000]
    assert len(s.hits()) == 1


def test_a_stalled_body_times_out_and_is_retried(raw_server: Start) -> None:
    s = raw_server(first_then(lambda: Stall(Reply(200, BODY), at=100)))
    # The stalled attempt costs one read timeout; kept short, not so short that a loaded
    # machine times out the good attempt too.
    assert session(timeout=1.5).get(s.url + "/x").content == BODY
    assert len(s.hits()) == 2


def test_chunked_bodies_are_read_whole(raw_server: Start) -> None:
    s = raw_server(lambda r: Reply(200, BODY, chunked=True))
    assert session().get(s.url + "/x").content == BODY


def test_one_budget_for_all_kinds_of_fault(raw_server: Start) -> None:
    faults = [BROKEN["reset mid-body"], STATUSES["503"], BROKEN["reset after headers"]]
    s = raw_server(lambda r: faults[len(s.hits()) - 1]() if len(s.hits()) <= 3 else BODY)
    with pytest.raises(HttpFault):
        session(retries=2).get(s.url + "/x")  # 3 attempts, 3 different faults
    assert len(s.hits()) == 3


# -- which requests are retried ------------------------------------------------------------


def test_a_post_is_not_retried_unless_it_is_idempotent(raw_server: Start) -> None:
    s = raw_server(first_then(lambda: ResetMidBody(Reply(200, BODY), at=10)))
    with pytest.raises(HttpFault):
        session().post(s.url + "/write", data=b"{}")
    assert len(s.hits()) == 1
    s2 = raw_server(first_then(lambda: Reply(503, {})))
    assert session().post(s2.url + "/write", data=b"{}").status_code == 503
    assert len(s2.hits()) == 1
    s3 = raw_server(first_then(lambda: ResetMidBody(Reply(200, BODY), at=10)))
    resp = session().request("POST", s3.url + "/read", data=b"{}", idempotent=True)
    assert resp.content == BODY and len(s3.hits()) == 2
    assert s3.hits()[1].body == b"{}"  # the body is sent again whole


@pytest.fixture
def refused_url() -> Iterator[str]:
    """A port that refuses connections: bound (so nobody else takes it), not listening."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


def test_connection_refused_fails_at_once(refused_url: str) -> None:
    with pytest.raises(HttpFault) as e:
        session(retries=5, backoff=30.0).get(refused_url + "/api/x")  # no 30 s wait: no retry
    assert e.value.kind == "connect" and e.value.attempts == 1
    assert str(e.value) == "connection refused"


def test_connection_refused_after_the_host_answered_is_retried(raw_server: Start) -> None:
    s = raw_server(lambda r: {"ok": 1})
    sess = session(retries=2)
    assert sess.get(s.url + "/x").json() == {"ok": 1}
    s.stop()  # the server goes away mid-pull (a restart): worth the budget
    with pytest.raises(HttpFault) as e:
        sess.get(s.url + "/x")
    assert e.value.kind == "connect" and e.value.attempts == 3


def test_unknown_host_fails_at_once() -> None:
    with pytest.raises(HttpFault) as e:
        session(backoff=30.0).get("http://no-such-host.invalid/x")
    assert e.value.kind == "connect" and e.value.attempts == 1


# -- bodies the caller rejects -------------------------------------------------------------


def json_only(resp: requests.Response) -> None:
    try:
        json.loads(resp.content)
    except ValueError:
        raise BadBody("not JSON") from None


def test_a_rejected_body_is_retried_then_reported(raw_server: Start) -> None:
    s = raw_server(first_then(lambda: html(200, "Welcome"), Reply(200, {"ok": True})))
    assert session().request("GET", s.url + "/x", check=json_only).json() == {"ok": True}
    s2 = raw_server(lambda r: html(200, "Welcome"))
    with pytest.raises(HttpFault) as e:
        session(retries=1).request("GET", s2.url + "/x", check=json_only)
    assert e.value.kind == "body" and str(e.value) == "not JSON (after 2 attempts)"
    assert len(s2.hits()) == 2


def test_the_check_sees_only_2xx(raw_server: Start) -> None:
    s = raw_server(lambda r: html(404, "Not Found"))
    assert session().request("GET", s.url + "/x", check=json_only).status_code == 404
    assert len(s.hits()) == 1


# -- hooks ----------------------------------------------------------------------------------


def test_hooks_see_every_attempt_with_its_bytes(raw_server: Start) -> None:
    s = raw_server(first_then(lambda: ResetMidBody(Reply(200, BODY), at=5000)))
    seen: list[tuple[int, int]] = []

    def hook(resp: requests.Response, *a: Any, **k: Any) -> None:
        seen.append((resp.status_code, len(resp.content)))

    session().get(s.url + "/x", hooks={"response": hook})
    assert seen[-1] == (200, len(BODY))
    assert len(seen) == 2 and seen[0][1] <= 5000


# -- logs -----------------------------------------------------------------------------------


def test_urllib3_warnings_never_reach_the_user(
    raw_server: Start, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nBad Header Line\r\nX: y"
    s = raw_server(lambda r: RawHeaders(head, b"{}"))
    assert session().get(s.url + "/x?X-Amz-Signature=topsecret").content == b"{}"
    loud = [r for r in caplog.records if r.levelno > logging.DEBUG]
    assert loud == []
    ours = [r for r in caplog.records if r.name == "swansync.http.urllib3"]
    assert any("Failed to parse headers" in r.getMessage() for r in ours)
    assert all(not r.name.startswith("urllib3") for r in caplog.records)
    assert "topsecret" not in caplog.text


def test_retries_are_logged_in_one_line_each(
    raw_server: Start, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    s = raw_server(first_then(lambda: ResetMidBody(Reply(200, BODY), at=10)))
    session().get(s.url + "/x?X-Amz-Signature=topsecret&page=1")
    (line,) = [r.getMessage() for r in caplog.records]
    assert line.startswith(f"GET {s.url}/x?<signed query redacted>: connection reset")
    assert "retry 1 of 3 in 0.001 s (no Retry-After: exponential backoff)" in line
    assert "topsecret" not in caplog.text


def test_the_environment_is_read_once_per_origin_and_still_honoured(monkeypatch, tmp_path):
    """Proxy variables, NO_PROXY and ~/.netrc apply as requests applies them, but are read once
    per origin and session instead of on every request."""
    netrc = tmp_path / "netrc"
    netrc.write_text("machine secured.example login me password pw\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "direct.example")
    calls: list[str] = []
    real = requests.sessions.get_environ_proxies

    def counted(url: str, no_proxy: Any = None) -> Any:
        calls.append(url)
        return real(url, no_proxy=no_proxy)

    monkeypatch.setattr(requests.sessions, "get_environ_proxies", counted)
    session = make_session(user_agent="t")
    for _ in range(3):
        via = session.merge_environment_settings("http://api.example/a", {}, True, None, None)
        assert via["proxies"]["http"] == "http://proxy.example:3128"
        direct = session.merge_environment_settings("http://direct.example/b", {}, True, None, None)
        assert "http" not in direct["proxies"]
    assert calls == ["http://api.example/a", "http://direct.example/b"]
    secured = session.prepare_request(requests.Request("GET", "http://secured.example/x"))
    assert secured.headers["Authorization"].startswith("Basic ")
    other = session.prepare_request(requests.Request("GET", "http://api.example/x"))
    assert "Authorization" not in other.headers

"""Streamed downloads: redirects never carry credentials to another origin, bodies are read in
pieces with their bytes counted, and a body that breaks midway is a fault the caller sees."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from swansync.http import HttpFault, make_session
from swansync.http.download import (
    TooManyRedirects,
    content_length,
    iter_body,
    not_html_unless,
    open_following,
    origin,
)
from tests.http.rawserver import RawRequest, RawServer, Reply, ResetMidBody, html

BODY = bytes(range(256)) * 256  # 64 KiB
Start = Callable[[Callable[[RawRequest], Any]], RawServer]
SECRETS = {
    "Authorization": "Bearer top-secret",
    "Cookie": "sid=session-secret",
    "X-Api-Key": "key-secret",
    "Proxy-Authorization": "Basic cHJveHk=",
}


def session() -> Any:
    return make_session(user_agent="test", retries=2, backoff=0.001, timeout=10)


def redirect(to: str, status: int = 302) -> Reply:
    return Reply(status, b"", {"Location": to})


SENT = {k.lower() for k in SECRETS}


def credentials(req: RawRequest) -> set[str]:
    return {k.lower() for k in req.headers} & SENT


def test_a_redirect_to_another_host_drops_every_credential(raw_server: Start) -> None:
    other = raw_server(lambda r: Reply(200, BODY))
    first = raw_server(lambda r: redirect(f"{other.url}/file?sig=1"))
    opened = open_following(session(), f"{first.url}/start", headers=SECRETS)
    assert b"".join(iter_body(opened.response, timeout=10)) == BODY
    assert opened.url == f"{other.url}/file?sig=1" and opened.redirects == 1
    assert credentials(first.hits()[0]) == SENT
    assert credentials(other.hits()[0]) == set()


def test_same_origin_keeps_them_and_coming_back_does_not_restore_them(raw_server: Start) -> None:
    hops: list[str] = []
    home: RawServer | None = None
    away = raw_server(lambda r: redirect(f"{home.url}/back" if home else "/"))

    def app(req: RawRequest) -> Any:
        hops.append(req.path)
        if req.path == "/start":
            return redirect("/same-origin", 307)
        if req.path == "/same-origin":
            return redirect(f"{away.url}/away")
        return Reply(200, BODY)

    home = raw_server(app)
    opened = open_following(session(), f"{home.url}/start", headers=SECRETS)
    assert b"".join(iter_body(opened.response, timeout=10)) == BODY
    assert hops == ["/start", "/same-origin", "/back"]
    start, same, back = home.hits()
    assert credentials(start) == credentials(same) == SENT  # same origin
    assert credentials(away.hits()[0]) == set()
    assert credentials(back) == set()  # once off the origin, gone for the rest of the chain


def test_redirect_loops_and_odd_schemes_are_refused(raw_server: Start) -> None:
    loop = raw_server(lambda r: redirect("/again"))
    with pytest.raises(TooManyRedirects):
        open_following(session(), f"{loop.url}/x")
    ftp = raw_server(lambda r: redirect("ftp://127.0.0.1/file"))
    with pytest.raises(TooManyRedirects, match="ftp"):
        open_following(session(), f"{ftp.url}/x")


def test_the_body_streams_in_pieces_and_every_byte_is_counted(raw_server: Start) -> None:
    s = raw_server(lambda r: Reply(200, BODY))
    opened = open_following(session(), f"{s.url}/f")
    assert content_length(opened.response) == len(BODY)
    counted: list[int] = []
    pieces = list(iter_body(opened.response, timeout=10, count=counted.append, chunk=4096))
    assert len(pieces) > 1 and b"".join(pieces) == BODY and sum(counted) == len(BODY)


def test_a_retriable_status_is_retried_before_the_body_is_handed_over(raw_server: Start) -> None:
    answers = iter([Reply(503, {"m": "busy"}, {"Retry-After": "0"}), Reply(200, BODY)])
    s = raw_server(lambda r: next(answers))
    opened = open_following(session(), f"{s.url}/f")
    assert b"".join(iter_body(opened.response, timeout=10)) == BODY
    assert len(s.hits()) == 2


def test_a_body_broken_midway_is_a_fault_for_the_caller(raw_server: Start) -> None:
    s = raw_server(lambda r: ResetMidBody(Reply(200, BODY), at=5000))
    opened = open_following(session(), f"{s.url}/f")
    with pytest.raises(HttpFault) as e:
        b"".join(iter_body(opened.response, timeout=10))
    assert e.value.kind == "transport"


def test_an_html_page_is_refused_where_a_file_is_expected(raw_server: Start) -> None:
    s = raw_server(lambda r: html(200, "Just a moment"))
    with pytest.raises(HttpFault, match="HTML page"):
        open_following(session(), f"{s.url}/f", check=not_html_unless(False))
    assert len(s.hits()) == 3  # retried under the budget: a portal page may go away
    ok = open_following(session(), f"{s.url}/f", check=not_html_unless(True))
    assert b"Just a moment" in b"".join(iter_body(ok.response, timeout=10))


def test_origins_spell_out_default_ports() -> None:
    assert origin("https://Example.com/x") == origin("https://example.com:443/y")
    assert origin("http://example.com/x") != origin("https://example.com/x")
    assert origin("http://127.0.0.1:8000/x") != origin("http://127.0.0.1:8001/x")

"""The offline dashboard's HTTP reading against a server that fails at the byte level: every
route is a read, so bodies cut short, JSON that does not parse and proxy pages are retried; a
URL that is not a dashboard is said so at once."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from swansync.errors import FatalApiError, RetriableApiError
from swansync.sources.swanlab.dashboard import DashboardSource
from tests.http.rawserver import (
    LyingLength,
    RawRequest,
    RawServer,
    Reply,
    ResetAfterHeaders,
    ResetMidBody,
    TruncatedChunked,
    html,
)

Start = Callable[[Callable[[RawRequest], Any]], RawServer]
PROJECT = {
    "code": 0,
    "message": "success",
    "data": {"id": 1, "name": "demo", "experiments": [{"id": 1, "run_id": "run-1", "name": "a"}]},
}
OK = Reply(200, PROJECT)
FAULTS: dict[str, Any] = {
    "reset after headers": ResetAfterHeaders(OK),
    "reset mid-body": ResetMidBody(OK, at=20),
    "truncated chunked": TruncatedChunked(OK, at=20),
    "Content-Length too long": LyingLength(OK),
    "JSON cut short": Reply(200, OK.payload()[:-5], {"Content-Type": "application/json"}),
    "502 from a proxy": html(502),
    "503": Reply(503, {"code": 1, "message": "busy"}),
}


def source(url: str, **kw: Any) -> DashboardSource:
    kw.setdefault("retries", 3)
    kw.setdefault("backoff", 0.001)
    kw.setdefault("timeout", 10)
    return DashboardSource(url, **kw)


@pytest.mark.parametrize("kind", list(FAULTS))
def test_a_fault_then_the_project(raw_server: Start, kind: str) -> None:
    s = raw_server(lambda r: FAULTS[kind] if len(s.hits()) == 1 else OK)
    assert source(s.url)._project()["name"] == "demo"  # GET /project, the first read of a pull
    assert len(s.hits()) == 2


def test_a_web_page_is_not_a_dashboard_at_once(raw_server: Start) -> None:
    s = raw_server(lambda r: html(200, "Welcome to nginx"))
    with pytest.raises(FatalApiError, match="is this the base URL of a `swanlab watch`"):
        source(s.url)._project()
    assert len(s.hits()) == 1


def test_a_proxy_502_forever_says_so(raw_server: Start) -> None:
    s = raw_server(lambda r: html(502))
    with pytest.raises(RetriableApiError) as e:
        source(s.url, retries=1)._project()
    assert str(e.value) == (
        f"dashboard dashboard:127.0.0.1:{s.port}: GET /project failed with HTTP 502 "
        "(text/html, not the dashboard's JSON)"
    )
    assert len(s.hits()) == 2


@pytest.fixture
def dead_url() -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


def test_a_dead_dashboard_is_one_line_at_once(dead_url: str) -> None:
    with pytest.raises(RetriableApiError) as e:
        source(dead_url, backoff=30.0)._project()
    host = dead_url.split("//")[1]
    assert str(e.value) == (
        f"dashboard dashboard:{host}: cannot connect to {dead_url}/api/v1: connection refused"
    )


def test_an_unreadable_series_is_warned_about_once_per_pull(caplog: pytest.LogCaptureFixture):
    """A pull asks for a series twice (summaries, then points): one warning, not two."""
    import logging

    source = DashboardSource("http://127.0.0.1:9")
    run: Any = {"run_id": "r1", "project": "local/p"}
    with caplog.at_level(logging.WARNING):
        for _ in range(2):
            source._unreadable(run, "loss", FatalApiError("HTTP 500: Out of range float values"))
    assert len([r for r in caplog.records if "cannot be read" in r.getMessage()]) == 1
    assert len(source.warnings()) == 1

"""Retry-After and backoff arithmetic, and the wait each retry logs (pure functions)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from swansync.http import RetryPolicy, make_session, parse_retry_after
from tests.http.rawserver import RawRequest, RawServer, Reply

DATE = "Wed, 21 Oct 2015 07:28:00 GMT"


@pytest.mark.parametrize(
    ("value", "date", "seconds"),
    [
        ("3", None, 3.0),
        (" 120 ", None, 120.0),
        ("1.5", None, 1.5),
        ("0", None, 0.0),
        ("-1", None, None),
        ("nan", None, None),
        ("soon", None, None),
        ("", None, None),
        (None, None, None),
        ("Wed, 21 Oct 2015 07:28:10 GMT", DATE, 10.0),  # measured from the server's Date
        ("Wed, 21 Oct 2015 07:27:00 GMT", DATE, 0.0),  # in the past: now
        ("Wed, 21 Oct 2015 07:28:10 GMT", "garbage", 0.0),  # no usable Date: our clock
    ],
)
def test_parse_retry_after(value: str | None, date: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, date) == seconds


def test_retry_after_date_without_server_date_uses_our_clock() -> None:
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    later = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    waited = parse_retry_after(later)
    assert waited is not None and 100 < waited <= 120


def test_backoff_doubles_and_is_capped() -> None:
    p = RetryPolicy(backoff=0.5, backoff_max=3.0)
    assert [p.wait(n, None)[0] for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert p.wait(1, None)[1] == "no Retry-After: exponential backoff"


def test_retry_after_is_a_lower_bound_and_capped() -> None:
    p = RetryPolicy(backoff=0.5, backoff_max=30.0, max_retry_after=60.0)
    assert p.wait(1, 5.0) == (5.0, "Retry-After 5 s")
    # A server asking for 0 s is not hammered: our backoff still applies, and the log says so.
    assert p.wait(3, 0.0) == (2.0, "Retry-After 0 s; our backoff is longer")
    assert p.wait(1, 3600.0) == (60.0, "Retry-After 3600 s, capped at 60 s")


def test_a_429_logs_the_wait_it_really_makes(
    raw_server: Callable[[Callable[[RawRequest], Any]], RawServer],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="swansync.http")
    answers = iter(
        [
            Reply(429, {}, {"Retry-After": "0"}),
            Reply(429, {}),
            Reply(503, {}, {"Retry-After": "Wed, 21 Oct 2015 07:28:01 GMT", "Date": DATE}),
            Reply(200, {"ok": True}),
        ]
    )
    s = raw_server(lambda r: next(answers))
    sess = make_session(user_agent="t", retries=3, backoff=0.002, max_retry_after=0.005)
    assert sess.get(s.url + "/x").json() == {"ok": True}
    lines = [r.getMessage().split(": ", 1)[1] for r in caplog.records]
    assert lines == [
        "HTTP 429; retry 1 of 3 in 0.002 s (Retry-After 0 s; our backoff is longer)",
        "HTTP 429; retry 2 of 3 in 0.004 s (no Retry-After: exponential backoff)",
        "HTTP 503; retry 3 of 3 in 0.008 s (Retry-After 1 s, capped at 0.005 s; "
        "our backoff is longer)",
    ]

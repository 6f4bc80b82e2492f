"""``parse_host``: the host value every tracker's credentials read, with hostile values."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from swansync.errors import ConfigError
from swansync.http import Host, parse_host


def parse(value: str) -> Host:
    return parse_host(value, "Tracker", "https://api.example")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("api.example", Host("https", "api.example", None, "")),
        ("  HTTP://My.Host.Example:9000/  ", Host("http", "my.host.example", 9000, "")),
        ("https://h/prefix/deeper/", Host("https", "h", None, "/prefix/deeper")),
        ("http://h:8000/api?x=1#frag", Host("http", "h", 8000, "/api")),
        ("https://user:pw@h:1", Host("https", "h", 1, "")),
        ("http://[::1]:8080/", Host("http", "[::1]", 8080, "")),
        ("[2001:DB8::1]", Host("https", "[2001:db8::1]", None, "")),
        ("127.0.0.1:8000", Host("https", "127.0.0.1", 8000, "")),
        ("h:0", Host("https", "h", 0, "")),
    ],
)
def test_parse_host(value: str, expected: Host) -> None:
    assert parse(value) == expected


def test_netloc_and_origin() -> None:
    assert parse("http://[::1]:8080/x").origin == "http://[::1]:8080"
    assert parse("H").netloc == "h"
    assert parse("h:443").netloc == "h:443"


@pytest.mark.parametrize("value", ["", "   ", "\t\n"])
def test_blank_names_the_tracker_and_an_example(value: str) -> None:
    with pytest.raises(ConfigError) as e:
        parse(value)
    assert str(e.value) == "empty Tracker host: give a URL like https://api.example"


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("ftp://x", "expected http(s)://host[:port]"),
        ("http://", "expected http(s)://host[:port]"),
        ("https://:80", "expected http(s)://host[:port]"),
        ("h:99999", "Port out of range"),
        ("h:port", "Port could not be cast"),
        ("http://[::1", "Invalid IPv6 URL"),
        ("://h", "expected http(s)://host[:port]"),
        ("api.example .com", "a space or control character"),
        ("api.\nexample", "a space or control character"),
        ("https://h/a\tb", "a space or control character"),
        ("h\x00", "a space or control character"),
        ("0\u2028:", "a space or control character"),
        ("h\u200b.example", "a space or control character"),
    ],
)
def test_rejects_in_one_line_naming_the_value(value: str, why: str) -> None:
    with pytest.raises(ConfigError) as e:
        parse(f"  {value} ")
    text = str(e.value)
    assert text.startswith(f"invalid Tracker host {value!r}: ")
    assert why in text
    assert e.value.__cause__ is None  # no urllib traceback under the one line
    assert e.value.__context__ is None or e.value.__suppress_context__


_URLISH = st.text(alphabet=st.sampled_from("htps:/[]@?#%.-_0123456789aZ \t\n\x00é\u2028"))


@settings(max_examples=500, deadline=None, derandomize=True, database=None)
@given(st.one_of(_URLISH, st.text()))
@example("http://[::1]:8080/x/")
@example("https://a/%2F/")
def test_any_text_parses_to_a_fixed_point_or_one_clear_error(value: str) -> None:
    """Either a host whose printed form reads back as itself, or a ConfigError of one line
    naming the tracker: never another exception."""
    try:
        host = parse(value)
    except ConfigError as e:
        text = str(e)
        assert text.startswith(("empty Tracker host", "invalid Tracker host"))
        assert "\n" not in text and "\r" not in text
        return
    assert host.scheme in ("http", "https")
    name = host.hostname.partition("%")[0]  # an IPv6 zone after '%' keeps its case
    assert host.hostname and name == name.lower()
    assert not host.path.endswith("/")
    assert parse(host.origin + host.path) == host

"""Byte sizes for --media-max-bytes and --media-max-total-bytes."""

from __future__ import annotations

import pytest

from swansync.errors import ConfigError
from swansync.sizes import format_size, parse_size


@pytest.mark.parametrize(
    ("text", "want"),
    [
        (1048576, 1048576),
        ("1048576", 1048576),
        ("100MB", 100_000_000),
        ("100 MiB", 100 << 20),
        ("4GiB", 4 << 30),
        ("2G", 2 << 30),
        ("1.5kb", 1500),
        ("0", None),
        (0, None),
    ],
)
def test_sizes(text: int | str, want: int | None) -> None:
    assert parse_size(text, "x") == want


@pytest.mark.parametrize("bad", ["12 apples", "-5", "MB", True, "1e9"])
def test_bad_sizes_name_the_setting(bad: object) -> None:
    with pytest.raises(ConfigError, match="media_max_bytes"):
        parse_size(bad, "media_max_bytes")  # type: ignore[arg-type]


def test_format() -> None:
    assert format_size(128 << 20) == "128 MiB" and format_size(None) == "no bound"
    assert format_size(1500) == "1,500 bytes"

"""The API host a user gives (a flag, an environment variable, a config or login file), read
the same way for every tracker: ``scheme://host[:port][/path]``, https assumed without a
scheme, the host lower-cased, an IPv6 literal kept in brackets. What a tracker then keeps of it
(a path prefix or not, an official host forced to https) is the tracker's own business."""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import urlsplit

from swansync.errors import ConfigError


class Host(NamedTuple):
    scheme: str  # "http" or "https"
    hostname: str  # lower-cased; an IPv6 literal in brackets
    port: int | None
    path: str  # without a trailing slash; "" when none

    @property
    def netloc(self) -> str:
        """``host[:port]``."""
        return self.hostname if self.port is None else f"{self.hostname}:{self.port}"

    @property
    def origin(self) -> str:
        """``scheme://host[:port]``."""
        return f"{self.scheme}://{self.netloc}"


def parse_host(value: str, tracker: str, example: str) -> Host:
    """The parts of a host value; query, fragment and user info are dropped.

    A value that is blank, holds a space or control character inside, does not parse (a bad
    port, a broken IPv6 literal), is not http(s) or names no host is a :class:`ConfigError` in
    one line naming ``tracker`` (``"SwanLab"``, ``"W&B"``) and the value; a blank one shows
    ``example``, a URL that would do."""
    text = value.strip()
    if not text:
        raise ConfigError(f"empty {tracker} host: give a URL like {example}")
    if any(ch.isspace() or not ch.isprintable() for ch in text):
        # urlsplit would drop tabs and newlines and keep the rest in the host name
        raise ConfigError(
            f"invalid {tracker} host {text!r}: it contains a space or control character"
        )
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        hostname = parts.hostname
        port = parts.port
    except ValueError as e:
        raise ConfigError(f"invalid {tracker} host {value.strip()!r}: {e}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not hostname:
        raise ConfigError(
            f"invalid {tracker} host {value.strip()!r}: expected http(s)://host[:port]"
        )
    if ":" in hostname:  # IPv6 literal
        hostname = f"[{hostname}]"
    return Host(scheme, hostname, port, parts.path.rstrip("/"))

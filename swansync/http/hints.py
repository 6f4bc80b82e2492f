"""What to do about a request that failed for a reason the user can fix in their settings."""

from __future__ import annotations

from urllib.parse import urlsplit

import requests

# OpenSSL's words when the other side answered the TLS hello with something that is not TLS.
_NOT_TLS = ("WRONG_VERSION_NUMBER", "wrong version number", "record layer failure")


def plain_http_hint(exc: requests.RequestException, url: str) -> str:
    """`` (...)`` naming the http:// URL when an https request reached a server that speaks
    plain http (a host given without a scheme means https); ``""`` otherwise."""
    if not isinstance(exc, requests.exceptions.SSLError) or not any(
        w in str(exc) for w in _NOT_TLS
    ):
        return ""
    parts = urlsplit(url)
    if parts.scheme != "https":
        return ""
    return f"; the server speaks plain http: give the host as http://{parts.netloc}"

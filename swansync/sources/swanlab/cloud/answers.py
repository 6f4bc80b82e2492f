"""What the SwanLab OpenAPI answers look like on the wire, checked before anything reads them:
which POSTs only read (and so may be retried), a JSON body that is really JSON, a download that
is not an HTML page. Used by :class:`~swansync.sources.swanlab.cloud.client.SwanLabClient`."""

from __future__ import annotations

import json
from typing import Any

import requests

from swansync.http import BadBody

_READ_POST_PREFIXES = ("/house/", "/files/presigned/", "/resources/presigned/")


def is_read_post(path: str) -> bool:
    """True for the POSTs that only read (safe to retry): see the module docstring."""
    return path.startswith(_READ_POST_PREFIXES) or path.endswith("/runs/shows")


def json_body(resp: requests.Response, *, lenient: bool = False) -> Any:
    """The JSON value of a 2xx answer, or :class:`BadBody` saying in a few words what came
    instead (never the body itself: an HTML page could be long and could echo secrets).

    ``lenient``: bytes that are not UTF-8 do not fail the answer (console text: one bad byte
    must cost one line, not the page); they reach the caller as lone surrogates
    (``errors="surrogateescape"``), for :func:`swansync.sources.console.clean_text`."""
    data = resp.content
    ctype = resp.headers.get("Content-Type", "").lower()
    if "html" in ctype or data.lstrip()[:1] == b"<":
        raise BadBody("an HTML page where JSON was expected")
    if not data.strip():
        raise BadBody("an empty body where JSON was expected")
    try:
        value = json.loads(data.decode("utf-8", "surrogateescape") if lenient else data)
    except ValueError:  # UnicodeDecodeError included
        raise BadBody(f"a body that is not valid JSON ({len(data)} bytes; truncated?)") from None
    if value is None:
        raise BadBody("JSON null")
    return value


def not_html(resp: requests.Response) -> None:
    """A download must not be an HTML page (a proxy's or a login portal's, answering 200)."""
    ctype = resp.headers.get("Content-Type", "").lower()
    if "html" in ctype or resp.content[:64].lstrip().startswith(b"<"):
        raise BadBody("an HTML page where a file was expected")

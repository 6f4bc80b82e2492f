"""Reading a response body whole inside the retry loop, and checking it against
``Content-Length``: a reset or a short body mid-read is a fault the session retries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from swansync.http.policy import Fault, body_fault

READ_CHUNK = 1 << 20  # bodies (CSV exports of many MB) are read in 1 MiB pieces


def run_hooks(hooks: Any, resp: requests.Response) -> None:
    """The caller's ``response`` hooks (one callable or a list), as requests would call them."""
    found = hooks.get("response") if isinstance(hooks, Mapping) else None
    for hook in [found] if callable(found) else list(found or []):
        hook(resp)


def read_body(resp: requests.Response, method: str, timeout: Any) -> Fault | None:
    """Read the whole body into ``resp.content``; the fault when the connection broke, stalled
    or delivered fewer bytes than ``Content-Length`` announced."""
    chunks: list[bytes] = []
    fault: Fault | None = None
    try:
        for chunk in resp.raw.stream(READ_CHUNK, decode_content=True):
            chunks.append(chunk)
    except Exception as e:  # urllib3 raises its own, OSError and ssl errors here
        fault = body_fault(e, timeout if isinstance(timeout, int | float) else None)
    body = b"".join(chunks)
    resp._content = body
    resp._content_consumed = True  # type: ignore[attr-defined]
    if fault is None:
        fault = length_fault(resp, method, len(body))
    if fault is not None:
        resp.close()  # never hand a half-read connection back to the pool
    return fault


def length_fault(resp: requests.Response, method: str, got: int) -> Fault | None:
    """A fault when an identity-encoded body's length disagrees with ``Content-Length``."""
    h = resp.headers
    if method.upper() == "HEAD" or resp.status_code in (204, 304) or "Transfer-Encoding" in h:
        return None
    if h.get("Content-Encoding", "identity").strip().lower() not in ("", "identity"):
        return None  # urllib3 checks the length of the encoded bytes itself
    text = h.get("Content-Length", "").strip()
    if not text.isdigit() or int(text) == got:
        return None
    return Fault("transport", f"the body has {got} bytes, Content-Length said {int(text)}")


def html_note(resp: requests.Response) -> str:
    ctype = resp.headers.get("Content-Type", "").lower()
    return " (an HTML error page, likely from a proxy)" if "html" in ctype else ""

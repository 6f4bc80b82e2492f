"""Signed-file downloads (parquet history exports) in Range pieces, each piece one logical
request under the HTTP policy (so a reset or a cut body costs one piece, not the file), with
no credentials (signed URLs carry their own; the SDK sends none either)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import requests

from swansync.errors import ApiError, DataError, FatalApiError, RetriableApiError
from swansync.http import RETRY_STATUSES, Accounting, BadBody, HttpFault, PolicySession, redact

PIECE = 8 << 20  # bytes per Range request
ROUTE = "GET parquet export"
_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")


class ExpiredURL(FatalApiError):
    """The signed URL is refused (expired or bad signature): ask for fresh URLs."""


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def download(http: PolicySession, accounting: Accounting, url: str, *, what: str) -> bytes:
    """The whole file at ``url``; a server that ignores ``Range`` is read in one answer."""
    pieces: list[bytes] = []
    start, total = 0, None
    while total is None or start < total:
        end = start + PIECE - 1
        expect: list[int] = []

        def check(resp: requests.Response, lo: int = start, expect: list[int] = expect) -> None:
            ctype = resp.headers.get("Content-Type", "").lower()
            if "html" in ctype or resp.content[:64].lstrip().startswith(b"<"):
                raise BadBody("an HTML page where a parquet file was expected")
            if resp.status_code == 206:
                m = _RANGE.fullmatch(resp.headers.get("Content-Range", "").strip())
                if m is None or int(m[1]) != lo:
                    raise BadBody("a partial answer without a matching Content-Range")
                if len(resp.content) != int(m[2]) - int(m[1]) + 1:
                    raise BadBody(f"a piece of {len(resp.content)} bytes, Content-Range said more")
                expect[:] = [int(m[3])] if m[3] != "*" else []

        try:
            resp = http.request(
                "GET",
                url,
                headers={"Range": f"bytes={start}-{end}"},
                hooks=accounting.hook(ROUTE),
                check=check,
            )
        except HttpFault as e:
            raise RetriableApiError(
                f"{what}: {ROUTE} on {_origin(url)}: {e}", route=ROUTE
            ) from None
        if resp.status_code in (400, 401, 403):
            raise ExpiredURL(
                f"{what}: the signed URL was refused (HTTP {resp.status_code})",
                status=resp.status_code,
                route=ROUTE,
            )
        if resp.status_code == 200:
            return resp.content  # no Range support: the whole file at once
        if resp.status_code != 206:
            cls: type[ApiError] = (
                RetriableApiError if resp.status_code in RETRY_STATUSES else FatalApiError
            )
            raise cls(
                redact(f"{what}: {ROUTE} on {_origin(url)} failed with HTTP {resp.status_code}"),
                status=resp.status_code,
                route=ROUTE,
            )
        pieces.append(resp.content)
        start += len(resp.content)
        if not expect:
            raise DataError(f"{what}: {ROUTE} answered a piece without the file's size")
        total = expect[0]
    return b"".join(pieces)

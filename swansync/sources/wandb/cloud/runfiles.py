"""A run's files on W&B: looked up by name (``RunFiles``) and read through their signed
``directUrl`` -- with no credentials (the URL carries its own; redirects are followed by hand by
:func:`swansync.http.download.open_following`), whole or from a byte offset (``Range``).

A URL the storage refuses (400/401/403: expired or no longer valid) is asked for again by name
once; a file the listing does not name, or whose fresh URL answers 404/410, is gone:
:class:`~swansync.errors.NotFoundError`, which costs that file only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import requests

from swansync.errors import ApiError, DataError, FatalApiError, NotFoundError, RetriableApiError
from swansync.http import RETRY_STATUSES, HttpFault, redact
from swansync.http.download import (
    TooManyRedirects,
    content_length,
    describe,
    iter_body,
    not_html_unless,
    open_following,
)
from swansync.sources.wandb.cloud import queries
from swansync.sources.wandb.cloud.client import GraphQLClient

NAMES_PER_QUERY = 100
ROUTE = "GET <run file>"
REFUSED = frozenset({400, 401, 403})
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(?:\d+|\*)")
GONE = frozenset({404, 410})


@dataclass(frozen=True)
class RunFile:
    name: str
    url: str | None
    size: int | None


def lookup(
    client: GraphQLClient, run_vars: dict[str, str], names: Sequence[str], what: str
) -> dict[str, RunFile]:
    """The files of the run with these names (those it has), :data:`NAMES_PER_QUERY` a query."""
    out: dict[str, RunFile] = {}
    todo = list(dict.fromkeys(names))
    for i in range(0, len(todo), NAMES_PER_QUERY):
        batch = todo[i : i + NAMES_PER_QUERY]
        cursor: str | None = None
        while True:
            data = client.query(
                "RunFiles",
                queries.RUN_FILES,
                {**run_vars, "names": batch, "cursor": cursor, "perPage": len(batch)},
                what=what,
            )
            run = (data.get("project") or {}).get("run")
            if run is None:
                raise DataError(f"{what}: the run vanished while its files were listed")
            conn = run.get("files") or {}
            edges = conn.get("edges") or []
            for edge in edges:
                node = (edge or {}).get("node") or {}
                name = node.get("name")
                if isinstance(name, str) and name:
                    url, size = node.get("directUrl"), node.get("sizeBytes")
                    out[name] = RunFile(
                        name,
                        url if isinstance(url, str) and url else None,
                        size if isinstance(size, int) and not isinstance(size, bool) else None,
                    )
            nxt = edges[-1].get("cursor") if edges and isinstance(edges[-1], dict) else None
            if not (conn.get("pageInfo") or {}).get("hasNextPage") or not nxt or nxt == cursor:
                break
            cursor = nxt
    return out


@dataclass
class Opened:
    response: requests.Response
    chunks: Iterator[bytes]
    partial: bool  # 206: the body starts at the asked offset


def open_url(
    client: GraphQLClient,
    url: str,
    what: str,
    *,
    start: int = 0,
    stop: int | None = None,
    allow_html: bool = False,
    at_least: int | None = None,
) -> Opened:
    """GET ``url`` (bytes ``start`` to ``stop``, exclusive, when given) with no credentials;
    its body streamed. Raises FatalApiError with the status for a refusal (the caller may ask
    for a fresh URL). A body shorter than its ``Content-Range`` says, or than ``at_least`` bytes
    of a whole file (its listed size: a lying ``Content-Length``), raises RetriableApiError
    at its end."""
    headers = {}
    if start > 0 or stop is not None:
        headers["Range"] = f"bytes={start}-{'' if stop is None else stop - 1}"
    counters = client.accounting.counters
    try:
        opened = open_following(
            client.http,
            url,
            headers=headers,
            check=not_html_unless(allow_html),
            on_hop=lambda _: counters.record(ROUTE) if counters is not None else None,
        )
    except HttpFault as e:
        raise RetriableApiError(f"{what}: {ROUTE} {describe(url)}: {e}", route=ROUTE) from None
    except (TooManyRedirects, requests.RequestException) as e:
        raise FatalApiError(
            f"{what}: {ROUTE} failed: {redact(str(e))[:200]}", route=ROUTE
        ) from None
    resp = opened.response
    if not 200 <= resp.status_code < 300:
        status = resp.status_code
        resp.close()
        cls: type[ApiError] = RetriableApiError if status in RETRY_STATUSES else FatalApiError
        raise cls(f"{what}: {ROUTE} answered HTTP {status}", status=status, route=ROUTE)

    expect = at_least if resp.status_code == 200 else _range_length(resp)

    def chunks() -> Iterator[bytes]:
        add = counters.add_bytes if counters is not None else None
        got = 0
        try:
            for piece in iter_body(resp, timeout=None, count=add):
                got += len(piece)
                yield piece
        except HttpFault as e:
            raise RetriableApiError(f"{what}: {ROUTE}: {e}", route=ROUTE) from None
        if expect is not None and got < expect:
            raise RetriableApiError(
                f"{what}: {ROUTE}: the body ended after {got} of {expect} bytes", route=ROUTE
            )

    return Opened(resp, chunks(), resp.status_code == 206)


def _range_length(resp: requests.Response) -> int | None:
    m = _CONTENT_RANGE.fullmatch(resp.headers.get("Content-Range", "").strip())
    return None if m is None else int(m[2]) - int(m[1]) + 1


def open_file(
    client: GraphQLClient,
    run_vars: dict[str, str],
    name: str,
    url: str | None,
    what: str,
    *,
    start: int = 0,
    stop: int | None = None,
    allow_html: bool = False,
    at_least: int | None = None,
) -> Opened:
    """The run's file ``name`` opened from ``url`` (a fresh one is asked for when it is None or
    refused); NotFoundError when the run has no such file or its object is gone."""
    for attempt in range(2):
        if url is None or attempt:
            found = lookup(client, run_vars, [name], what).get(name)
            if found is None or found.url is None:
                raise NotFoundError(f"{what}: the run has no file {name!r}")
            url = found.url
        try:
            return open_url(
                client,
                url,
                what,
                start=start,
                stop=stop,
                allow_html=allow_html,
                at_least=at_least,
            )
        except FatalApiError as e:
            if e.status in GONE and attempt:
                raise NotFoundError(f"{what}: {name!r} is gone (HTTP {e.status})") from None
            if e.status not in REFUSED | GONE:
                raise
    raise NotFoundError(f"{what}: {name!r} could not be opened")


def size_of(opened: Opened) -> int | None:
    return content_length(opened.response)

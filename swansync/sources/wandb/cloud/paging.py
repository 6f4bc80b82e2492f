"""Relay pagination (``edges { cursor node }`` + ``pageInfo``) with a loop guard: a cursor seen
before is an error, never an endless loop (STYLE practice 3).

The next page starts after the last edge's cursor (``pageInfo.endCursor`` when an edge has
none): the SDK does the same, and a server that leaves ``endCursor`` empty still pages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from swansync.errors import ApiError, DataError

MAX_PAGES = 100_000


def connection(data: Any, path: tuple[str, ...], what: str) -> dict[str, Any] | None:
    """The connection object at ``path`` in ``data`` (None where a parent is null)."""
    node = data
    for part in path:
        if not isinstance(node, dict):
            raise DataError(f"{what}: the answer has no {'.'.join(path)}")
        node = node.get(part)
        if node is None:
            return None
    if not isinstance(node, dict):
        raise DataError(f"{what}: {'.'.join(path)} is not a connection object")
    return node


def iter_relay(
    fetch: Callable[[str | None], dict[str, Any] | None], *, what: str, route: str
) -> Iterator[Any]:
    """Every node of a Relay connection, as sent (a malformed node is the caller's to reject);
    ``fetch(cursor)`` returns one page's connection object (None: the parent vanished, which
    ends the listing)."""
    cursor: str | None = None
    seen: set[str] = set()
    for _ in range(MAX_PAGES):
        conn = fetch(cursor)
        if conn is None:
            return
        edges = conn.get("edges")
        info = conn.get("pageInfo")
        if not isinstance(edges, list) or not isinstance(info, dict):
            raise DataError(f"{what}: a page without 'edges' and 'pageInfo'")
        last: str | None = None
        for edge in edges:
            if not isinstance(edge, dict):
                raise DataError(f"{what}: an edge that is not an object")
            node = edge.get("node")
            if node is not None:
                yield node
            if isinstance(edge.get("cursor"), str) and edge["cursor"]:
                last = edge["cursor"]
        if not info.get("hasNextPage"):
            return
        nxt = last or info.get("endCursor")
        if not isinstance(nxt, str) or not nxt:
            raise ApiError(f"{what}: the server says there is a next page but gives no cursor")
        if nxt in seen:
            raise ApiError(f"{what}: the server repeated cursor {nxt[:40]!r}", route=route)
        seen.add(nxt)
        cursor = nxt
    raise ApiError(f"{what}: more than {MAX_PAGES} pages", route=route)

"""The two SwanLab list shapes as small paginators with loop guards (STYLE practice 3).

* page/size: ``{list, total, pages, size}``; stop on an empty list, on ``p >= pages``, or —
  when ``pages`` is missing (U4) — when ``total`` items were seen, or, with neither, on a short
  page. A page whose ids repeat the previous page's is an error (a server ignoring ``page``).
* cursor: ``{keys, hasMore, nextCursor}``; a cursor seen before is an error.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from swansync.errors import ApiError, DataError

MAX_PAGES = 100_000


def _item_id(item: Any) -> str:
    if isinstance(item, dict):
        for k in ("cuid", "path", "id", "username"):
            if isinstance(item.get(k), str):
                return str(item[k])
    return json.dumps(item, sort_keys=True, default=str)


def iter_pages(
    fetch: Callable[[int], Any], *, what: str, size: int, route: str
) -> Iterator[dict[str, Any]]:
    """Every item of a page/size list; ``fetch(page)`` returns the parsed JSON of one page."""
    seen = 0
    prev_ids: list[str] | None = None
    page = 1
    while page <= MAX_PAGES:
        body = fetch(page)
        if not isinstance(body, dict) or not isinstance(body.get("list"), list):
            raise DataError(f"{what}: page {page} is not a pagination object with a 'list'")
        items = body["list"]
        if not items:
            return
        ids = [_item_id(i) for i in items]
        if prev_ids is not None and ids == prev_ids:
            raise ApiError(
                f"{what}: page {page} repeats page {page - 1} (the server ignores 'page'?)",
                route=route,
            )
        prev_ids = ids
        for item in items:
            if not isinstance(item, dict):
                raise DataError(f"{what}: page {page} holds a {type(item).__name__}, not an object")
            yield item
        seen += len(items)
        pages, total = body.get("pages"), body.get("total")
        if isinstance(pages, int) and not isinstance(pages, bool):
            if page >= pages:
                return
        elif isinstance(total, int) and not isinstance(total, bool):
            if seen >= total:
                return
        elif len(items) < size:
            return
        page += 1
    raise ApiError(f"{what}: more than {MAX_PAGES} pages", route=route)


def iter_cursor(
    fetch: Callable[[str], Any], *, what: str, route: str, field: str = "keys"
) -> Iterator[Any]:
    """Every item of a cursor list; ``fetch(cursor)`` returns the parsed JSON of one page."""
    cursor = ""
    seen: set[str] = set()
    while True:
        body = fetch(cursor)
        if not isinstance(body, dict):
            raise DataError(f"{what}: expected an object with {field!r}, got {type(body).__name__}")
        items = body.get(field)
        if items is None:
            items = []
        if not isinstance(items, list):
            raise DataError(f"{what}: {field!r} should be a list")
        yield from items
        nxt = body.get("nextCursor")
        if not body.get("hasMore") or not nxt:
            return
        if not isinstance(nxt, str):
            nxt = str(nxt)
        if nxt in seen or nxt == cursor:
            raise ApiError(f"{what}: the server repeated cursor {nxt[:40]!r}", route=route)
        seen.add(nxt)
        cursor = nxt

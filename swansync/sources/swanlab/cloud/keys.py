"""A run's metric keys of one kind (``scalar`` or ``media``), read page by page by cursor."""

from __future__ import annotations

from typing import Any

from swansync.errors import DataError
from swansync.sources.swanlab.cloud.client import SwanLabClient
from swansync.sources.swanlab.cloud.paging import iter_cursor

KEY_PAGE = 2000


def list_keys(client: SwanLabClient, ref: dict[str, Any], kind: str, run_id: str) -> list[str]:
    """The keys of ``kind`` of the run ``ref`` names, in the server's order, each once."""
    route = f"POST /house/metrics/{kind}/keys"
    what = f"{kind} keys of run {run_id!r}"

    def fetch(cursor: str) -> Any:
        return client.call(
            "POST",
            f"/house/metrics/{kind}/keys",
            body={"experiments": [ref], "limit": KEY_PAGE, "cursor": cursor},
            route=route,
            what=what,
        )

    keys: dict[str, None] = {}
    for item in iter_cursor(fetch, what=what, route=route):
        key = item.get("key") if isinstance(item, dict) else item
        if not isinstance(key, str):
            raise DataError(f"{what}: {item!r} is not a key")
        keys[key] = None
    return list(keys)

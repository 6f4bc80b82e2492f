"""Counting the requests and bytes of a source's HTTP calls."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from swansync.sources.base import Counters


class Accounting:
    """Response hooks that count requests and bytes into a :class:`~swansync.sources.base.Counters`.

    Callers name the route (``"POST /house/metrics/summaries"``) so that ids in paths and
    presigned URLs never become counter keys. Every attempt counts (a retried request is two
    requests on the wire), with the bytes that arrived.
    """

    def __init__(self, counters: Counters | None = None) -> None:
        self.counters = counters if counters is not None else Counters()

    def hook(self, route: str) -> Mapping[str, Any]:
        """A ``hooks=`` argument for one request that records it under ``route``."""

        def on_response(response: requests.Response, *args: Any, **kw: Any) -> requests.Response:
            self.counters.record(route, len(response.content or b""))
            return response

        return {"response": on_response}

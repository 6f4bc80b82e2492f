from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.http.rawserver import App, RawServer


@pytest.fixture
def raw_server() -> Iterator[Callable[[App], RawServer]]:
    """Start raw servers for a test (``raw_server(app)``); all are stopped afterwards."""
    servers: list[RawServer] = []

    def start(app: App) -> RawServer:
        s = RawServer(app)
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.stop()

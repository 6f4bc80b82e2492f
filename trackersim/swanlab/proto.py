"""Request/response types and the route table shared by the simulator's route modules."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from trackersim.swanlab import jsonout

if TYPE_CHECKING:
    from trackersim.swanlab.server import SimServer


class HttpError(Exception):
    """Raised by a route: becomes ``{"code", "message"}`` with the given status."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass
class Request:
    method: str
    path: str  # raw path without the query string
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes
    client_host: str
    params: dict[str, str] = field(default_factory=dict)  # decoded path parameters

    def json(self) -> Any:
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise HttpError(400, "BAD_REQUEST", f"body is not JSON: {exc}") from exc

    def json_object(self) -> dict[str, Any]:
        data = self.json()
        if not isinstance(data, dict):
            raise HttpError(400, "BAD_REQUEST", "body must be a JSON object")
        return data

    def flag(self, name: str, default: bool = False) -> bool:
        """A boolean query value; the SDK sends Python's ``True``/``False``."""
        raw = self.query.get(name)
        if raw is None:
            return default
        return raw.lower() in ("true", "1", "yes")

    def int_query(self, name: str, default: int) -> int:
        raw = self.query.get(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError as exc:
            raise HttpError(400, "BAD_REQUEST", f"query {name} must be an integer") from exc


@dataclass
class Response:
    status: int = 200
    body: bytes | Iterable[bytes] = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def json_response(data: Any, status: int = 200) -> Response:
    """A JSON answer in the JSON style of the request being served (see :mod:`.jsonout`)."""
    return Response(status=status, body=jsonout.dumps(data))


def stream_response(chunks: Iterator[bytes], content_type: str) -> Response:
    return Response(status=200, body=chunks, content_type=content_type)


Handler = Callable[["SimServer", Request], Response]


@dataclass(frozen=True)
class Route:
    method: str
    name: str  # template used for counters, e.g. "GET /api/project/{ws}"
    pattern: re.Pattern[str]
    handler: Handler
    data: bool  # counts as a data route for faults
    auth: bool  # needs the sid cookie


ROUTES: list[Route] = []


def route(
    method: str, template: str, *, data: bool = True, auth: bool = True
) -> Callable[[Handler], Handler]:
    """Register a handler for ``method`` + ``template`` ({name} = one path segment,
    {name:path} = the rest of the path)."""

    def to_regex(tpl: str) -> re.Pattern[str]:
        out = "^"
        for part in re.split(r"(\{[a-zA-Z_]+(?::path)?\})", tpl):
            if part.startswith("{"):
                name, _, kind = part[1:-1].partition(":")
                out += f"(?P<{name}>.+)" if kind == "path" else f"(?P<{name}>[^/]+)"
            else:
                out += re.escape(part)
        return re.compile(out + "$")

    def deco(fn: Handler) -> Handler:
        ROUTES.append(Route(method, f"{method} {template}", to_regex(template), fn, data, auth))
        return fn

    return deco


def match(method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
    """(route, params, path_known): path_known is True when the path exists for another
    method (-> 405)."""
    known = False
    for r in ROUTES:
        m = r.pattern.match(path)
        if m is None:
            continue
        if r.method == method:
            return r, {k: unquote(v) for k, v in m.groupdict().items()}, True
        known = True
    return None, {}, known

"""HTTP to one ``swanlab watch`` server: its JSON envelope, its error codes, and the only paths
this client will ever request (:mod:`.api`'s allow-list, checked before each request)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import requests

from swansync.errors import DataError, FatalApiError, NotFoundError, RetriableApiError
from swansync.http import RETRY_STATUSES, Accounting, BadBody, HttpFault, make_session
from swansync.http.download import iter_body
from swansync.sources.base import Counters
from swansync.sources.swanlab.dashboard.api import guard_media, guard_path

# swanboard answers 500 for deterministic errors (missing experiment, NaN in a series): retrying
# those only wastes time; connection errors and 429/502-504 are still retried.
_RETRY_STATUSES = RETRY_STATUSES - {500}


def _envelope(resp: requests.Response, *, strict: bool = True) -> Any:
    """The parsed JSON of an answer labelled JSON (None for one labelled otherwise: that is a
    wrong base URL, reported by the caller). ``strict``: JSON that does not parse is
    :class:`BadBody` (a body cut short: retried); otherwise None."""
    if "json" not in resp.headers.get("content-type", ""):
        return None
    try:
        return json.loads(resp.content)
    except ValueError:
        if strict:
            raise BadBody(f"JSON that does not parse ({len(resp.content)} bytes)") from None
        return None


class DashboardClient:
    """GETs below ``base`` (``http://host:port/api/v1``) under one retry budget."""

    def __init__(
        self,
        base: str,
        name: str,
        counters: Counters,
        *,
        timeout: float,
        retries: int,
        backoff: float,
    ) -> None:
        self.base = base
        self.name = name
        self._accounting = Accounting(counters)
        self._counters = counters
        self.session = make_session(
            timeout=timeout,
            retries=retries,
            backoff=backoff,
            user_agent="swansync-dashboard",
            retry_statuses=_RETRY_STATUSES,
        )

    def _send(self, url: str, route: str, **kw: Any) -> requests.Response:
        try:
            return self.session.request(
                "GET", url, hooks=self._accounting.hook(f"GET {route}"), idempotent=True, **kw
            )
        except HttpFault as e:
            where = f"cannot connect to {self.base}" if e.kind == "connect" else f"GET {route}"
            raise RetriableApiError(f"dashboard {self.name}: {where}: {e}", route=route) from None
        except requests.RequestException as e:
            raise FatalApiError(
                f"dashboard {self.name}: GET {route} failed: {type(e).__name__}", route=route
            ) from None

    def get(self, path: str, route: str) -> Any:
        """GET ``path`` (below /api/v1) and return the envelope's ``data``. Every dashboard
        route is a read, so everything transient is retried under one budget: statuses,
        dropped connections, bodies cut short, and JSON answers that do not parse."""
        url = self.base + guard_path(path)
        parsed: list[Any] = []
        resp = self._send(url, route, check=lambda r: parsed.append(_envelope(r)))
        ctype = resp.headers.get("content-type", "")
        if "json" not in ctype:
            if resp.status_code in _RETRY_STATUSES:
                raise RetriableApiError(
                    f"dashboard {self.name}: GET {route} failed with HTTP {resp.status_code} "
                    f"({ctype or 'no content type'}, not the dashboard's JSON)",
                    status=resp.status_code,
                    route=route,
                )
            raise FatalApiError(
                f"{self.base}{route} answered {resp.status_code} {ctype or 'without a type'}, "
                "not JSON: is this the base URL of a `swanlab watch` dashboard?",
                status=resp.status_code,
                route=route,
            )
        body = parsed[-1] if parsed else _envelope(resp, strict=False)
        if body is None:
            raise DataError(f"dashboard {self.name}: GET {route}: malformed JSON")
        if not isinstance(body, dict):
            raise DataError(f"dashboard {self.name}: GET {route}: expected an object")
        code, message = body.get("code"), str(body.get("message") or body.get("detail") or "")
        if code == 0 and resp.status_code < 400 and "data" in body:
            return body["data"]
        what = f"dashboard {self.name}: GET {route}: {resp.status_code} code={code} {message}"
        if code == 3500 and "uninitialized" in message.lower():
            raise NotFoundError(f"{what} (the dashboard serves a folder without runs.swanlab)")
        if resp.status_code in _RETRY_STATUSES:
            raise RetriableApiError(what, status=resp.status_code, route=route)
        raise FatalApiError(what, status=resp.status_code, route=route)

    def media_url(self, name: str, key: str, exp_id: str) -> str:
        """The media route's URL for one file of a run's media key (``name`` checked)."""
        return (
            requests.Request(
                "GET",
                self.base + guard_media(name),
                params={"tag": key, "experiment_id": exp_id},
            )
            .prepare()
            .url
            or ""
        )

    def open_file(
        self, name: str, key: str, exp_id: str
    ) -> tuple[requests.Response, Iterator[bytes]]:
        """One media file (``GET /media/<name>?tag=<key>&experiment_id=<id>``), opened: the
        response (headers) and its body in pieces, counted as they arrive (a break midway raises
        RetriableApiError from the pieces). A missing file or key is :class:`NotFoundError`:
        swanboard answers 404 for the first and a 500 JSON error for the second."""
        route = "/media/{name}"
        url = self.media_url(name, key, exp_id)
        try:
            resp = self.session.open("GET", url, idempotent=True, allow_redirects=False)
        except HttpFault as e:
            raise RetriableApiError(
                f"dashboard {self.name}: GET {route}: {e}", route=route
            ) from None
        except requests.RequestException as e:
            raise FatalApiError(
                f"dashboard {self.name}: GET {route} failed: {type(e).__name__}", route=route
            ) from None
        self._counters.record(f"GET {route}")
        ctype = resp.headers.get("content-type", "")
        if resp.status_code != 200 or "json" in ctype:
            resp.close()
            what = f"dashboard {self.name}: GET /media/{name} ({key!r}): HTTP {resp.status_code}"
            if resp.status_code == 404 or (resp.status_code == 500 and "json" in ctype):
                raise NotFoundError(what)
            if resp.status_code in _RETRY_STATUSES:
                raise RetriableApiError(what, status=resp.status_code, route=route)
            raise FatalApiError(what, status=resp.status_code, route=route)
        timeout = self.session.timeout

        def pieces() -> Iterator[bytes]:
            try:
                yield from iter_body(resp, timeout=timeout, count=self._counters.add_bytes)
            except HttpFault as e:
                raise RetriableApiError(
                    f"dashboard {self.name}: GET {route}: {e}", route=route
                ) from None

        return resp, pieces()

    def close(self) -> None:
        self.session.close()

"""A small, thread-safe GraphQL client for the W&B API: one ``POST <host>/graphql`` per read,
HTTP Basic ``api:<key>``, swansync's single HTTP policy (:func:`swansync.http.make_session`) and
one error mapping. Every read is idempotent, so every POST is retried under the one budget of the
policy: 429/5xx (honouring ``Retry-After``), resets before or while the body is read, bodies cut
short, and answers that are not a GraphQL JSON object (an HTML error page with status 200).
"""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import requests

from swansync.errors import (
    ApiError,
    AuthError,
    DataError,
    FatalApiError,
    RetriableApiError,
)
from swansync.http import (
    RETRY_STATUSES,
    Accounting,
    BadBody,
    HttpFault,
    PolicySession,
    make_session,
    redact,
    register_secret,
    user_agent,
)
from swansync.http.hints import plain_http_hint
from swansync.sources.base import Counters

log = logging.getLogger(__name__)

_FIX = "check the key (`wandb login`, WANDB_API_KEY or --wandb-api-key) and --wandb-host"


class GraphQLError(FatalApiError):
    """The server answered, with GraphQL ``errors`` (a bad filter, a field it lacks, ...)."""


def _parse(resp: requests.Response) -> dict[str, Any]:
    """The GraphQL answer of a 2xx response, or :class:`BadBody` (retried by the policy)."""
    ctype = resp.headers.get("Content-Type", "").lower()
    data = resp.content
    if "html" in ctype or data.lstrip()[:1] == b"<":
        raise BadBody("an HTML page where a GraphQL answer was expected")
    if not data.strip():
        raise BadBody("an empty body where a GraphQL answer was expected")
    try:
        body = json.loads(data)  # NaN/Infinity tokens are accepted, as W&B writes them
    except (ValueError, RecursionError):
        raise BadBody(f"a body that is not valid JSON ({len(data)} bytes; cut short?)") from None
    if not isinstance(body, dict) or not ("data" in body or "errors" in body):
        raise BadBody("JSON that is not a GraphQL answer (no 'data' or 'errors')")
    return body


class GraphQLClient:
    """``query(operation, document, variables)`` -> the ``data`` object of the answer.

    Errors: 401 -> :class:`AuthError` (a refused key stops the whole pull); 429/5xx/resets that
    outlast the retry budget -> :class:`RetriableApiError`; other statuses and GraphQL
    ``errors`` -> :class:`FatalApiError` (:class:`GraphQLError`); a malformed answer ->
    :class:`DataError`. Requests are counted per operation name in ``counters``.
    """

    def __init__(
        self,
        host: str,
        api_key: str,
        *,
        timeout: float = 60,
        retries: int = 5,
        backoff: float = 0.5,
        max_retry_after: float = 60,
        session: PolicySession | None = None,
        counters: Counters | None = None,
    ) -> None:
        self.host = host
        self.url = host + "/graphql"
        register_secret(api_key)
        token = base64.b64encode(f"api:{api_key}".encode()).decode()
        self._auth = f"Basic {token}"
        register_secret(token)
        self.http = session or make_session(
            timeout=timeout,
            retries=retries,
            backoff=backoff,
            max_retry_after=max_retry_after,
            user_agent=user_agent(),
        )
        self.accounting = Accounting(counters)

    def __repr__(self) -> str:
        return f"GraphQLClient(host={self.host!r})"

    def query(
        self, operation: str, document: str, variables: dict[str, Any], *, what: str
    ) -> dict[str, Any]:
        payload = json.dumps(
            {"query": document, "variables": variables, "operationName": operation},
            allow_nan=False,
        ).encode()
        parsed: list[dict[str, Any]] = []

        def check(resp: requests.Response) -> None:
            parsed[:] = [_parse(resp)]

        try:
            resp = self.http.request(
                "POST",
                self.url,
                data=payload,
                headers={"Authorization": self._auth, "Content-Type": "application/json"},
                hooks=self.accounting.hook(operation),
                idempotent=True,  # GraphQL reads
                check=check,
            )
        except HttpFault as e:
            raise RetriableApiError(
                f"{what}: {operation} on {self.host}: {redact(str(e))}", route=operation
            ) from None
        except requests.RequestException as e:  # not retriable: bad URL, TLS, redirects
            reason = redact(str(e).splitlines()[0] if str(e) else type(e).__name__)
            hint = plain_http_hint(e, self.url)
            if hint:
                reason = "not a TLS answer"
            raise FatalApiError(
                f"{what}: {operation} on {self.host} failed ({type(e).__name__}: {reason[:200]})"
                + hint,
                route=operation,
            ) from None
        if resp.status_code == 401:
            raise AuthError(f"W&B at {self.host} refused the API key (HTTP 401): {_FIX}")
        if not 200 <= resp.status_code < 300:
            raise self._error(resp, operation, what)
        body = parsed[0] if parsed else _parse(resp)
        errors = body.get("errors")
        if errors:
            raise GraphQLError(
                f"{what}: {operation} on {self.host}: {_messages(errors)}", route=operation
            )
        data = body.get("data")
        if not isinstance(data, dict):
            raise DataError(f"{what}: {operation} on {self.host} answered without 'data'")
        return data

    def _error(self, resp: requests.Response, operation: str, what: str) -> ApiError:
        detail = ""
        try:
            body = json.loads(resp.content)
            if isinstance(body, dict) and body.get("errors"):
                detail = ": " + _messages(body["errors"])
        except (ValueError, RecursionError):
            if "html" in resp.headers.get("Content-Type", "").lower():
                detail = " (an HTML error page, likely from a proxy)"
        text = redact(f"{what}: {operation} on {self.host} failed with HTTP {resp.status_code}")
        cls = RetriableApiError if resp.status_code in RETRY_STATUSES else FatalApiError
        return cls((text + redact(detail))[:1000], status=resp.status_code, route=operation)

    def close(self) -> None:
        self.http.close()


def _messages(errors: Any) -> str:
    """The GraphQL error messages on one line (the first three)."""
    items = errors if isinstance(errors, list) else [errors]
    texts = []
    for item in items[:3]:
        msg = item.get("message") if isinstance(item, dict) else item
        texts.append(" ".join(str(msg).split())[:300])
    more = f" (+{len(items) - 3} more)" if len(items) > 3 else ""
    return redact("; ".join(texts) + more)

"""The SwanLab login exchange and session bookkeeping (spec 2).

``POST /api/login/api_key`` with header ``authorization: <key>`` answers ``{sid, expiredAt,
userInfo}`` (200 or 201, U1); data requests then carry ``Cookie: sid=...``. Should a server not
offer that route (404/405), the newer handshake ``GET /api/auth/verify`` with
``Authorization: ApiKey <key>`` is tried and the key header is sent on data requests instead
(spec 2.4, U3).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from swansync.errors import AuthError
from swansync.http import register_secret
from swansync.sources.swanlab.cloud.parse import parse_time

log = logging.getLogger(__name__)

REFRESH_MARGIN = timedelta(days=7)
_FIX = "run `swanlab login` or set SWANLAB_API_KEY"


@dataclass(frozen=True)
class Session:
    """One login: the headers to present and when they stop being good (None = unknown)."""

    headers: dict[str, str]
    expires_at: datetime | None
    username: str | None
    generation: int

    def __repr__(self) -> str:
        return f"Session(username={self.username!r}, expires_at={self.expires_at!r})"

    def needs_refresh(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at - now < REFRESH_MARGIN


def session_from_login(body: Any, generation: int) -> Session:
    """The session of a ``/login/api_key`` answer; lenient about ``expiredAt`` (any ISO form or
    Unix s/ms; unparseable = unknown, then only a 401 triggers a new login)."""
    if not isinstance(body, dict) or not isinstance(body.get("sid"), str) or not body["sid"]:
        raise AuthError("the SwanLab login answer has no session id (sid): is this a SwanLab API?")
    sid: str = body["sid"]
    register_secret(sid)
    try:
        expires = parse_time(body.get("expiredAt"))
    except ValueError:
        expires = None
    if expires is None:
        log.debug("login: expiredAt missing or unreadable; relying on 401 to re-login")
    user = body.get("userInfo")
    username = user.get("username") if isinstance(user, dict) else None
    return Session(
        headers={"Cookie": f"sid={sid}"},
        expires_at=expires,
        username=username if isinstance(username, str) else None,
        generation=generation,
    )


def session_from_verify(body: Any, api_key: str, generation: int) -> Session:
    """The session of the newer ``/auth/verify`` handshake: the key itself is presented."""
    username = body.get("username") if isinstance(body, dict) else None
    return Session(
        headers={"Authorization": f"ApiKey {api_key}"},
        expires_at=None,
        username=username if isinstance(username, str) else None,
        generation=generation,
    )


def refused(status: int, host: str) -> AuthError:
    if status == 403:
        return AuthError(
            f"SwanLab at {host} refused the API key (HTTP 403: account not verified or no "
            f"access): verify the account or {_FIX}"
        )
    return AuthError(f"SwanLab at {host} refused the API key (HTTP {status}): {_FIX}")


class SessionHolder:
    """The current session, shared by worker threads; one login at a time."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.current: Session | None = None

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)

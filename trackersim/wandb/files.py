"""Signed parquet URLs: ``GET``/``HEAD /_files/parquet/<run>/<exported>/<part>.parquet``.

URLs carry ``expires`` (Unix seconds) and an HMAC ``signature``; no credentials are needed (the
SDK sends none to them). A bad signature is 403; an expired URL (or the ``expire_urls`` fault)
is 400 with a cloud-storage style XML ``ExpiredToken`` body. ``Range: bytes=a-b`` / ``a-`` /
``-n`` is answered 206 with ``Content-Range``; an unsatisfiable range is 416.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Callable
from urllib.parse import quote

from trackersim.wandb.endpoint import Reply
from trackersim.wandb.parquet import build, part_count
from trackersim.wandb.world import World

_PATH = re.compile(r"^/_files/parquet/(?P<run>[^/]+)/(?P<exported>\d+)/(?P<part>\d+)\.parquet$")
EXPIRED = (
    b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>ExpiredToken</Code>"
    b"<Message>The provided token has expired.</Message></Error>"
)


class Signer:
    def __init__(self, secret: bytes, base_url: str, ttl_s: Callable[[], float]) -> None:
        self.secret, self.base_url, self.ttl_s = secret, base_url, ttl_s

    def _mac(self, path: str, expires: int) -> str:
        return hmac.new(self.secret, f"{path}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def sign(self, path: str) -> str:
        expires = int(time.time() + self.ttl_s())
        sig = self._mac(path, expires)
        return f"{self.base_url}{quote(path)}?expires={expires}&signature={sig}"

    def check(self, path: str, query: dict[str, str], force_expired: bool) -> Reply | None:
        """None if the URL is good, else the answer to send."""
        try:
            expires = int(query.get("expires", ""))
        except ValueError:
            return Reply(403, b"<Error><Code>AccessDenied</Code></Error>", "application/xml")
        if not hmac.compare_digest(self._mac(path, expires), query.get("signature", "")):
            return Reply(
                403, b"<Error><Code>SignatureDoesNotMatch</Code></Error>", "application/xml"
            )
        if force_expired or time.time() > expires:
            return Reply(400, EXPIRED, "application/xml")
        return None


def serve_file(world: World, path: str, range_header: str | None) -> Reply:
    m = _PATH.match(path)
    if m is None:
        return Reply(404, b"<Error><Code>NoSuchKey</Code></Error>", "application/xml")
    with world.lock:
        run = world.run_map.get(m["run"])
        exported, part = int(m["exported"]), int(m["part"])
        per_file = world.options.parquet_rows_per_file
        if run is None or run.deleted or part >= part_count(run, exported, per_file):
            return Reply(404, b"<Error><Code>NoSuchKey</Code></Error>", "application/xml")
    data = build(run, exported, part, per_file)
    return ranged(data, range_header)


def ranged(data: bytes, range_header: str | None) -> Reply:
    headers = {"Accept-Ranges": "bytes"}
    if not range_header:
        return Reply(200, data, "application/octet-stream", headers)
    m = re.fullmatch(r"bytes=(\d*)-(\d*)", range_header.strip())
    size = len(data)
    if m is None or (m[1] == "" and m[2] == ""):
        return Reply(416, b"", "application/octet-stream", {"Content-Range": f"bytes */{size}"})
    if m[1] == "":
        start, end = max(0, size - int(m[2])), size - 1
    else:
        start = int(m[1])
        end = min(size - 1, int(m[2])) if m[2] else size - 1
    if start >= size or start > end:
        return Reply(416, b"", "application/octet-stream", {"Content-Range": f"bytes */{size}"})
    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return Reply(206, data[start : end + 1], "application/octet-stream", headers)

"""A run's files: ``Run.files(names, after, first, pattern)`` / ``Run.fileCount`` (the SDK's
``RunFiles`` query) and their signed ``directUrl``s, ``GET /_files/run/<run>/<name>``.

Files: ``output.log`` (once the run has printed) and every media file its history names so far
(see :mod:`trackersim.wandb.console`), sorted by name; ``names`` picks files by name (unknown
names are left out), ``pattern`` is SQL ``LIKE`` (``%`` and ``_``). ``directUrl`` is signed like
the parquet URLs (no credentials; expired -> 400 ``ExpiredToken``); ``url`` is the API path,
which needs credentials and is not served. Downloads honour ``Range``.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import TYPE_CHECKING, Any

from trackersim.wandb import console
from trackersim.wandb.endpoint import Reply
from trackersim.wandb.files import ranged
from trackersim.wandb.filters import decode_cursor, offset_cursor
from trackersim.wandb.gql import GqlError
from trackersim.wandb.history import media_bytes
from trackersim.wandb.model import gid
from trackersim.wandb.resolvers import Connection, Ctx, Edge, PageInfo
from trackersim.wandb.schema import Node

if TYPE_CHECKING:
    from trackersim.wandb.model import Run
    from trackersim.wandb.world import World

OUTPUT = "output.log"
_PATH = re.compile(r"^/_files/run/(?P<run>[^/]+)/(?P<name>.+)$")
_TYPES = {".png": "image/png", ".json": "application/json", ".log": "text/plain"}
NOT_FOUND = b"<Error><Code>NoSuchKey</Code></Error>"


def names(run: Run) -> list[str]:
    out = sorted(console.media_files(run))
    if run.ticks > 0:
        out.insert(0, OUTPUT)
    return out


def content(world: World, run: Run, name: str) -> bytes | None:
    """The file's bytes, or None when it is not there (unknown, or a gone media file)."""
    opts = world.options
    if name == OUTPUT:
        return console.output_log(run, opts.console_quirks) if run.ticks > 0 else None
    found = console.media_files(run).get(name)
    if found is None:
        return None
    spec, off = found
    if opts.media_missing and console.missing(spec, off):
        return None
    return media_bytes(spec.seed, off, spec.kind, spec.value(off)["size"])


def _mimetype(name: str) -> str:
    for suffix, ctype in _TYPES.items():
        if name.endswith(suffix):
            return ctype
    return "application/octet-stream"


def _size(world: World, run: Run, name: str) -> int:
    if name == OUTPUT:
        return len(console.output_log(run, world.options.console_quirks))
    spec, off = console.media_files(run)[name]
    return int(spec.value(off)["size"])


class FileNode(Node):
    typename = "File"

    def __init__(self, ctx: Ctx, run: Run, name: str) -> None:
        self.ctx, self.run, self.name = ctx, run, name

    def _path(self) -> str:
        return f"/_files/run/{self.run.name}/{self.name}"

    def f_id(self, args: dict[str, Any]) -> str:
        return gid("File", self.run.name, self.name)

    def f_name(self, args: dict[str, Any]) -> str:
        return self.name

    def f_url(self, args: dict[str, Any]) -> str:
        project = self.run.project
        base = self.ctx.sign_url("/").split("?", 1)[0].rstrip("/")
        return f"{base}/files/{project.entity}/{project.name}/{self.run.name}/{self.name}"

    def f_directUrl(self, args: dict[str, Any]) -> str:
        return self.ctx.sign_url(self._path())

    def f_sizeBytes(self, args: dict[str, Any]) -> int:
        return _size(self.ctx.world, self.run, self.name)

    def f_mimetype(self, args: dict[str, Any]) -> str:
        return _mimetype(self.name)

    def f_updatedAt(self, args: dict[str, Any]) -> str | None:
        return self.ctx.time(self.run.heartbeat_s)

    def f_md5(self, args: dict[str, Any]) -> str | None:
        data = content(self.ctx.world, self.run, self.name)
        return None if data is None else base64.b64encode(hashlib.md5(data).digest()).decode()


def _like(pattern: str) -> re.Pattern[str]:
    parts = ("." if c == "_" else ".*" if c == "%" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.DOTALL)


def files(ctx: Ctx, run: Run, args: dict[str, Any]) -> Connection:
    wanted = args.get("names") or []
    pattern = args.get("pattern")
    if wanted and pattern:
        raise GqlError("files: give names or a pattern, not both")
    pool = names(run)
    if wanted:
        pool = [n for n in pool if n in set(wanted)]
    elif pattern:
        rx = _like(pattern)
        pool = [n for n in pool if rx.fullmatch(n)]
    start = 0
    if args.get("after"):
        kind, pos = decode_cursor(args["after"])
        if kind != "offset":
            raise GqlError("files: bad cursor")
        start = int(pos) + 1
    first = args.get("first")
    size = min(ctx.world.options.max_page_size, 50 if first is None else max(0, first))
    chunk = pool[start : start + size]
    edges = [
        Edge("FileEdge", FileNode(ctx, run, n), offset_cursor(start + i))
        for i, n in enumerate(chunk)
    ]
    end = offset_cursor(start + len(chunk) - 1) if chunk else None
    return Connection("FileConnection", edges, PageInfo(end, start + size < len(pool), None))


def serve(world: World, path: str, range_header: str | None) -> Reply:
    m = _PATH.match(path)
    if m is None:
        return Reply(404, NOT_FOUND, "application/xml")
    with world.lock:
        run = world.run_map.get(m["run"])
        data = None if run is None or run.deleted else content(world, run, m["name"])
    if data is None:
        return Reply(404, NOT_FOUND, "application/xml")
    reply = ranged(data, range_header)
    if reply.status in (200, 206):
        reply.content_type = _mimetype(m["name"])
    return reply

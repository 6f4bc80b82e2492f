"""A W&B run's media items, only what is new.

The history rows read ahead carry the file-backed media values
(:mod:`swansync.sources.wandb.media`); a key whose bookmark lies before them (listed late,
``--full``) has the rows in between read again (``HistoryPage`` windows). URLs come from one
``RunFiles`` lookup per 100 names; ``ref`` is the file's name, so ``media_content`` asks for a
fresh URL when the stored one has expired.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from swansync.errors import NotFoundError
from swansync.sources.base import MediaBody, MediaRecord, RunKey
from swansync.sources.wandb import media
from swansync.sources.wandb.cloud import runfiles
from swansync.sources.wandb.cloud.client import GraphQLClient
from swansync.sources.wandb.cloud.history import Batch, RunReader
from swansync.sources.wandb.cloud.state import RunState

if TYPE_CHECKING:
    from swansync.sources.wandb.cloud.extras import Held


def media_items(
    reader: RunReader,
    state: RunState | None,
    held: Held | None,
    keys: Sequence[str],
    after: Mapping[str, int],
) -> list[tuple[str, int, media.Item]]:
    """The items of ``keys`` above each key's bookmark: those read ahead, and the rows before
    them read again for keys whose bookmark lies behind."""
    floor = -(1 << 62)
    wanted = set(keys)
    if held is not None:
        got = [m for m in held.items if m[0] in wanted]
        upto, known = held.media_from, held.media_last
    else:
        got = []
        upto = None if state is None else state.history_to
        known = {} if state is None else state.media_last
    behind = [k for k in keys if known.get(k, floor) > after.get(k, floor)]
    if behind and upto is not None:
        lows = [after.get(k) for k in behind]
        start = None if any(v is None for v in lows) else min(v for v in lows if v is not None)
        batch = Batch(base=start, history_to=None)
        reader.history(batch, upto, None)
        got += [m for m in batch.media if m[0] in wanted]
    picked = {(k, s, it.idx): (k, s, it) for k, s, it in got if s > after.get(k, floor)}
    return [picked[x] for x in sorted(picked)]


def records(
    client: GraphQLClient,
    run_vars: dict[str, str],
    what: str,
    project: str,
    run_id: str,
    found: list[tuple[str, int, media.Item]],
) -> Iterator[MediaRecord]:
    urls = runfiles.lookup(client, run_vars, [it.path for *_, it in found], what) if found else {}
    for key, step, item in found:
        f = urls.get(item.path)
        yield MediaRecord(
            project=project,
            run_id=run_id,
            key=key,
            step=step,
            idx=item.idx,
            kind=item.kind,
            caption=item.caption,
            url=f.url if f else None,
            content_type=media.content_type(item.path),
            sha256=item.sha256,
            bytes=item.size if item.size is not None else (f.size if f else None),
            ref=item.path,
        )


def content(
    client: GraphQLClient, run_vars: dict[str, str], item: MediaRecord, what: str
) -> MediaBody:
    if not item["ref"]:
        raise NotFoundError(f"{what}: no file name")
    opened = runfiles.open_file(  # W&B records each file's size: a shorter body is cut short
        client,
        run_vars,
        item["ref"],
        item["url"],
        what,
        allow_html=item["kind"] == "html",
        at_least=item["bytes"],
    )
    return MediaBody(
        opened.chunks, opened.response.headers.get("Content-Type"), runfiles.size_of(opened)
    )


def read_media(
    reader: RunReader,
    key: RunKey,
    state: RunState | None,
    held: Held | None,
    keys: Sequence[str],
    after: Mapping[str, int],
) -> Iterator[MediaRecord]:
    """File-backed media values of ``keys`` above each key's bookmark, with their URLs."""
    found = media_items(reader, state, held, keys, after)
    return records(reader.client, reader.vars, reader.what, *key, found)


def read_content(reader: RunReader, item: MediaRecord) -> MediaBody:
    what = f"media {item['key']!r} step {item['step']} of {reader.what}"
    return content(reader.client, reader.vars, item, what)

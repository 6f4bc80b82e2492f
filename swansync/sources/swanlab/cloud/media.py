"""Media items from the SwanLab metric store (spec 3.9): listed per key and step, only above each
key's bookmark, and opened for download through presigned URLs.

Listing, :data:`MEDIA_KEYS` keys per request (batched like scalar exports; the server's own cap
is unknown):

* a batch holding a key never read: ``POST /house/metrics/f_media`` (every step of every key);
* otherwise ``POST /house/metrics/media`` without a step: ``steps`` lists every step with media
  of the batch's keys and the items of the latest come along. Nothing above the lowest bookmark:
  done, one request. A few new steps are asked one by one (``step``), more than
  :data:`F_MEDIA_STEPS` with one ``f_media``.

A step answers ``{key, data: [paths], more: [{caption, ...}]}`` per key: item ``idx`` is the
position in ``data``. No endpoint says an item's kind: the file name does
(:func:`~swansync.sources.swanlab.conventions.media_kind`). URLs come from ``POST
/resources/presigned/get`` with ``prefix`` ``<projCuid>/<runCuid>`` (the SDK's choice, also for
cloned runs), :data:`PRESIGN_PATHS` paths a call, aligned with ``paths``. The storage path is the
record's ``ref``: a later pull presigns it again when the stored URL has expired.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from swansync.errors import DataError, FatalApiError, NotFoundError
from swansync.http.download import content_length
from swansync.sources.base import MediaBody, MediaRecord, RunRecord
from swansync.sources.swanlab.cloud import parse
from swansync.sources.swanlab.cloud.client import SwanLabClient
from swansync.sources.swanlab.cloud.export import LINK_REFUSED, chunks
from swansync.sources.swanlab.conventions import media_kind

MEDIA_KEYS = 16
PRESIGN_PATHS = 100
F_MEDIA_STEPS = 4  # more new steps than this: one f_media instead of one call per step
RELINKS = 2  # fresh links for one item after object storage refused one
DOWNLOAD_ROUTE = "GET <presigned media>"

Found = dict[str, dict[int, list[tuple[str, Any]]]]  # key -> step -> [(path, more)]


@dataclass
class _StepAnswer:
    steps: list[int]
    step: int | None
    found: Found = field(default_factory=dict)


class MediaReader:
    """The media of one run."""

    def __init__(
        self, client: SwanLabClient, ref: dict[str, Any], project: str, run: RunRecord
    ) -> None:
        self.client = client
        self.ref = ref
        self.project = project
        self.run = run
        self.rid = run["run_id"]
        self.prefix = f"{ref['projectId']}/{ref['experimentId']}"

    # -- listing ---------------------------------------------------------------------------

    def items(self, keys: Sequence[str], after: Mapping[str, int]) -> Iterator[MediaRecord]:
        for batch in chunks(list(dict.fromkeys(keys)), MEDIA_KEYS):
            found = self._new(batch, {k: after[k] for k in batch if k in after})
            picked = [
                (key, step, idx, path, more)
                for key in batch
                for step, entries in sorted(found.get(key, {}).items())
                if step > after.get(key, -(1 << 62))
                for idx, (path, more) in enumerate(entries)
            ]
            urls = self.presign(sorted({p for *_, p, _ in picked}))
            for key, step, idx, path, more in picked:
                caption = more.get("caption") if isinstance(more, dict) else None
                yield MediaRecord(
                    project=self.project,
                    run_id=self.rid,
                    key=key,
                    step=step,
                    idx=idx,
                    kind=media_kind(path),
                    caption=caption if isinstance(caption, str) and caption else None,
                    url=urls[path],
                    content_type=None,
                    sha256=None,
                    bytes=None,
                    ref=path,
                )

    def _new(self, keys: Sequence[str], after: Mapping[str, int]) -> Found:
        if len(after) < len(keys):
            return self._all(keys)
        floor = min(after.values())
        probe = self._step(keys, None)
        new = [s for s in probe.steps if s > floor]
        if not new:
            return {}
        if len(new) > F_MEDIA_STEPS:
            return self._all(keys)
        found: Found = {}
        for s in new:
            answer = probe if s == probe.step else self._step(keys, s)
            for key, steps in answer.found.items():
                found.setdefault(key, {}).update(steps)
        return found

    def _columns(self, keys: Sequence[str]) -> list[dict[str, Any]]:
        ref = {k: v for k, v in self.ref.items() if k != "projectId"}
        return [{**ref, "key": k} for k in keys]

    def _entries(self, key: str, step: int, entry: Mapping[str, Any], what: str) -> list[Any]:
        data = entry.get("data") or []
        more = entry.get("more") or []
        if not isinstance(data, list) or not isinstance(more, list):
            raise DataError(f"{what}: key {key!r} step {step}: 'data'/'more' should be lists")
        out: list[tuple[str, Any]] = []
        for i, path in enumerate(data):
            if not isinstance(path, str) or not path:
                raise DataError(f"{what}: key {key!r} step {step}: item {i} has no path")
            out.append((path, more[i] if i < len(more) else None))
        return out

    def _step(self, keys: Sequence[str], step: int | None) -> _StepAnswer:
        what = f"media of run {self.rid!r}" + (f" at step {step}" if step is not None else "")
        body: dict[str, Any] = {"projectId": self.ref["projectId"], "columns": self._columns(keys)}
        if step is not None:
            body["step"] = step
        answer = self.client.call(
            "POST", "/house/metrics/media", body=body, route="POST /house/metrics/media", what=what
        )
        if not isinstance(answer, dict):
            raise DataError(f"{what}: expected an object, got {type(answer).__name__}")
        steps = [
            s for s in (parse.step(v, what) for v in answer.get("steps") or []) if s is not None
        ]
        at = parse.step(answer.get("step"), what)
        out = _StepAnswer(sorted(set(steps)), at)
        wanted = set(keys)
        for entry in answer.get("metrics") or []:
            if not isinstance(entry, dict) or entry.get("key") not in wanted or at is None:
                continue
            key = str(entry["key"])
            out.found.setdefault(key, {})[at] = self._entries(key, at, entry, what)
        return out

    def _all(self, keys: Sequence[str]) -> Found:
        what = f"all media of run {self.rid!r}"
        answer = self.client.call(
            "POST",
            "/house/metrics/f_media",
            body={"projectId": self.ref["projectId"], "columns": self._columns(keys)},
            route="POST /house/metrics/f_media",
            what=what,
        )
        if not isinstance(answer, list):
            raise DataError(f"{what}: expected a list, got {type(answer).__name__}")
        found: Found = {}
        wanted = set(keys)
        for entry in answer:
            if not isinstance(entry, dict) or entry.get("key") not in wanted:
                continue  # entries may be null (a key without media)
            key = str(entry["key"])
            for m in entry.get("metrics") or []:
                if not isinstance(m, dict):
                    continue
                step = parse.step(m.get("index"), what)
                if step is None:
                    raise DataError(f"{what}: key {key!r}: an entry has no step ('index')")
                found.setdefault(key, {})[step] = self._entries(key, step, m, what)
        return found

    # -- links -----------------------------------------------------------------------------

    def presign(self, paths: Sequence[str]) -> dict[str, str]:
        """path -> fresh URL."""
        out: dict[str, str] = {}
        for batch in chunks(list(paths), PRESIGN_PATHS):
            what = f"media links of run {self.rid!r}"
            body = self.client.call(
                "POST",
                "/resources/presigned/get",
                body={"prefix": self.prefix, "paths": list(batch)},
                route="POST /resources/presigned/get",
                what=what,
            )
            urls = body.get("urls") if isinstance(body, dict) else None
            if (
                not isinstance(urls, list)
                or len(urls) != len(batch)
                or not all(isinstance(u, str) and u for u in urls)
            ):
                raise DataError(f"{what}: expected {len(batch)} URL(s)")
            out.update(zip(batch, (str(u) for u in urls), strict=True))
        return out

    def open(self, item: MediaRecord) -> MediaBody:
        """The item's content; a link object storage refuses (expired, signature no longer
        valid) is presigned again from ``ref``. Still 404 with a fresh link: NotFoundError."""
        what = f"media {item['key']!r} step {item['step']} #{item['idx']} of run {self.rid!r}"
        url = item["url"]
        last: FatalApiError | None = None
        for attempt in range(RELINKS + 1):
            if url is None or attempt > 0:
                if not item["ref"]:
                    break
                url = self.presign([item["ref"]])[item["ref"]]
            try:
                resp, pieces = self.client.open_stream(
                    url, route=DOWNLOAD_ROUTE, what=what, allow_html=item["kind"] == "html"
                )
            except FatalApiError as e:
                if e.status not in LINK_REFUSED:
                    raise
                last = e
                continue
            return MediaBody(pieces, resp.headers.get("Content-Type"), content_length(resp))
        if last is not None and last.status in (404, 410):
            raise NotFoundError(f"{what}: not found upstream (HTTP {last.status})")
        if last is not None:
            raise last
        raise NotFoundError(f"{what}: no URL and no storage path to presign")

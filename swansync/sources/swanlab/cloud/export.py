"""Full-resolution scalar series from SwanLab: the CSV export chain (export -> presign ->
download, spec 3.7) and the legacy per-key CSV route (spec 6.2) for servers that predate it.

A download link that object storage refuses (401/403, or 400/404/410: expired, signature no
longer valid, file gone) is not a failure: the chain that made it is redone for that batch (a
fresh export and presign; for the legacy route a fresh URL), up to :data:`RELINKS` times.

Export width: the SDK asks for at most 16 columns per export (spec 3.14 calls it client
batching; no server limit is documented). A run's keys are exported up to :data:`WIDE_KEYS` at a
time, which for most runs means one export, one link and one download instead of one per 16
keys. Should a server refuse a wide export (a 4xx) or answer it with fewer columns than asked
for, :class:`WideExportRefused` tells the source to go back to the SDK's 16 for good.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar
from urllib.parse import quote

from swansync.errors import ApiError, DataError, FatalApiError
from swansync.sources.base import CsvPoints, ProjectRecord, RunRecord
from swansync.sources.swanlab.cloud.client import SwanLabClient

log = logging.getLogger(__name__)

EXPORT_KEYS = 16  # columns per export request, as the SDK batches them
WIDE_KEYS = 64  # columns per export request until a server refuses that many
RELINKS = 2  # fresh links per batch after object storage refused one
LINK_REFUSED = frozenset({400, 401, 403, 404, 410})

T = TypeVar("T")


def seg(value: str) -> str:
    return quote(value, safe="")


def chunks(items: Sequence[T], n: int) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


def _find_url(body: Any) -> str | None:
    """The download URL of a legacy ``column/csv`` answer: ``{url}``, or nested under a list
    or a ``data`` key (0.8.x)."""
    if isinstance(body, str):
        return body if body else None
    if isinstance(body, dict):
        if isinstance(body.get("url"), str) and body["url"]:
            return str(body["url"])
        for value in body.values():
            found = _find_url(value) if isinstance(value, dict | list) else None
            if found:
                return found
    if isinstance(body, list):
        for item in body:
            found = _find_url(item)
            if found:
                return found
    return None


class ExportMissing(ApiError):
    """The export route answered 404: this server predates it."""

    def __init__(self) -> None:
        super().__init__("scalar export route not found", status=404)


class WideExportRefused(ApiError):
    """An export of more than :data:`EXPORT_KEYS` columns was refused or came back narrower."""


def header_columns(data: bytes) -> int:
    """Fields in the first CSV record of ``data`` (quotes and line breaks inside them honoured;
    0 for an empty body). Reads only as far as the header."""
    text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", errors="replace", newline="")
    return len(next(csv.reader(text), []))


def export_points(
    client: SwanLabClient,
    project: ProjectRecord,
    run: RunRecord,
    ref: dict[str, Any],
    keys: Sequence[str],
    width: int = EXPORT_KEYS,
) -> Iterator[CsvPoints]:
    """Every point of ``keys`` through the CSV export chain: one export per ``width`` keys, one
    presign call for all of them, then one cookie-less download each. With ``width`` above
    :data:`EXPORT_KEYS`, a refusal or a narrower answer raises :class:`WideExportRefused`
    before anything is yielded."""
    label = run["name"] or run["run_id"]
    batches = list(chunks(list(keys), width))
    wide = any(len(b) > EXPORT_KEYS for b in batches)
    try:
        cos_keys = [
            _export(client, ref, label, run, batch, first=i == 0) for i, batch in enumerate(batches)
        ]
    except FatalApiError as e:
        if wide and e.status is not None and 400 <= e.status < 500 and e.status not in (401, 404):
            raise WideExportRefused(
                f"an export of {max(map(len, batches))} keys was refused (HTTP {e.status})",
                status=e.status,
                route=e.route,
            ) from e
        raise
    if wide:  # check every file before yielding any, so a fallback never duplicates a batch
        got = list(_downloads(client, ref, label, run, batches, cos_keys))
        for batch, data in got:
            n = header_columns(data)
            if n and n != 1 + 2 * len(batch):
                raise WideExportRefused(
                    f"an export of {len(batch)} keys came back with {n} columns"
                )
        for batch, data in got:
            yield CsvPoints(
                project=project["project"], run_id=run["run_id"], keys=tuple(batch), data=data
            )
        return
    for batch, data in _downloads(client, ref, label, run, batches, cos_keys):
        yield CsvPoints(
            project=project["project"], run_id=run["run_id"], keys=tuple(batch), data=data
        )


def _downloads(
    client: SwanLabClient,
    ref: dict[str, Any],
    label: str,
    run: RunRecord,
    batches: list[Sequence[str]],
    cos_keys: list[str],
) -> Iterator[tuple[Sequence[str], bytes]]:
    urls = _presign(client, cos_keys, run)
    for batch, url in zip(batches, urls, strict=True):

        def relink(batch: Sequence[str] = batch) -> str:
            return _presign(client, [_export(client, ref, label, run, batch)], run)[0]

        data = download_csv(
            client,
            url,
            relink,
            route="GET <presigned csv>",
            what=f"metric CSV of run {run['run_id']!r}",
        )
        yield batch, data


def _export(
    client: SwanLabClient,
    ref: dict[str, Any],
    label: str,
    run: RunRecord,
    batch: Sequence[str],
    *,
    first: bool = False,
) -> str:
    """The object-storage key of one export of ``batch`` (``first``: a 404 means the server
    predates the route)."""
    columns = [{"experimentName": label, **ref, "key": k} for k in batch]
    try:
        body = client.call(
            "POST",
            "/house/metrics/scalar/export",
            body={"projectId": ref["projectId"], "columns": columns},
            route="POST /house/metrics/scalar/export",
            what=f"scalar export of run {run['run_id']!r}",
        )
    except FatalApiError as e:
        if e.status == 404 and first:
            raise ExportMissing from None
        raise
    cos = body.get("cosKey") if isinstance(body, dict) else None
    if not isinstance(cos, str) or not cos:
        raise DataError(f"scalar export of run {run['run_id']!r}: answer has no cosKey")
    return cos


def download_csv(
    client: SwanLabClient, url: str, relink: Callable[[], str], *, route: str, what: str
) -> bytes:
    """The bytes behind a download link; when object storage refuses the link, ``relink()``
    makes a fresh one (at most :data:`RELINKS` times)."""
    for attempt in range(RELINKS + 1):
        try:
            return client.download(url, route=route, what=what)
        except FatalApiError as e:
            if e.status not in LINK_REFUSED or attempt == RELINKS:
                if attempt:
                    raise FatalApiError(
                        f"{e} (after {attempt} fresh link(s))", status=e.status, route=e.route
                    ) from None
                raise
            log.info("%s: the link was refused (HTTP %s); asking for a fresh one", what, e.status)
            url = relink()
    raise AssertionError("unreachable: the last attempt returns or raises")


def _presign(client: SwanLabClient, cos_keys: list[str], run: RunRecord) -> list[str]:
    return presign(client, cos_keys, f"download links for run {run['run_id']!r}")


def presign(client: SwanLabClient, cos_keys: list[str], what: str) -> list[str]:
    """Download URLs of exported objects (``POST /files/presigned/get``), in order."""
    body = client.call(
        "POST",
        "/files/presigned/get",
        body={"paths": cos_keys},
        route="POST /files/presigned/get",
        what=what,
    )
    urls = body.get("urls") if isinstance(body, dict) else None
    if (
        not isinstance(urls, list)
        or len(urls) != len(cos_keys)
        or not all(isinstance(u, str) and u for u in urls)
    ):
        raise DataError(f"{what}: expected {len(cos_keys)} URL(s)")
    return [str(u) for u in urls]


def legacy_points(
    client: SwanLabClient, project: ProjectRecord, run: RunRecord, keys: Sequence[str]
) -> Iterator[CsvPoints]:
    """Pre-0.9 servers: one ``column/csv`` URL per key (3-column CSV, maybe a relative URL)."""
    for key in keys:

        def link(key: str = key) -> str:
            body = client.call(
                "GET",
                f"/experiment/{seg(run['run_id'])}/column/csv",
                params={"key": key},
                route="GET /experiment/{cuid}/column/csv",
                what=f"CSV of key {key!r} of run {run['run_id']!r}",
            )
            url = _find_url(body)
            if url is None:
                raise DataError(f"CSV of key {key!r} of run {run['run_id']!r}: no 'url' in answer")
            return url

        data = download_csv(
            client, link(), link, route="GET <legacy csv>", what=f"metric CSV of key {key!r}"
        )
        yield CsvPoints(project=project["project"], run_id=run["run_id"], keys=(key,), data=data)

"""Full-resolution scalar series from SwanLab: the CSV export chain (export -> presign ->
download, spec 3.7) and the legacy per-key CSV route (spec 6.2) for servers that predate it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar
from urllib.parse import quote

from swansync.errors import ApiError, DataError, FatalApiError
from swansync.sources.base import CsvPoints, ProjectRecord, RunRecord
from swansync.sources.swanlab.cloud.client import SwanLabClient

EXPORT_KEYS = 16  # columns per export request, as the SDK batches them

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


def export_points(
    client: SwanLabClient,
    project: ProjectRecord,
    run: RunRecord,
    ref: dict[str, Any],
    keys: Sequence[str],
) -> Iterator[CsvPoints]:
    """Every point of ``keys`` through the CSV export chain: one export per 16 keys, one
    presign call for all of them, then one cookie-less download each."""
    label = run["name"] or run["run_id"]
    batches = list(chunks(list(keys), EXPORT_KEYS))
    cos_keys: list[str] = []
    for i, batch in enumerate(batches):
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
            if e.status == 404 and i == 0:
                raise ExportMissing from None
            raise
        cos = body.get("cosKey") if isinstance(body, dict) else None
        if not isinstance(cos, str) or not cos:
            raise DataError(f"scalar export of run {run['run_id']!r}: answer has no cosKey")
        cos_keys.append(cos)
    urls = _presign(client, cos_keys, run)
    for batch, url in zip(batches, urls, strict=True):
        data = client.download(
            url, route="GET <presigned csv>", what=f"metric CSV of run {run['run_id']!r}"
        )
        yield CsvPoints(
            project=project["project"], run_id=run["run_id"], keys=tuple(batch), data=data
        )


def _presign(client: SwanLabClient, cos_keys: list[str], run: RunRecord) -> list[str]:
    body = client.call(
        "POST",
        "/files/presigned/get",
        body={"paths": cos_keys},
        route="POST /files/presigned/get",
        what=f"download links for run {run['run_id']!r}",
    )
    urls = body.get("urls") if isinstance(body, dict) else None
    if (
        not isinstance(urls, list)
        or len(urls) != len(cos_keys)
        or not all(isinstance(u, str) and u for u in urls)
    ):
        raise DataError(
            f"download links for run {run['run_id']!r}: expected {len(cos_keys)} URL(s)"
        )
    return [str(u) for u in urls]


def legacy_points(
    client: SwanLabClient, project: ProjectRecord, run: RunRecord, keys: Sequence[str]
) -> Iterator[CsvPoints]:
    """Pre-0.9 servers: one ``column/csv`` URL per key (3-column CSV, maybe a relative URL)."""
    for key in keys:
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
        data = client.download(url, route="GET <legacy csv>", what=f"metric CSV of key {key!r}")
        yield CsvPoints(project=project["project"], run_id=run["run_id"], keys=(key,), data=data)

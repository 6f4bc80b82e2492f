"""The CSV export chain (spec 3.7): export -> cosKey, presign -> signed URL, GET -> streamed CSV;
plus log export, media downloads and the legacy per-key CSV URL (spec 6.2).

An export snapshots each column's point count when it is requested, so a run growing between
export and download does not change the file (like a real export job). Downloads need no cookie,
only a valid, unexpired signature; rows are generated lazily chunk by chunk.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from trackersim.swanlab import console, wire
from trackersim.swanlab.csvout import CsvFormat, CsvJob, csv_blocks
from trackersim.swanlab.proto import (
    HttpError,
    Request,
    Response,
    json_response,
    route,
    stream_response,
)
from trackersim.swanlab.routes_house import column_series, data_run
from trackersim.swanlab.routes_media import media_object
from trackersim.swanlab.series import Series
from trackersim.swanlab.spell import mix

if TYPE_CHECKING:
    from trackersim.swanlab.model import Run
    from trackersim.swanlab.server import SimServer


@dataclass(frozen=True)
class LogJob:
    run: Run
    start: int
    rows: int


def _object_key(sim: SimServer, prefix: str, body: bytes, suffix: str) -> str:
    """A deterministic object key: a digest of the request and how often it was made (a real
    store hands out random keys; reproducible ones keep fault draws reproducible)."""
    digest = hashlib.blake2b(body, digest_size=10).hexdigest()
    stem = f"{prefix}/{digest}"
    with sim.lock:
        n = sim.object_keys.get(stem, 0)
        sim.object_keys[stem] = n + 1
    return f"{stem}-{n}{suffix}"


def _register(sim: SimServer, path: str, job: CsvJob | LogJob) -> str:
    with sim.lock:
        sim.exports[path] = job
        if len(sim.exports) > 10_000:  # keep the store bounded in long-running demos
            sim.exports.pop(next(iter(sim.exports)))
    return path


def _csv_job(sim: SimServer, cols: list[dict[str, Any]], path: str) -> CsvJob:
    header = ["step"]
    columns: list[tuple[Series | None, int]] = []
    with sim.world.lock:
        for col in cols:
            label = f"{col.get('experimentName') or col.get('experimentId')}-{col.get('key')}"
            header += [f"{label}_step", f"{label}_timestamp"]
            series = column_series(sim, col)
            columns.append((series, series.count() if series is not None else 0))
    salt = mix(sim.world.seed, zlib.crc32(path.encode()))
    return CsvJob(header, columns, CsvFormat.of(sim.world.options, salt))


@route("POST", "/api/house/metrics/scalar/export")
def scalar_export(sim: SimServer, req: Request) -> Response:
    body = req.json_object()
    cols = body.get("columns")
    if not isinstance(cols, list) or not cols or not all(isinstance(c, dict) for c in cols):
        raise HttpError(400, "BAD_REQUEST", "columns must be a non-empty list of objects")
    key = _object_key(sim, f"exports/{body.get('projectId', 'p')}", req.body, ".csv")
    _register(sim, key, _csv_job(sim, cols, key))
    return json_response({"cosKey": key})


@route("POST", "/api/house/metrics/log/export")
def log_export(sim: SimServer, req: Request) -> Response:
    body = req.json_object()
    with sim.world.lock:
        run = data_run(sim, body)
    if run is None:
        raise HttpError(404, "NOT_FOUND", "experiment not found")
    try:
        start = int(body.get("start") or 0)
        rows = min(int(body.get("rows") or 500_000), 500_000)
    except (TypeError, ValueError) as exc:
        raise HttpError(400, "BAD_REQUEST", "start and rows must be integers") from exc
    if start < 0 or rows < 1:
        raise HttpError(400, "BAD_REQUEST", "start must be >= 0 and rows >= 1")
    with sim.world.lock:
        rows = max(0, min(rows, run.log_count() - start))  # a snapshot, like a real export job
    key = _object_key(sim, "exports/logs", req.body, ".log")
    _register(sim, key, LogJob(run, start, rows))
    return json_response({"cosKey": key})


@route("POST", "/api/files/presigned/get")
def presigned_get(sim: SimServer, req: Request) -> Response:
    body = req.json_object()
    paths = body.get("paths")
    if not isinstance(paths, list):
        raise HttpError(400, "BAD_REQUEST", "paths must be a list")
    return json_response({"urls": [sim.presign(str(p)) for p in paths]})


@route("GET", "/api/experiment/{cuid}/column/csv")
def legacy_column_csv(sim: SimServer, req: Request) -> Response:
    key = req.query.get("key", "")
    with sim.world.lock:
        run = sim.world.run_map.get(req.params["cuid"])
        if run is None or run.deleted:
            raise HttpError(404, "NOT_FOUND", "experiment not found")
        col = {"experimentId": run.cuid, "key": key, "createdAt": run.created_ms // 1000}
        if run.root is not None:
            col["rootExpId"] = run.root.cuid
        col["experimentName"] = run.name
    path = _object_key(sim, "legacy", f"{run.cuid}\n{key}".encode(), ".csv")
    _register(sim, path, _csv_job(sim, [col], path))
    url = sim.presign(path)
    if sim.world.options.legacy_csv_relative:
        url = url.removeprefix(sim.url)
    return json_response({"url": url})


@route("GET", "/_files/{path:path}", auth=False)
def download(sim: SimServer, req: Request) -> Response:
    path = req.params["path"]
    sim.check_signature(path, req.query)
    if path.startswith("res/"):
        item = media_object(sim, path)
        if item is None:
            return Response(404, wire.NO_SUCH_KEY, "application/xml")
        return Response(body=item.content, content_type=item.content_type)
    with sim.lock:
        job = sim.exports.get(path)
    if job is None:
        raise HttpError(404, "NOT_FOUND", "no such object")
    if isinstance(job, LogJob):
        return stream_response(_log_text(job), "text/plain; charset=utf-8")
    return stream_response(csv_blocks(job), "text/csv; charset=utf-8")


def _log_text(job: LogJob) -> Iterator[bytes]:
    """The export's rows, made 2,000 at a time (a 500,000-row export of a huge console is
    never held whole)."""
    end = job.start + job.rows
    for first in range(job.start, end, 2000):
        yield console.export_block(job.run, first, min(end, first + 2000))

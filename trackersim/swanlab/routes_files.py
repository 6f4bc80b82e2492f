"""The CSV export chain (spec 3.7): export -> cosKey, presign -> signed URL, GET -> streamed CSV;
plus log export, media downloads and the legacy per-key CSV URL (spec 6.2).

An export snapshots each column's point count when it is requested, so a run growing between
export and download does not change the file (like a real export job). Downloads need no cookie,
only a valid, unexpired signature; rows are generated lazily chunk by chunk.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from trackersim.swanlab.proto import (
    HttpError,
    Request,
    Response,
    json_response,
    route,
    stream_response,
)
from trackersim.swanlab.routes_house import column_series, data_run
from trackersim.swanlab.routes_media import log_line
from trackersim.swanlab.series import CHUNK, Series

if TYPE_CHECKING:
    from trackersim.swanlab.model import Run
    from trackersim.swanlab.server import SimServer

_ROWS_PER_BLOCK = 4096


@dataclass(frozen=True)
class CsvJob:
    header: list[str]
    columns: list[tuple[Series | None, int]]  # series (None = no data) and snapshot count


@dataclass(frozen=True)
class LogJob:
    run: Run
    start: int
    rows: int


def _register(sim: SimServer, path: str, job: CsvJob | LogJob) -> str:
    with sim.lock:
        sim.exports[path] = job
        if len(sim.exports) > 10_000:  # keep the store bounded in long-running demos
            sim.exports.pop(next(iter(sim.exports)))
    return path


def _csv_job(sim: SimServer, cols: list[dict[str, Any]]) -> CsvJob:
    header = ["step"]
    columns: list[tuple[Series | None, int]] = []
    with sim.world.lock:
        for col in cols:
            label = f"{col.get('experimentName') or col.get('experimentId')}-{col.get('key')}"
            header += [f"{label}_step", f"{label}_timestamp"]
            series = column_series(sim, col)
            columns.append((series, series.count() if series is not None else 0))
    return CsvJob(header, columns)


@route("POST", "/api/house/metrics/scalar/export")
def scalar_export(sim: SimServer, req: Request) -> Response:
    body = req.json_object()
    cols = body.get("columns")
    if not isinstance(cols, list) or not cols or not all(isinstance(c, dict) for c in cols):
        raise HttpError(400, "BAD_REQUEST", "columns must be a non-empty list of objects")
    job = _csv_job(sim, cols)
    key = _register(sim, f"exports/{body.get('projectId', 'p')}/{uuid.uuid4().hex}.csv", job)
    return json_response({"cosKey": key})


@route("POST", "/api/house/metrics/log/export")
def log_export(sim: SimServer, req: Request) -> Response:
    body = req.json_object()
    with sim.world.lock:
        run = data_run(sim, body)
    if run is None:
        raise HttpError(404, "NOT_FOUND", "experiment not found")
    start = int(body.get("start") or 0)
    rows = min(int(body.get("rows") or 500_000), 500_000)
    key = _register(sim, f"exports/logs/{uuid.uuid4().hex}.log", LogJob(run, start, rows))
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
    job = _csv_job(sim, [col])
    path = _register(sim, f"legacy/{uuid.uuid4().hex}.csv", job)
    url = sim.presign(path)
    if sim.world.options.legacy_csv_relative:
        url = url.removeprefix(sim.url)
    return json_response({"url": url})


@route("GET", "/_files/{path:path}", auth=False)
def download(sim: SimServer, req: Request) -> Response:
    path = req.params["path"]
    sim.check_signature(path, req.query)
    if path.startswith("res/"):
        payload = b"\x89PNG\r\n\x1a\n" + path.encode()
        return Response(body=payload, content_type="image/png")
    with sim.lock:
        job = sim.exports.get(path)
    if job is None:
        raise HttpError(404, "NOT_FOUND", "no such object")
    if isinstance(job, LogJob):
        return stream_response(_log_text(job), "text/plain; charset=utf-8")
    return stream_response(csv_blocks(job), "text/csv; charset=utf-8")


def _log_text(job: LogJob) -> Iterator[bytes]:
    total = min(job.run.log_count(), job.start + job.rows)
    lines = []
    for e in range(job.start, total):
        ln = log_line(job.run, e)
        lines.append(f"{ln['timestamp']} {ln['level']} {ln['message']}\n")
    yield "".join(lines).encode()


# -- CSV generation -------------------------------------------------------------------------------
def csv_blocks(job: CsvJob) -> Iterator[bytes]:
    """The export CSV in blocks: header, then one row per step (ascending), empty cells for
    gaps. Columns with the same step grid take a fast aligned path."""
    yield (",".join(_quote(h) for h in job.header) + "\n").encode()
    present = [(s, n) for s, n in job.columns if s is not None and n > 0]
    if not present:
        return
    grids = {(s.step_base + s.first_t, s.every) for s, _ in present}
    if len(grids) == 1:
        yield from _aligned(job.columns, present[0][0])
    else:
        yield from _merged(job.columns)


def _quote(text: str) -> str:
    if any(ch in text for ch in ',"\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _aligned(columns: list[tuple[Series | None, int]], ref: Series) -> Iterator[bytes]:
    n_max = max(n for _, n in columns)
    s0, every = ref.step(0), ref.every
    for c in range((n_max + CHUNK - 1) // CHUNK):
        i0 = c * CHUNK
        m = min(CHUNK, n_max - i0)
        steps = range(s0 + i0 * every, s0 + (i0 + m) * every, every)
        single = columns[0][0] if len(columns) == 1 else None
        if single is not None:
            yield ("\n".join(single.rows_chunk(c, m)) + "\n").encode()
            continue
        cols: list[list[str]] = []
        for series, n in columns:
            k = 0 if series is None else max(0, min(m, n - i0))
            cells = series.cells_chunk(c)[:k] if series is not None and k else []
            if k < m:
                cells = cells + [","] * (m - k)
            cols.append(cells)
        rows = [f"{st},{','.join(cs)}" for st, *cs in zip(steps, *cols, strict=True)]
        yield ("\n".join(rows) + "\n").encode()


def _merged(columns: list[tuple[Series | None, int]]) -> Iterator[bytes]:
    maps: list[dict[int, str]] = []
    for series, n in columns:
        cells: dict[int, str] = {}
        if series is not None:
            for c in range((n + CHUNK - 1) // CHUNK):
                chunk = series.cells_chunk(c)
                for j in range(min(CHUNK, n - c * CHUNK)):
                    cells[series.step(c * CHUNK + j)] = chunk[j]
        maps.append(cells)
    steps = sorted(set().union(*maps))
    for b in range(0, len(steps), _ROWS_PER_BLOCK):
        rows = [
            f"{st}," + ",".join(mp.get(st, ",") for mp in maps)
            for st in steps[b : b + _ROWS_PER_BLOCK]
        ]
        yield ("\n".join(rows) + "\n").encode()

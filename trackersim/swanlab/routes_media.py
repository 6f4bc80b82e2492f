"""Media, console-log and deprecated column-listing routes (spec 3.9-3.11)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trackersim.swanlab.model import Run, iso_ms
from trackersim.swanlab.proto import HttpError, Request, Response, json_response, route
from trackersim.swanlab.render import page
from trackersim.swanlab.routes_house import columns_of, data_run

if TYPE_CHECKING:
    from trackersim.swanlab.server import SimServer

LEVELS = ("DEBUG", "INFO", "WARN", "ERROR")


# -- media ----------------------------------------------------------------------------------------
@route("POST", "/api/house/metrics/media")
def media_step(sim: SimServer, req: Request) -> Response:
    body = req.json_object()
    with sim.world.lock:
        found = []
        for col in columns_of(body):
            run = data_run(sim, col)
            media = run.media.get(str(col.get("key"))) if run is not None else None
            if run is not None and media is not None:
                found.append((run, media, media.steps()))
    all_steps = sorted({s for _, _, steps in found for s in steps})
    step = body.get("step")
    if step is None:
        step = all_steps[-1] if all_steps else 0
    metrics = []
    for run, media, steps in found:
        if step in steps:
            path, more = media.item(int(step), run.cuid)
            metrics.append({"key": media.key, "data": [path], "more": [more]})
    return json_response({"steps": all_steps, "step": step, "metrics": metrics or None})


@route("POST", "/api/house/metrics/f_media")
def media_all(sim: SimServer, req: Request) -> Response:
    body = req.json_object()
    out: list[dict[str, Any] | None] = []
    with sim.world.lock:
        for col in columns_of(body):
            run = data_run(sim, col)
            media = run.media.get(str(col.get("key"))) if run is not None else None
            if run is None or media is None:
                out.append(None)
                continue
            entries = []
            for step in media.steps():
                path, more = media.item(step, run.cuid)
                entries.append({"index": step, "data": [path], "more": [more]})
            out.append({"key": media.key, "metrics": entries})
    return json_response(out)


@route("POST", "/api/resources/presigned/get")
def resources_presigned(sim: SimServer, req: Request) -> Response:
    body = req.json_object()
    prefix = str(body.get("prefix") or "")
    paths = body.get("paths") or []
    return json_response({"urls": [sim.presign(f"res/{prefix}/{p}") for p in paths]})


# -- console logs ---------------------------------------------------------------------------------
def log_line(run: Run, epoch: int) -> dict[str, Any]:
    level = ("INFO",) * 7 + ("DEBUG", "WARN", "ERROR")
    lvl = level[epoch % 10]
    tick = epoch * run.log_every
    ts = run.created_ms + 1500 + tick * run.tick_ms
    return {
        "epoch": epoch,
        "level": lvl,
        "message": f"[{lvl.lower()}] step {run.step_base + tick}: training {run.name} 日志",
        "tag": "",
        "timestamp": iso_ms(ts),
    }


@route("GET", "/api/house/metrics/log")
def console_log(sim: SimServer, req: Request) -> Response:
    q = req.query
    opts = sim.world.options
    size = max(1, min(req.int_query("size", 1000), 1000))
    epoch = req.int_query("epoch", 0)
    level = q.get("level", "INFO").upper()
    if level not in LEVELS:
        raise HttpError(400, "BAD_REQUEST", f"level must be one of {LEVELS}")
    with sim.world.lock:
        run = data_run(sim, q)
        total = run.log_count() if run is not None else 0
    if run is None:
        return json_response({"logs": [], "count": 0})
    floor = LEVELS.index(level)
    lines = [
        ln for ln in (log_line(run, e) for e in range(total)) if LEVELS.index(ln["level"]) >= floor
    ]
    start = epoch if opts.log_epoch == "line" else epoch * size
    return json_response({"logs": lines[start : start + size], "count": len(lines)})


# -- deprecated column listing (3.11) -------------------------------------------------------------
@route("GET", "/api/experiment/{cuid}/column")
def legacy_columns(sim: SimServer, req: Request) -> Response:
    page_no, size = req.int_query("page", 1), min(req.int_query("size", 10), 100)
    with sim.world.lock:
        run = sim.world.run_map.get(req.params["cuid"])
        if run is None or run.deleted:
            raise HttpError(404, "NOT_FOUND", "experiment not found")
        data = run.data_run
        cols = [
            {
                "key": s.key,
                "name": s.key,
                "class": "SYSTEM" if s.key.startswith("__swanlab__") else "CUSTOM",
                "type": "FLOAT",
                "createdAt": s.ts0_ms,
            }
            for s in data.scalar_series()
        ] + [
            {"key": m.key, "name": m.key, "class": "CUSTOM", "type": "IMAGE", "createdAt": 0}
            for m in data.media_series()
        ]
    search = req.query.get("search", "").lower()
    cols = [c for c in cols if search in str(c["name"]).lower()]
    for field in ("type", "class"):
        if req.query.get(field):
            cols = [c for c in cols if c[field] == req.query[field]]
    return json_response(page(cols, page_no, size))

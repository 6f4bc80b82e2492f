"""Media, console-log and deprecated column-listing routes (spec 3.9-3.11)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trackersim.swanlab import console
from trackersim.swanlab.model import Run
from trackersim.swanlab.proto import HttpError, Request, Response, json_response, route
from trackersim.swanlab.render import page
from trackersim.swanlab.routes_house import columns_of, data_run
from trackersim.swanlab.series import MediaItem, MediaSeries

if TYPE_CHECKING:
    from trackersim.swanlab.server import SimServer


# -- media ----------------------------------------------------------------------------------------
def _step_entry(media: MediaSeries, step: int) -> dict[str, Any]:
    items = media.items(step)
    return {
        "data": [it.path for it in items],
        "more": [{"caption": it.caption or ""} for it in items],
    }


@route("POST", "/api/house/metrics/media")
def media_step(sim: SimServer, req: Request) -> Response:
    """One step of media for the requested keys; ``steps`` = every step with media of those
    keys; no ``step`` = the latest (spec 3.9)."""
    body = req.json_object()
    with sim.world.lock:
        found = []
        for col in columns_of(body):
            run = data_run(sim, col)
            media = run.media.get(str(col.get("key"))) if run is not None else None
            if run is not None and media is not None:
                found.append((media, set(media.steps())))
    all_steps = sorted({s for _, steps in found for s in steps})
    step = body.get("step")
    if step is None:
        step = all_steps[-1] if all_steps else 0
    metrics = [
        {"key": media.key, **_step_entry(media, int(step))}
        for media, steps in found
        if step in steps
    ]
    return json_response({"steps": all_steps, "step": step, "metrics": metrics or None})


@route("POST", "/api/house/metrics/f_media")
def media_all(sim: SimServer, req: Request) -> Response:
    """Every step of media per requested key (entries null for keys without media)."""
    body = req.json_object()
    out: list[dict[str, Any] | None] = []
    with sim.world.lock:
        for col in columns_of(body):
            run = data_run(sim, col)
            media = run.media.get(str(col.get("key"))) if run is not None else None
            if run is None or media is None or not media.steps():
                out.append(None)
                continue
            entries = [{"index": s, **_step_entry(media, s)} for s in media.steps()]
            out.append({"key": media.key, "metrics": entries})
    return json_response(out)


@route("POST", "/api/resources/presigned/get")
def resources_presigned(sim: SimServer, req: Request) -> Response:
    body = req.json_object()
    prefix = str(body.get("prefix") or "")
    paths = body.get("paths") or []
    if not isinstance(paths, list):
        raise HttpError(400, "BAD_REQUEST", "paths must be a list")
    return json_response({"urls": [sim.presign(f"res/{prefix}/{p}") for p in paths]})


def media_object(sim: SimServer, path: str) -> MediaItem | None:
    """The media item behind ``res/<projCuid>/<runCuid>/media/<key>/<step>-<idx>-<sha8>.<ext>``
    (None: no such object)."""
    parts = path.split("/", 3)
    if len(parts) < 4 or not parts[3].startswith("media/") or "/" not in parts[3][6:]:
        return None
    rest = parts[3][len("media/") :]
    key, _, name = rest.rpartition("/")
    fields = name.split("-", 2)
    if len(fields) != 3 or not fields[0].isdigit() or not fields[1].isdigit():
        return None
    step, idx = int(fields[0]), int(fields[1])
    with sim.world.lock:
        run = sim.world.run_map.get(parts[2])
        media = run.data_run.media.get(key) if run is not None else None
        if media is None or step not in media.steps() or idx >= media.count_at(step):
            return None
        item = media.item(step, idx)
    return item if item.path == parts[3] and not item.lost else None


# -- console logs ---------------------------------------------------------------------------------
def _appended_while_paging(sim: SimServer, run: Run) -> None:
    """The ``log_append_on_read`` quirk: a running run prints more while it is read."""
    n = sim.world.options.log_append_on_read
    if n > 0 and run.state == "RUNNING" and run.root is None:
        run.log_extra += n


@route("GET", "/api/house/metrics/log")
def console_log(sim: SimServer, req: Request) -> Response:
    q = req.query
    opts = sim.world.options
    size = max(1, min(req.int_query("size", 1000), 1000))
    epoch = req.int_query("epoch", 0)
    level = q.get("level", "INFO").upper()
    if level not in console.LEVELS:
        raise HttpError(400, "BAD_REQUEST", f"level must be one of {console.LEVELS}")
    if epoch < 0:
        raise HttpError(400, "BAD_REQUEST", "epoch must be >= 0")
    with sim.world.lock:
        run = data_run(sim, q)
        if run is None:
            return json_response({"logs": [], "count": 0})
        _appended_while_paging(sim, run)
        lines, total = console.page(run, epoch, size, level, opts.log_epoch == "shard")
        logs = [
            {
                "epoch": ln.epoch,
                "level": ln.level,
                "message": ln.wire_text,
                "tag": ln.tag,
                "timestamp": console.wire_time(run, ln),
            }
            for ln in lines
        ]
    return json_response({"logs": logs, "count": total})


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

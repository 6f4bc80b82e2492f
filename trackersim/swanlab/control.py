"""Loopback-only control routes: drive time, faults and options from another process.

``POST /_sim/grow|finish|delete|config|add_run|add_key|append_logs|expire_urls|tick|faults|
options|counters/reset`` take JSON bodies mirroring the Python methods (``{"run_id": ...,
"steps": ...}``, ``{"run_id", "state"}``, ``{"run_id"}``, ``{"run_id", "key", "value"}``,
``{"project", ...overrides}``, ``{"run_id", "key"}``, ``{"run_id", "lines"}``, ``{}``,
``{"seed"}``, Faults fields, option fields). ``GET /_sim/truth[?metrics=False&logs=False]``,
``/_sim/counters``, ``/_sim/info`` (world, options, fault settings and the faults injected so
far).
Datetimes in the truth are ISO strings; NaN/inf values are the strings "NaN"/"INF"/"-INF".
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from trackersim.swanlab.faults import Faults
from trackersim.swanlab.proto import HttpError, Request, Response, json_response
from trackersim.swanlab.series import json_number

if TYPE_CHECKING:
    from trackersim.swanlab.server import SimServer


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return json_number(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def dispatch(sim: SimServer, req: Request) -> Response:
    world = sim.world
    name = req.path.removeprefix("/_sim/").strip("/")
    if req.method == "GET":
        if name == "truth":
            truth = world.truth(metrics=req.flag("metrics", True), logs=req.flag("logs", True))
            return json_response(_jsonable(truth))
        if name == "counters":
            snap = sim.counters.snapshot()
            return json_response({k: {"requests": r, "bytes": b} for k, (r, b) in snap.items()})
        if name == "info":
            return json_response(
                {
                    "world": world.name,
                    "seed": world.seed,
                    "url": sim.url,
                    "username": sim.username,
                    "projects": world.projects(),
                    "options": world.options.as_dict(),
                    "faults": {k: getattr(sim.faults, k) for k in sim.faults.settings()},
                    "injected": dict(sim.faults.injected),
                }
            )
        raise HttpError(404, "NOT_FOUND", f"no control route GET /_sim/{name}")
    if req.method != "POST":
        raise HttpError(405, "METHOD_NOT_ALLOWED", "control routes take GET or POST")
    body = req.json() or {}
    if not isinstance(body, dict):
        raise HttpError(400, "BAD_REQUEST", "body must be a JSON object")
    try:
        result = _post(sim, name, body)
    except KeyError as exc:
        raise HttpError(400, "BAD_REQUEST", f"bad body for /_sim/{name}: {exc} is missing") from exc
    except TypeError as exc:
        raise HttpError(400, "BAD_REQUEST", f"bad body for /_sim/{name}: {exc}") from exc
    return json_response({"ok": True, "result": result})


def _post(sim: SimServer, name: str, body: dict[str, Any]) -> Any:
    world = sim.world
    if name == "grow":
        world.grow(body["run_id"], int(body.get("steps", 50)))
    elif name == "finish":
        world.finish(body["run_id"], body.get("state", "FINISHED"))
    elif name == "delete":
        world.delete_run(body["run_id"])
    elif name == "config":
        world.set_config(body["run_id"], body["key"], body.get("value"))
    elif name == "add_run":
        overrides = {k: v for k, v in body.items() if k != "project"}
        return world.add_run(body["project"], **overrides)
    elif name == "add_key":
        world.add_key(body["run_id"], body["key"])
    elif name == "append_logs":
        world.append_logs(body["run_id"], int(body.get("lines", 10)))
    elif name == "expire_urls":
        sim.expire_urls()
    elif name == "tick":
        return world.tick(int(body.get("seed", 0)))
    elif name == "faults":
        sim.faults = Faults.from_dict(body)
    elif name == "options":
        world.options.update(body)
    elif name == "counters/reset":
        sim.counters.reset()
    else:
        raise HttpError(404, "NOT_FOUND", f"no control route POST /_sim/{name}")
    return None

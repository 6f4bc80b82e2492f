"""Loopback-only control routes: drive time, faults and options from another process.

``GET /_sim/truth[?history=0]``, ``/_sim/counters``, ``/_sim/info``.
``POST /_sim/<move>`` with a JSON body mirroring the World method of the same name:

======================  ===============================================================
grow                    ``{"run_id", "steps"}``
heartbeat               ``{"run_id"}``
finish                  ``{"run_id", "state"}``
set_state               ``{"run_id", "state"}``
export                  ``{"run_id"}``
set_config              ``{"run_id", "key", "value"}``
set_tags                ``{"run_id", "tags"}``
set_summary             ``{"run_id", "key", "value"}``
delete_run              ``{"run_id"}``
add_run                 ``{"project", ...run fields}`` -> ``{"result": run_id}``
add_key                 ``{"run_id", "key", "kind", "every"}``
tick                    ``{"seed"}`` -> ``{"result": [what happened]}``
faults                  Faults fields (``{}`` clears every fault)
options                 WorldOptions fields
counters/reset          ``{}``
======================  ===============================================================

In the truth, datetimes are ISO strings and non-finite floats are ``{"__float__": "nan" |
"inf" | "-inf"}`` (so they cannot be confused with strings a run logged).
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import TYPE_CHECKING, Any

from trackersim.errors import SimConfigError
from trackersim.wandb.endpoint import Reply, errors_reply, json_reply
from trackersim.wandb.faults import Faults

if TYPE_CHECKING:
    from trackersim.wandb.server import SimServer

MOVES = {
    "grow": ("run_id", "steps"),
    "heartbeat": ("run_id",),
    "finish": ("run_id", "state"),
    "set_state": ("run_id", "state"),
    "export": ("run_id",),
    "set_config": ("run_id", "key", "value"),
    "set_tags": ("run_id", "tags"),
    "set_summary": ("run_id", "key", "value"),
    "delete_run": ("run_id",),
    "add_key": ("run_id", "key", "kind", "every"),
    "tick": ("seed",),
}


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return {"__float__": "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")}
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def dispatch(sim: SimServer, method: str, path: str, query: dict[str, str], body: bytes) -> Reply:
    world = sim.world
    name = path.removeprefix("/_sim/").strip("/")
    if method == "GET":
        if name == "truth":
            history = query.get("history", "1").lower() not in ("0", "false", "no")
            return json_reply(jsonable(world.truth(history=history)))
        if name == "counters":
            snap = sim.counters.snapshot()
            return json_reply({k: {"requests": r, "bytes": b} for k, (r, b) in snap.items()})
        if name == "info":
            return json_reply(
                {
                    "world": world.name,
                    "seed": world.seed,
                    "url": sim.url,
                    "username": sim.username,
                    "projects": world.projects(),
                    "options": world.options.as_dict(),
                }
            )
        return errors_reply(404, f"no control route GET /_sim/{name}")
    if method != "POST":
        return errors_reply(405, "control routes take GET or POST")
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        return errors_reply(400, "body must be JSON")
    if not isinstance(data, dict):
        return errors_reply(400, "body must be a JSON object")
    try:
        result = _post(sim, name, data)
    except (KeyError, TypeError) as exc:
        return errors_reply(400, f"bad body for /_sim/{name}: {exc}")
    if result is _NO_ROUTE:
        return errors_reply(404, f"no control route POST /_sim/{name}")
    return json_reply({"ok": True, "result": result})


_NO_ROUTE = object()


def _post(sim: SimServer, name: str, data: dict[str, Any]) -> Any:
    world = sim.world
    if name in MOVES:
        unknown = set(data) - set(MOVES[name])
        if unknown:
            raise SimConfigError(f"unknown fields {sorted(unknown)} for /_sim/{name}")
        args = {
            ("ref" if k == "run_id" else ("rng_seed" if k == "seed" else k)): v
            for k, v in data.items()
        }
        return getattr(world, name)(**args)
    if name == "add_run":
        fields = {k: v for k, v in data.items() if k != "project"}
        return world.add_run(data["project"], **fields)
    if name == "faults":
        sim.faults = Faults.from_dict(data)
        return None
    if name == "options":
        world.options.update(data)
        return None
    if name == "counters/reset":
        sim.counters.reset()
        return None
    return _NO_ROUTE

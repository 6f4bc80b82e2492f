"""A simulated SwanLab cloud speaking the OpenAPI wire protocol. "spec 3.4" and "U9" below cite
the sections and open uncertainties of ``docs/protocols/swanlab-openapi.md``.

Use in-process::

    from trackersim.swanlab import SimServer, build_world, Faults
    world = build_world("small", seed=0)          # "demo" | "small" | "bench"
    with SimServer(world, port=0) as sim:        # 127.0.0.1, free port, daemon thread
        sim.url, sim.api_key, sim.username, sim.counters
        sim.faults = Faults(rate_429=0.1, seed=1)
        world.grow(run_id, steps=50); world.finish(run_id); world.truth()

or as a process: ``python -m trackersim.swanlab serve --world small --port 0`` prints
``READY <url> <api_key>`` and serves until SIGTERM/SIGINT; ``/_sim/...`` control routes
(loopback only, see :mod:`trackersim.swanlab.control`) drive it from another process.

World options (``build_world(..., option=value)`` or ``world.options.update({...})``), for the
uncertainties of spec section 11 and for tests:

==========================  =========  ==========================================================
option                      default    meaning
==========================  =========  ==========================================================
list_profile                "config"   profile in ``GET .../runs`` items: "config" | "full" | "none"
shows_profile               "none"     profile in ``POST .../runs/shows`` items (U8)
run_project_id              True       run objects carry ``project_id`` (3.1)
path_style                  "plain"    project ``path``: "ws/p" | "/ws/p" ("slash") | "@ws/p" (U5)
run_updated_at              True       run objects carry ``updatedAt`` (U7)
summary_shape               "legacy"   summaries: ``min``/``max`` as ``{index,data}`` ("legacy") or
                                       plain numbers + ``minMax``/``avg``/``median``/
                                       ``stdDev`` (U10)
login_status                200        status of a good login: 200 or 201 (U1)
accept_key_header           False      data routes also accept ``authorization: <key>`` (U3)
strict_page_size            False      400 for page sizes outside the SDK whitelist (U4)
log_epoch                   "line"     log ``epoch`` = line offset ("line") or shard index (U11)
project_updated_on_metrics  False      ``grow()`` bumps the project's ``updatedAt`` (U6)
clone_strict                True       a clone's own ids hold no metric data; only
                                       ``rootExpId`` finds it (U14)
require_created_at          True       ``/house`` calls without ``createdAt`` -> 400
legacy_csv_relative         True       ``/experiment/{id}/column/csv`` returns a relative URL
presign_ttl_s               600        lifetime of presigned URLs (negative = already expired)
keys_limit_max              2000       server cap on a key-listing page
==========================  =========  ==========================================================

Fixed choices: the paged run list is ordered newest first (createdAt DESC); the project list
defaults to recently updated first; ``expiredAt`` is 2099-12-31T23:59:59.000Z; summaries and
stats ignore NaN for min/max (±inf count, ties keep the lowest step); sampled scalars keep
NaN/inf as "NaN"/"INF"/"-INF"; CSV cells write NaN as ``NaN`` and infinities as ``inf``/``-inf``;
unknown routes answer 404 ``{"code": "NOT_FOUND", ...}`` and every answer has a ``traceid``
header; write routes answer 403.
"""

from trackersim.swanlab.faults import Faults
from trackersim.swanlab.generate import PRESETS, build_world
from trackersim.swanlab.options import WorldOptions
from trackersim.swanlab.serve import serve
from trackersim.swanlab.server import SimServer
from trackersim.swanlab.world import World

__all__ = [
    "PRESETS",
    "Faults",
    "SimServer",
    "World",
    "WorldOptions",
    "build_world",
    "serve",
]

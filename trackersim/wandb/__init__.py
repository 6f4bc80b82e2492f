"""A simulated W&B server speaking the GraphQL read protocol of ``wandb.Api``
(spec wandb-public-api.md, sections 4, 6 and 7).

Use in-process::

    from trackersim.wandb import SimServer, build_world, Faults
    world = build_world("small", seed=0)         # "demo" | "small" | "bench"
    with SimServer(world, port=0) as sim:       # 127.0.0.1, free port, daemon thread
        sim.url, sim.api_key, sim.counters     # wandb.Api(api_key=..., overrides={"base_url": url})
        sim.faults = Faults(rate_429=0.1, seed=1)
        world.grow(run_id, steps=50); world.finish(run_id, "crashed"); world.truth()

or as a process: ``python -m trackersim.wandb serve --world small --port 0`` prints
``READY <url> <api_key>`` and serves until SIGTERM/SIGINT; ``/_sim/...`` control routes
(loopback only, see :mod:`trackersim.wandb.control`) drive it from another process.

The server is a real (small) GraphQL server: it parses the document, validates it against the
schema slice in :mod:`trackersim.wandb.schema` (unknown fields, arguments, fragments and
variables are errors, as on the real server) and answers only the fields asked for. Operations
are named from the query text (``operationName`` is mostly empty) for counters and faults only.
What it serves is documented where it lives: credentials and errors in ``endpoint``, filters,
order and cursors in ``filters``, history reads in ``runs``, parquet URLs in ``files``, run files
(``output.log``, media) in ``runfiles`` and ``console``, faults in ``faults``, the truth in
``truth``.

World options (``build_world(..., option=value)`` or ``world.options.update({...})``):

=====================  ==========  ======================================================
option                 default     meaning
=====================  ==========  ======================================================
history_nonfinite      "bare"      NaN/±inf inside history/events row strings: bare tokens
                                   ``NaN``/``Infinity``/``-Infinity``, "string" or "null"
sampled_nonfinite      "string"    the same inside sampledHistory/liveData objects; "bare"
                                   puts tokens in the envelope, which the SDK cannot parse
summary_nonfinite      "bare"      the same inside the config/summaryMetrics/systemMetrics
                                   JSON strings
sampled_rows           "all_keys"  sampledHistory rows: those with every key, or "any_key"
cursor_style           "offset"    Relay cursors: positions (pages shift when runs come and
                                   go), or "keyset" (the last row's sort value and id)
time_format            "naive"     ``2025-01-01T03:00:00`` (UTC, no zone) or "zulu" (``Z``)
max_page_size          1000        ``first`` above this is clamped
default_samples        500         history/events/sampledHistory samples when not given
parquet_export         False       parquetHistory offers exported files (finished runs
                                   are exported when they finish; ``world.export(run)``)
parquet_rows_per_file  1000        rows per exported file
presign_ttl_s          600         lifetime of signed parquet URLs (negative = expired)
run_updated_at         False       Run has ``updatedAt`` (unverified on the real server)
unknown_entity         "empty"     ``models`` of an unknown entity: no projects, or "error"
runs_added_per_page    0           each Runs page served mid-listing adds runs
runs_deleted_per_page  0           ... deletes that many of the runs it just listed
console_quirks         True        output.log bytes are hostile: CRLF, bytes that are not
                                   UTF-8, a 1 MiB line, a half-written last line (console.py)
media_missing          True        every 4th image file is listed but gone: 404 (console.py)
=====================  ==========  ======================================================

Fixed choices: run ids are 8 characters ``[a-z0-9]``; projects list oldest first; runs default
to ``+created_at``; a history row exists only at steps where some key was logged; the summary is
each key's last logged value plus ``_step``/``_runtime``/``_timestamp``/``_wandb.runtime``,
with edits (``set_summary``) on top; edits of config, tags and summary do not move
``heartbeatAt``; sampling keeps evenly spaced rows including the first and the last.
"""

from trackersim.wandb.faults import Faults
from trackersim.wandb.generate import PRESETS, build_world
from trackersim.wandb.options import WorldOptions
from trackersim.wandb.serve import serve
from trackersim.wandb.server import SimServer
from trackersim.wandb.world import World

__all__ = [
    "PRESETS",
    "Faults",
    "SimServer",
    "World",
    "WorldOptions",
    "build_world",
    "serve",
]

"""A simulated SwanLab cloud speaking the OpenAPI wire protocol. "spec 3.4" and "U9" below cite
the sections and open uncertainties of ``docs/protocols/swanlab-openapi.md``.

Use in-process::

    from trackersim.swanlab import SimServer, build_world, Faults
    world = build_world("small", seed=0)          # "demo" | "small" (hostile) | "bench"
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
log_epoch                   "shard"    the log request's ``epoch`` = 1,000-line page index
                                       ("shard", as the SDK calls it) or line offset ("line")
                                       (U11); each line's ``epoch`` is its counter, from 1
log_append_on_read          0          a RUNNING run prints this many lines each time its
                                       console is read (3 in hostile worlds)
project_updated_on_metrics  False      ``grow()`` bumps the project's ``updatedAt`` (U6)
clone_strict                True       a clone's own ids hold no metric data; only
                                       ``rootExpId`` finds it (U14)
require_created_at          True       ``/house`` calls without ``createdAt`` -> 400
legacy_csv_relative         True       ``/experiment/{id}/column/csv`` returns a relative URL
presign_ttl_s               600        lifetime of presigned URLs (negative = already expired)
keys_limit_max              2000       server cap on a key-listing page
csv_quoting                 "minimal"  export CSV quoting by :mod:`csv`: "minimal" | "all" (every
                                       field, ``""`` for empty cells) | "mixed" (per export)
csv_crlf                    False      export rows end with CRLF
csv_bom                     False      export starts with a UTF-8 byte order mark
csv_number_spellings        False      value cells in every spelling of the same double (``1e-05``
                                       ``1E-5`` ``0.000010000000000000001``, ``-0`` ``-0E0``,
                                       ``NaN`` ``nan``, ``Infinity`` ``inf`` ``INF`` ...)
csv_float_timestamps        False      ms timestamps sometimes floats (``1735689601500.0``,
                                       ``1.7356896015E12``, ``1735689601.500e3``)
json_number_spellings       False      JSON floats as ``1E5``, ``1e-5``, ``-0.0e+00``, ``2E0``
                                       (never as an integer: ``2`` would be other data)
json_escapes                False      some JSON strings ``\\u``-escaped (emoji as surrogate
                                       pairs) and with ``\\/``
==========================  =========  ==========================================================

Consoles and media (issue 16; :mod:`trackersim.swanlab.console`, ``MediaSeries``): consoles are
formulas (every level, multi-byte text, invalid UTF-8 sent raw in JSON, a 1.5 MB line in the
hostile project, gaps in counters and a fixed huge line count on demand: ``build_world("bench",
log_lines=10_737_418)`` is a 1 GiB console generated lazily), paged 1,000 lines at a time and
exported as ``<timestamp> <LEVEL> <message>`` rows (U16); media of every kind SwanLab logs
(image, audio, video as GIF, text, html, echarts JSON, object3d, molecule), several items per
step with captions, one key whose bytes repeat at every step, one item whose file is gone
(404), downloads looked up by their storage path. ``world.append_logs(run, n)``;
``sim.expire_urls()`` expires every URL handed out so far. The truth has ``logs`` and ``media``.

Hostile worlds (``build_world(..., hostile=True)``; the default for ``small``, not for ``demo``,
which ``make demo`` shows to people, nor ``bench``, which measures the plain formats) switch on
every ``csv_*``/``json_*`` option above and add the project ``alice/hostile.v2+x_-``
(:mod:`trackersim.swanlab.hostile`): run names and metric keys with ``,`` ``"`` ``'`` newline,
CR, tab, ``;``, leading/trailing spaces, ``/``, ``%``, ``\\``, unicode and emoji, 255+
characters, case-only twins, number-like and ``step``-like texts; labels, cluster, job,
descriptions and config keys with the same; values ``-0.0``, ``5e-324``, ``1e308``, ``2**53``,
NaN and the infinities. Any single quirk is switched off by passing its option
(``build_world("small", csv_bom=False)``). The truth stays exact: real names, real values, NaN as
NaN, -0.0 as -0.0.

Faults (``sim.faults = Faults(...)`` or ``Faults.hostile(rate=0.2, seed=1)``, see
:mod:`trackersim.swanlab.faults`) are drawn per request from (seed, request fingerprint,
attempt), per route class (``login``, ``json``, ``download``; ``classes`` overrides rates per
class). Kinds: ``reset`` (dropped before answering), ``429``, ``5xx``, ``reset_headers`` (TCP RST
right after the headers), ``reset_body`` (RST mid-body), ``truncate_chunked`` (no final chunk),
``truncate_length`` (fewer bytes than Content-Length), ``html_200`` (a 200 HTML page from a
WAF), ``html_502`` (nginx's 502 page), ``expired`` (downloads: 403 "Request has expired"; that
URL stays expired, only a fresh presign helps), ``drip`` (the right answer, slowly); and
``rate_page_shift``: a run is created at the head of a project before page >= 2 of its run list
is computed, so that page repeats an item. ``fail_runs`` fails one run for good.

What the real SDK (swanlab 0.10.3) makes of hostile worlds (pinned by tests/contract): it skips
the export header as one *physical* line, so a run name holding a newline leaks the rest of the
header into its data rows (the run ``"grid\\n1,2,3"`` gets an invented point: step 1, value 2.0,
no timestamp); and it reads timestamps with ``int()``, so a timestamp written as a float is
silently dropped. Under download faults it never retries a CSV download nor asks for a fresh
link: a reset, a truncated body or an expired URL loses the export batch (logged), and a 200 HTML
page is read as an empty CSV, losing the batch without a word. Its consoles (pinned by
tests/contract/test_sdk_console.py): ``run.logs()`` asks for level INFO, a minimum, so DEBUG
lines never arrive; a line of any length arrives whole; a ``\\udcXX`` escape is handed out as
a lone surrogate.

Fixed choices: the paged run list is ordered newest first (createdAt DESC); the project list
defaults to recently updated first; ``expiredAt`` is 2099-12-31T23:59:59.000Z; summaries and
stats ignore NaN for min/max (±inf count, ties keep the lowest step); sampled scalars keep
NaN/inf as "NaN"/"INF"/"-INF"; plain CSV cells write NaN as ``NaN`` and infinities as
``inf``/``-inf``; export object keys are reproducible (a digest of the request and a count);
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

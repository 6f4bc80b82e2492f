"""Where console exports beat console pages (issue 16), to choose ``EXPORT_MIN_LINES`` in
``swansync/sources/swanlab/cloud/logs.py``.

A page is one request per 1,000 lines; an export is four requests for up to 500,000 (the page
at the range's end, the export, its link, the streamed file). Measured against the simulator
(this process) with a simulated round trip added to every request, for consoles of several
sizes read whole, by pages only and by export (after the first page, as the reader does).

    .venv/bin/python -m bench.log_crossover [--rtt-ms 0 50] [--lines 2000 5000 ...]
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from swansync.sources.swanlab.cloud import logs as cloud_logs
from swansync.sources.swanlab.cloud.source import SwanLabSource
from trackersim.swanlab import Faults, SimServer, build_world

PAGES_ONLY = 10**12


def read_once(sim: SimServer, src: SwanLabSource, run_id: str, export_min: int) -> dict[str, Any]:
    (proj,) = src.resolve("alice/bench")
    run = next(r for r in src.list_runs(proj) if isinstance(r, dict) and r["run_id"] == run_id)
    reader = cloud_logs.ConsoleReader(
        src.client,
        src._ref(proj, run),
        proj["project"],
        run,
        lambda _seq, _problems: None,
        export_min=export_min,
    )
    before = sim.counters.requests()
    started = time.perf_counter()
    n = sum(1 for _ in reader.lines(None))
    return {
        "lines": n,
        "seconds": round(time.perf_counter() - started, 3),
        "requests": sim.counters.requests() - before,
    }


def measure(sizes: list[int], rtts: list[float]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for lines in sizes:
        world = build_world("bench", runs=0, keys=1, steps=5, log_lines=lines, log_width=100)
        run_id = world.runs()[0]
        with SimServer(world, port=0) as sim:
            src = SwanLabSource(sim.url, sim.api_key)
            for rtt in rtts:
                sim.faults = Faults(slow_ms=int(rtt), rate_slow=1.0)
                pages = read_once(sim, src, run_id, PAGES_ONLY)
                export = read_once(sim, src, run_id, 0)
                assert pages["lines"] == export["lines"] == lines
                out.append({"lines": lines, "rtt_ms": rtt, "pages": pages, "export": export})
                print(json.dumps(out[-1]), flush=True)
            src.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rtt-ms", type=float, nargs="+", default=[0.0, 50.0])
    parser.add_argument(
        "--lines", type=int, nargs="+", default=[2_000, 5_000, 10_000, 20_000, 50_000]
    )
    args = parser.parse_args()
    measure(args.lines, args.rtt_ms)


if __name__ == "__main__":
    main()

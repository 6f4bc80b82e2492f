"""Measure publish_snapshot on a big warehouse.

``python tests/schedule/measure_publish.py [POINTS]``

Builds a warehouse with POINTS metric rows (default 10 M: 200 runs x 20 keys x 2,500 steps, the
bench world's size) in a temporary folder, publishes the serving copy twice and prints timings,
file sizes and peak RSS as JSON.
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from swansync.warehouse import Warehouse
from swansync.warehouse.snapshot import publish_snapshot


def build(path: Path, points: int) -> None:
    runs, keys = 200, 20
    steps = max(1, points // (runs * keys))
    with Warehouse(path) as wh:
        wh.migrate()
        wh.execute(
            "INSERT INTO _swansync.series SELECT 'sim', 'team/proj', 'run' || r, 'key' || k, "
            f"r * {keys} + k + 1, 'SCALAR', 'CUSTOM', TRUE, {steps - 1}, {steps}, now() "
            f"FROM range({runs}) a(r), range({keys}) b(k)"
        )
        wh.execute(
            f"INSERT INTO _swansync.points SELECT r * {keys} + k + 1, s, sin(r + k + s), "
            "TIMESTAMPTZ '2026-01-01' + to_seconds(s) "
            f"FROM range({runs}) a(r), range({keys}) b(k), range({steps}) c(s)"
        )
        wh.execute("CHECKPOINT")


def main() -> None:
    points = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    with tempfile.TemporaryDirectory() as d:
        wh_path, dest = Path(d) / "wh.duckdb", Path(d) / "serving.duckdb"
        t0 = time.perf_counter()
        build(wh_path, points)
        build_s = time.perf_counter() - t0
        timings = []
        with Warehouse(wh_path) as wh:
            for _ in range(2):
                t0 = time.perf_counter()
                publish_snapshot(wh.con, dest)
                timings.append(round(time.perf_counter() - t0, 2))
        result = {
            "points": points,
            "build_s": round(build_s, 2),
            "publish_s": timings,
            "warehouse_mb": round(wh_path.stat().st_size / 1e6, 1),
            "serving_mb": round(dest.stat().st_size / 1e6, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
        sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()

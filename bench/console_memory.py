"""A huge console pulled with bounded memory (issue 16): the simulated cloud (this process)
serves one run whose console has ``--lines`` lines of about ``--width`` bytes (the default is
1 GiB: 10,737,418 x 100 bytes, generated lazily), and ``swansync pull`` runs as a measured child
process (peak RSS is the child's own ``VmHWM``, see :mod:`bench.proc`).

    .venv/bin/python -m bench.console_memory [--lines N] [--width B] [--workers W] [--out F]

Checks that every line landed once (count, distinct seq, max seq) and prints wall time, peak
RSS, requests per route and throughput. A second pull of the finished run must ask nothing.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

import duckdb

from bench.pull import run_pull
from trackersim.swanlab import SimServer, build_world


def measure(lines: int, width: int, workers: int, workdir: Path) -> dict[str, Any]:
    world = build_world("bench", runs=0, keys=1, steps=10, log_lines=lines, log_width=width)
    db = workdir / "console.duckdb"
    with SimServer(world, port=0) as sim:
        first = run_pull(sim, db, workdir, "first", workers=workers)
        second = run_pull(sim, db, workdir, "second", workers=workers)
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute(
            "SELECT count(*), count(DISTINCT seq), max(seq), sum(strlen(text)) FROM logs"
        ).fetchone()
    finally:
        con.close()
    assert row is not None
    count, distinct, max_seq, text_bytes = row
    mib = (text_bytes or 0) / (1 << 20)
    return {
        "lines": lines,
        "width": width,
        "workers": workers,
        "stored_lines": count,
        "distinct_seq": distinct,
        "max_seq": max_seq,
        "text_mib": round(mib, 1),
        "exact": count == distinct == max_seq == lines,
        "first": _slim(first, mib),
        "second_requests": second["server_routes"],
    }


def _slim(result: dict[str, Any], mib: float) -> dict[str, Any]:
    return {
        "wall_s": round(result["wall_s"], 1),
        "peak_rss_mb": round(result["peak_rss_mb"], 1),
        "cpu_user_s": round(result["cpu_user_s"], 1),
        "sim_cpu_s": round(result["sim_cpu_s"], 1),
        "mib_per_s": round(mib / result["wall_s"], 1) if result["wall_s"] else None,
        "routes": {k: v["requests"] for k, v in result["server_routes"].items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=(1 << 30) // 100)
    parser.add_argument("--width", type=int, default=100)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="swansync-console-") as tmp:
        result = measure(args.lines, args.width, args.workers, Path(tmp))
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

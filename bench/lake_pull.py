"""Whole pulls into a DuckLake lake with 1, 2 and 4 concurrent workers on disjoint parts of a
world, against one pull into a warehouse file (issue 13's benchmark, first cut).

``.venv-lake/bin/python -m bench.lake_pull [--world small] [--workers 1,2,4]``: starts its own
PostgreSQL (fsync on) and simulated SwanLab cloud; each worker is a ``swansync pull`` process
of every N-th project (``--workers 2`` inside each, as a user would run it). Per run: wall time,
commits redone after a conflict (counted from the workers' logs), Parquet data files before and
after ``swansync lake maintain``. Prints a table; writes ``bench/results/lake-pull-<time>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from swansync.warehouse.lake import LakeWarehouse
from swansync.warehouse.lake.maintain import maintain
from tests.lake.servers import start_postgres
from trackersim.swanlab import SimServer, build_world

HERE = Path(__file__).resolve().parent


def _pull(sim: Any, db: str, projects: list[str], extra: list[str], env: dict[str, str]) -> Any:
    cmd = [sys.executable, "-m", "swansync", "-v", "pull", "--host", sim.url, "--db", db]
    cmd += ["--source-name", "sim", "--workers", "2", "--json", *extra]
    for p in projects:
        cmd += ["--project", p]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait(procs: list[Any]) -> int:
    """Wait for every worker; returns the commits they redone."""
    redone = 0
    for proc in procs:
        _, err = proc.communicate(timeout=3600)
        text = err.decode(errors="replace")
        if proc.returncode != 0:
            raise SystemExit(f"a worker failed ({proc.returncode}): {text[-2000:]}")
        redone += text.count("commit conflicted")
    return redone


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--world", default="small")
    parser.add_argument("--workers", default="1,2,4")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    results: list[dict[str, Any]] = []
    pg = start_postgres(fsync=True)
    try:
        env = {k: v for k, v in pg.env().items() if not k.startswith(("SWANLAB_", "SWANSYNC_"))}
        for n in [0, *counts]:  # 0: the file warehouse
            world = build_world(args.world, seed=0)
            with SimServer(world, port=0) as sim, tempfile.TemporaryDirectory() as tmp:
                env["SWANLAB_API_KEY"] = sim.api_key
                projects = sorted(world.projects())
                t0 = time.perf_counter()
                if n == 0:
                    _wait([_pull(sim, str(Path(tmp) / "w.duckdb"), projects, [], env)])
                    results.append({"warehouse": "file", "workers": 1, "seconds": 0.0})
                else:
                    name = pg.create_database(f"bench{n}")
                    uri = "ducklake:postgres:" + pg.dsn(name)
                    extra = ["--data-path", tmp]
                    parts = [projects[i::n] for i in range(n)]
                    redone = _wait([_pull(sim, uri, part, extra, env) for part in parts])
                    results.append({"warehouse": "lake", "workers": n, "redone": redone})
                results[-1]["seconds"] = round(time.perf_counter() - t0, 1)
                if n:
                    os.environ["PGPASSWORD"] = pg.password
                    with LakeWarehouse(uri) as wh:
                        done = maintain(wh, keep=timedelta(0), orphan_age=timedelta(0))
                    results[-1]["files_before"] = done.files_before
                    results[-1]["files_after"] = done.files_after
            print(json.dumps(results[-1]), flush=True)
    finally:
        pg.stop()
    out = HERE / "results" / f"lake-pull-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"world": args.world, "results": results}, indent=2) + "\n")
    print("| warehouse | workers | wall s | commits redone | files | after maintain |")
    print("|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['warehouse']} | {r['workers']} | {r['seconds']} | {r.get('redone', '-')} "
            f"| {r.get('files_before', '-')} | {r.get('files_after', '-')} |"
        )


if __name__ == "__main__":
    main()

"""Baseline (a): a straightforward mirror script written the way the SwanLab SDK docs show.

Runs in the SDK's own venv (``swanlab==0.10.3``; built by tests/contract/sdk_env.py) and
imports nothing from swansync. For each run of the project (``Api.runs``), list its scalar
keys (``run.series``), read every full series (``run.metrics(keys, all=True)``) and append the
points to a CSV file, one run after another, like a user's script would.

    SWANLAB_API_KEY=... python sdk_mirror.py --host URL --project ws/p --out points.csv
        --result result.json [--max-runs N]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", required=True)
    parser.add_argument("--project", required=True)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--result", required=True, type=Path)
    parser.add_argument("--max-runs", type=int, default=0, help="0 = every run")
    args = parser.parse_args(argv)

    import swanlab  # type: ignore[import-not-found]

    started = time.perf_counter()
    api = swanlab.Api(api_key=os.environ["SWANLAB_API_KEY"], host=args.host)
    runs = points = 0
    per_run: list[float] = []
    with args.out.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["run_id", "key", "step", "value", "timestamp"])
        for run in api.runs(args.project):
            if args.max_runs and runs >= args.max_runs:
                break
            t0 = time.perf_counter()
            keys = list(run.series(metric_type="SCALAR", metric_class="CUSTOM").json()["keys"])
            if keys:
                result = run.metrics(keys=keys, all=True)
                for item in result.get("list", []):
                    key = item.get("key", "")
                    for p in item.get("metrics", []):
                        writer.writerow(
                            [run.run_id, key, p.get("step"), p.get("value"), p.get("timestamp")]
                        )
                        points += 1
            runs += 1
            per_run.append(time.perf_counter() - t0)
    result = {
        "sdk_version": swanlab.__version__,
        "wall_s": time.perf_counter() - started,
        "runs": runs,
        "points": points,
        "per_run_s": per_run,
    }
    args.result.write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

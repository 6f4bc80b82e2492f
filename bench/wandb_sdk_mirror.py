"""Baseline: the mirror script a W&B user writes with the real SDK (``wandb.Api``).

Runs in the SDK's own venv (``wandb==0.31.0``; built by tests/contract_wandb/sdk_env.py) and
imports nothing from swansync. For every run of the projects (``api.runs``), read the whole
history with ``run.scan_history()`` (the SDK's full-resolution path) and write one long row per
(run, key, step) number to a CSV file, which the bench then loads into DuckDB (the SDK venv has
no DuckDB; the load is timed apart and added).

    WANDB_API_KEY=... python wandb_sdk_mirror.py --base-url URL --project e/p [--project ...]
        --out points.csv --result result.json
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--project", action="append", required=True)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--result", required=True, type=Path)
    args = parser.parse_args(argv)

    import wandb  # type: ignore[import-not-found]

    started = time.perf_counter()
    api = wandb.Api(api_key=os.environ["WANDB_API_KEY"], overrides={"base_url": args.base_url})
    runs = points = 0
    with args.out.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["run_id", "key", "step", "value", "ts_ms"])
        for path in args.project:
            for run in api.runs(path, per_page=100):
                runs += 1
                for row in run.scan_history():
                    step, ts = row.get("_step"), row.get("_timestamp")
                    for key, value in row.items():
                        if key.startswith("_") or isinstance(value, bool):
                            continue
                        if isinstance(value, int | float):
                            ms = round(ts * 1000) if isinstance(ts, int | float) else ""
                            shown = repr(float(value)) if math.isfinite(value) else str(value)
                            writer.writerow([run.id, key, step, shown, ms])
                            points += 1
    args.result.write_text(
        json.dumps({"runs": runs, "points": points, "wall_s": time.perf_counter() - started})
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

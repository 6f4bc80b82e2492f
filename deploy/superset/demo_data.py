"""Publish a demo serving copy for `make bi`: `python demo_data.py OUT_DIR` prints its path.

Run with the project's python (.venv/bin/python): it drives the swansync CLI only. It starts the
simulated SwanLab cloud (`swansync sim serve --world demo`), adds three runs that differ only in
their seed (so the Seeds dashboard has a group to show), pulls everything with a config that sets
`serving`, and stops the simulator. Exit 1 with one line when a step fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

SEEDED_PROJECT = "alice/mnist-classifier"


def post(url: str, route: str, body: dict[str, object]) -> None:
    req = urllib.request.Request(
        f"{url}/_sim/{route}", json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        resp.read()


def main(out: Path) -> int:
    swansync = Path(sys.executable).with_name("swansync")
    out.mkdir(parents=True, exist_ok=True)
    sim = subprocess.Popen(
        [str(swansync), "sim", "serve", "--world", "demo", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert sim.stdout is not None
        line = sim.stdout.readline().split()
        if len(line) != 3 or line[0] != "READY":
            print(f"demo_data: the simulator did not start ({' '.join(line)!r})", file=sys.stderr)
            return 1
        url, key = line[1], line[2]
        for seed in (1, 2, 3):
            post(url, "add_run", {
                "project": SEEDED_PROJECT, "name": f"mnist-seed{seed}", "state": "FINISHED",
                "ticks": 60, "keys": ["train/loss", "val/loss", "val/acc"],
                "config": {"optimizer": {"lr": 0.001}, "batch_size": 64, "seed": seed},
            })  # fmt: skip
        with urllib.request.urlopen(f"{url}/_sim/info", timeout=30) as resp:
            projects = json.load(resp)["projects"]
        config = out / "swansync.toml"
        config.write_text(
            f'db = "{out / "demo.duckdb"}"\nserving = "{out / "serving.duckdb"}"\n'
            f'host = "{url}"\nprojects = {json.dumps(projects)}\n',
            encoding="utf-8",
        )
        env = {**os.environ, "SWANLAB_API_KEY": key}
        pull = subprocess.run(
            [str(swansync), "pull", "--config", str(config)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if pull.returncode != 0:
            last = (pull.stderr.strip().splitlines() or ["no output"])[-1]
            print(f"demo_data: swansync pull failed: {last}", file=sys.stderr)
            return 1
    finally:
        sim.terminate()
        sim.wait(timeout=30)
    print(out / "serving.duckdb")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else Path(".bi").resolve()))

"""One ``python -m swansync pull --json`` in a subprocess against the simulator, measured."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from bench.proc import run_measured
from bench.world import PROJECT
from trackersim.swanlab import SimServer

REPO = Path(__file__).resolve().parents[1]


def child_env(workdir: Path, api_key: str) -> dict[str, str]:
    """The environment of a child: no inherited SWANLAB_*/SWANSYNC_* settings, a private HOME
    (so no real ``swanlab login`` file is read), the key in SWANLAB_API_KEY (never argv)."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(("SWANLAB", "SWANSYNC"))}
    env.update({"HOME": str(workdir), "SWANLAB_API_KEY": api_key, "PYTHONPATH": str(REPO)})
    return env


def route_cpu(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """CPU seconds the simulator spent per route between two ``cpu_snapshot()``s."""
    out = {r: round(s - before.get(r, 0.0), 3) for r, s in after.items()}
    return {r: s for r, s in sorted(out.items(), key=lambda kv: -kv[1]) if s > 0}


def run_pull(
    sim: SimServer,
    db: Path,
    workdir: Path,
    name: str,
    *,
    workers: int,
    extra: tuple[str, ...] = (),
    python: str = sys.executable,
) -> dict[str, Any]:
    """Pull ``PROJECT`` from ``sim`` into ``db``; wall time, peak RSS, CPU, the pull's own JSON
    summary, and the simulator's count of requests and bytes it served for this pull."""
    cmd = [
        python,
        *("-m", "swansync", "pull", "--project", PROJECT, "--db", str(db)),
        *("--host", sim.url, "--workers", str(workers), "--json", *extra),
    ]
    before = sim.counters.snapshot()
    cpu_before = sim.counters.cpu_snapshot()
    cpu0 = os.times()
    res = run_measured(
        cmd,
        env=child_env(workdir, sim.api_key),
        cwd=workdir,
        workdir=workdir,
        name=name,
        secrets=(sim.api_key,),
    )
    cpu1 = os.times()
    after = sim.counters.snapshot()
    sim_routes_cpu = route_cpu(cpu_before, sim.counters.cpu_snapshot())
    if res.returncode != 0:
        raise RuntimeError(
            f"pull {name!r} exited {res.returncode}:\n{res.stdout[-2000:]}\n{res.stderr[-3000:]}"
        )
    try:
        summary = json.loads(res.stdout)
    except ValueError as e:
        raise RuntimeError(f"pull {name!r} printed no JSON summary: {res.stdout[-2000:]}") from e
    routes: dict[str, dict[str, int]] = {}
    for route, (n, nbytes) in after.items():
        n0, b0 = before.get(route, (0, 0))
        if n - n0:
            routes[route] = {"requests": n - n0, "bytes": nbytes - b0}
    return {
        "wall_s": res.wall_s,
        "peak_rss_mb": res.peak_rss_mb,
        "cpu_user_s": res.user_s,
        "cpu_sys_s": res.sys_s,
        # CPU the bench process (= the in-process simulator) spent while this pull ran.
        "sim_cpu_s": (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system),
        "requests": summary.get("requests"),
        "bytes": summary.get("bytes"),
        "server_requests": sum(r["requests"] for r in routes.values()),
        "server_bytes": sum(r["bytes"] for r in routes.values()),
        "server_routes": routes,
        "sim_route_cpu_s": sim_routes_cpu,
        "rows": summary.get("rows"),
        "status": summary.get("status"),
        "duration_s": summary.get("duration_s"),
        "changed": summary.get("changed"),
        "loadavg": list(os.getloadavg()),
        "db_bytes": db.stat().st_size if db.exists() else None,
    }

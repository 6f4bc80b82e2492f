"""The W&B benchmark: ``python -m bench.wandb_run`` (``make bench-wandb``); ``--quick`` for a
small world.

In one run, on one simulated W&B world (the trackersim.wandb ``bench`` preset: 200 runs x 20
keys x 2,500 steps by default, two projects): a full ``swansync pull`` (child process), the
script a W&B user would write with the real SDK (``api.runs()`` + ``run.scan_history()`` ->
CSV -> DuckDB, in the SDK's own venv) over the same world, their ratio; then a no-op pull and a
pull after the running runs grew, with the requests each made (the simulator's per-operation
counters); and the HistoryPage-versus-parquet read measurement (bench/wandb_paths.py). Results
go to ``bench/results/wandb-<timestamp>.json`` (untracked); a summary is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from bench.proc import run_measured
from bench.wandb_paths import compare_paths
from trackersim.wandb import SimServer, World, build_world

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"


def _counts(
    before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]
) -> dict[str, int]:
    return {
        k: n - before.get(k, (0, 0))[0]
        for k, (n, _) in after.items()
        if n - before.get(k, (0, 0))[0]
    }


def pull(sim: SimServer, db: Path, work: Path, name: str, projects: list[str]) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(("WANDB", "SWANSYNC"))}
    env.update({"HOME": str(work), "WANDB_API_KEY": sim.api_key, "PYTHONPATH": str(REPO)})
    cmd = [sys.executable, "-m", "swansync", "pull", "--db", str(db), "--json"]
    cmd += ["--wandb-host", sim.url, *(a for p in projects for a in ("--wandb", p))]
    config = work / "bench.toml"
    config.write_text("apply_views = false\n")  # the SDK script makes no views either
    cmd += ["--config", str(config)]
    before = sim.counters.snapshot()
    c0 = os.times()
    res = run_measured(cmd, env=env, cwd=work, workdir=work, name=name, secrets=(sim.api_key,))
    c1 = os.times()
    if res.returncode != 0:
        raise RuntimeError(f"pull {name} exited {res.returncode}: {res.stderr[-2000:]}")
    with duckdb.connect(str(db), read_only=True) as con:  # the pull's own log, not stdout
        status, rows, failures = con.execute(
            "SELECT status, rows, failures FROM _swansync.sync_log ORDER BY id DESC LIMIT 1"
        ).fetchone() or (None, "{}", "[]")
    return {
        "wall_s": round(res.wall_s, 2),
        "cpu_s": round(res.user_s + res.sys_s, 2),
        "server_cpu_s": round(c1.user - c0.user + c1.system - c0.system, 2),
        "peak_rss_mb": round(res.peak_rss_mb),
        "status": status,
        "rows": json.loads(rows),
        "failures": json.loads(failures)[:5],
        "stderr_tail": res.stderr[-1500:],
        "requests": _counts(before, sim.counters.snapshot()),
    }


def sdk_script(sim: SimServer, work: Path, projects: list[str]) -> dict[str, Any]:
    sys.path.insert(0, str(REPO))
    from tests.contract_wandb.sdk_env import SDK_SPEC, ensure_sdk_python, sdk_environment

    python = ensure_sdk_python()
    sdk_work = work / "sdk"
    out, result = sdk_work / "points.csv", sdk_work / "result.json"
    env = sdk_environment(sdk_work, sim.api_key)
    cmd = [str(python), str(REPO / "bench" / "wandb_sdk_mirror.py"), "--base-url", sim.url]
    cmd += [*(a for p in projects for a in ("--project", p)), "--out", str(out)]
    cmd += ["--result", str(result)]
    before = sim.counters.snapshot()
    c0 = os.times()
    res = run_measured(
        cmd, env=env, cwd=sdk_work, workdir=sdk_work, name="sdk", secrets=(sim.api_key,)
    )
    c1 = os.times()
    if res.returncode != 0:
        raise RuntimeError(f"the SDK script exited {res.returncode}: {res.stderr[-2000:]}")
    requests = _counts(before, sim.counters.snapshot())
    t0, p0 = time.perf_counter(), time.process_time()
    with duckdb.connect(str(work / "sdk.duckdb")) as con:
        con.execute(
            "CREATE TABLE metrics AS SELECT * FROM read_csv(?, header = true, columns = "
            "{'run_id': 'VARCHAR', 'key': 'VARCHAR', 'step': 'BIGINT', 'value': 'DOUBLE', "
            "'ts_ms': 'BIGINT'})",
            [str(out)],
        )
        loaded = con.execute("SELECT count(*) FROM metrics").fetchone()
    load_s, load_cpu = time.perf_counter() - t0, time.process_time() - p0
    script = json.loads(result.read_text())
    return {
        "sdk": SDK_SPEC,
        "script_wall_s": round(res.wall_s, 2),
        "duckdb_load_s": round(load_s, 2),
        "wall_s": round(res.wall_s + load_s, 2),
        # the script and its wandb-core child, plus the DuckDB load
        "cpu_s": round(res.user_s + res.sys_s + load_cpu, 2),
        "server_cpu_s": round(c1.user - c0.user + c1.system - c0.system, 2),
        "peak_rss_mb": round(res.peak_rss_mb),
        "runs": script["runs"],
        "points": loaded[0] if loaded else 0,
        "requests": requests,
    }


def grow(world: World, steps: int) -> int:
    grown = 0
    for rid in world.runs():
        if world.run(rid).state == "running":
            world.grow(rid, steps)
            grown += 1
    return grown


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="40 runs x 10 keys x 1,000 steps")
    parser.add_argument("--paths-runs", type=int, default=20)
    parser.add_argument(
        "--exports",
        action="store_true",
        help="the server offers parquet exports of finished runs (both readers use them)",
    )
    args = parser.parse_args(argv)
    scale = {"runs": 40, "keys": 10, "steps": 1000} if args.quick else {}
    world = build_world("bench", seed=0, parquet_export=args.exports, **scale)
    if args.exports:
        for rid in world.runs():
            if world.run(rid).state == "finished":
                world.export(rid)
    projects = world.projects()
    truth = world.truth(history=False)
    out: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "world": {
            "preset": "bench",
            **scale,
            "runs_total": len(truth["runs"]),
            "parquet_exports": args.exports,
        },
    }
    with (
        tempfile.TemporaryDirectory(prefix="swansync-bench-wandb-") as tmp,
        SimServer(world) as sim,
    ):
        work = Path(tmp)
        db = work / "wh.duckdb"
        out["full"] = pull(sim, db, work, "full", projects)
        out["sdk"] = sdk_script(sim, work, projects)
        out["ratio_sdk_over_swansync"] = round(out["sdk"]["wall_s"] / out["full"]["wall_s"], 2)
        out["cpu_ratio_sdk_over_swansync"] = round(
            (out["sdk"]["cpu_s"] + out["sdk"]["server_cpu_s"])
            / (out["full"]["cpu_s"] + out["full"]["server_cpu_s"]),
            2,
        )
        out["load_average"] = os.getloadavg()
        out["noop"] = pull(sim, db, work, "noop", projects)
        steps = max(1, (scale.get("steps", 2500) // 2) // 10)
        out["grown_runs"], out["grown_steps"] = grow(world, steps), steps
        out["incremental"] = pull(sim, db, work, "incremental", projects)
        finished = [r for r in truth["runs"] if r["state"] == "finished"][: args.paths_runs]
        out["paths"] = compare_paths(
            sim, [(*r["project"].split("/"), r["run_id"]) for r in finished]
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"wandb-{stamp}.json"
    path.write_text(json.dumps(out, indent=2))
    f, s = out["full"], out["sdk"]
    print(f"W&B bench ({path.relative_to(REPO)})")
    print(
        f"  full pull        {f['wall_s']:8.1f} s  "
        f"(cpu {f['cpu_s']} s + server {f['server_cpu_s']} s)"
        f"  rows {f['rows']}  requests {f['requests']}"
    )
    print(
        f"  SDK script       {s['wall_s']:8.1f} s  "
        f"(cpu {s['cpu_s']} s + server {s['server_cpu_s']} s)  "
        f"({s['script_wall_s']} s scan_history + "
        f"{s['duckdb_load_s']} s DuckDB load), {s['points']} points, requests {s['requests']}"
    )
    print(
        f"  ratio            {out['ratio_sdk_over_swansync']:8.2f} x wall, "
        f"{out['cpu_ratio_sdk_over_swansync']:.2f} x cpu (SDK script / swansync; load "
        f"{out['load_average'][0]:.1f} on {os.cpu_count()} cores)"
    )
    print(f"  no-op pull       {out['noop']['wall_s']:8.1f} s  requests {out['noop']['requests']}")
    print(
        f"  incremental      {out['incremental']['wall_s']:8.1f} s  requests "
        f"{out['incremental']['requests']} ({out['grown_runs']} runs +{steps} steps)"
    )
    p = out["paths"]
    print(f"  HistoryPage      {p['history_page']['seconds']:8.2f} s  {p['history_page']}")
    print(f"  parquet export   {p['parquet']['seconds']:8.2f} s  {p['parquet']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The pull benchmark: ``python -m bench.run`` (``make bench``); ``--quick`` for a ~1 minute smoke.

In one run, on one simulated world (default 200 runs x 20 keys x 2,500 steps = 10 M points,
its summary statistics computed before anything is timed): full pull, no-op re-pull and a pull
after ~1 % new points (each ``python -m swansync pull --json`` in a child process: wall time,
requests, bytes, peak RSS, the simulator's CPU per route), side by side with (a) the real
SwanLab SDK mirroring the same project, (b) the simulator's raw serve rate for the same CSVs,
(c) DuckDB's raw Arrow ingest of the same rows; ``--repeat`` rounds of (full, no-op, raw serve)
for the spread of the ratios; every analysis view on the pulled warehouse; profiles of a full
and a no-op pull; a scaling series (``--scaling``: the world with 2x, 4x the runs). Written to
``bench/results/<timestamp>.json`` (not tracked). ``make bench-report`` renders BENCHMARKS.md
from the newest results file; a plain ``make bench`` leaves the tracked files alone.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import baselines, report
from bench.proc import run_measured
from bench.pull import child_env, run_pull
from bench.startup import compile_sources, startup_times
from bench.views_bench import bench_views
from bench.world import (
    PROJECT,
    Scale,
    grow,
    make_world,
    running_runs,
    warm,
    world_extras,
)
from trackersim.swanlab import SimServer

log = logging.getLogger("bench")
HERE = Path(__file__).resolve().parent
QUICK = Scale(runs=40, keys=10, steps=1000, running=4)


def profile_pull(
    sim: SimServer, db: Path, workdir: Path, workers: int, name: str
) -> dict[str, Any]:
    """A pull into ``db`` under bench.profile_pull's instruments (a fresh file = a full pull)."""
    out = workdir / f"{name}.json"
    res = run_measured(
        [
            sys.executable,
            "-m",
            "bench.profile_pull",
            sim.url,
            PROJECT,
            str(db),
            str(out),
            str(workers),
        ],
        env=child_env(workdir, sim.api_key),
        cwd=HERE.parent,
        workdir=workdir,
        name=name,
        secrets=(sim.api_key,),
    )
    if res.returncode != 0:
        raise RuntimeError(f"profiled pull exited {res.returncode}:\n{res.stderr[-3000:]}")
    data: dict[str, Any] = json.loads(out.read_text())
    data["peak_rss_mb"] = res.peak_rss_mb
    return data


def _round(sim: SimServer, workdir: Path, workers: int, n: int) -> dict[str, Any]:
    """One more (full pull, no-op pull, raw serve) into a fresh file: the spread of the ratios."""
    db = workdir / f"round{n}.duckdb"
    full = run_pull(sim, db, workdir, f"pull-full-{n}", workers=workers)
    noop = run_pull(sim, db, workdir, f"pull-noop-{n}", workers=workers)
    raw = baselines.raw_serve_baseline(sim, workdir, workers=workers)
    for p in (db, db.with_name(db.name + ".wal")):
        p.unlink(missing_ok=True)
    log.info(
        "round %d: full %.1f s, no-op %.2f s, raw serve %.1f s (load %.1f)",
        n,
        full["wall_s"],
        noop["wall_s"],
        raw["wall_s"],
        raw["loadavg"][0],
    )
    return {"full": full, "noop": noop, "raw_serve": raw}


def _scaled(scale: Scale, factor: int, workdir: Path, workers: int) -> dict[str, Any]:
    """A full pull and the raw serve floor on a world ``factor`` times the bench world's runs."""
    big = scale.times(factor)
    world = make_world(big)
    warm_s = warm(world)
    db = workdir / f"scale{factor}.duckdb"
    with SimServer(world, port=0) as sim:
        full = run_pull(sim, db, workdir, f"pull-full-x{factor}", workers=workers)
        raw = baselines.raw_serve_baseline(sim, workdir, workers=workers)
    for p in (db, db.with_name(db.name + ".wal")):
        p.unlink(missing_ok=True)
    log.info(
        "x%d (%d points): full %.1f s, raw serve %.1f s, peak RSS %.0f MB",
        factor,
        big.points,
        full["wall_s"],
        raw["wall_s"],
        full["peak_rss_mb"],
    )
    return {"factor": factor, "scale": big.as_dict(), "warm_s": warm_s, "full": full, "raw": raw}


def run_bench(
    scale: Scale,
    *,
    workdir: Path,
    workers: int = 4,
    sdk_budget_s: float = 600.0,
    profile: str = "auto",
    repeat: int = 3,
    scaling: tuple[int, ...] = (1, 2, 4),
) -> dict[str, Any]:
    """Every measurement of one bench run, as a JSON-ready dict (``ratios``/``verdicts`` too)."""
    started = time.perf_counter()
    result: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": report.git_commit(),
        "machine": report.machine(),
        "scale": scale.as_dict(),
        "workers": workers,
        "pulls": {},
        "baselines": {},
    }
    db = workdir / "bench.duckdb"
    log.info("bench world: %s", scale.as_dict())
    world = make_world(scale)
    result["warm_s"] = warm(world)
    result["world_extras"] = world_extras(world)
    result["bytecode_compiled"] = compile_sources()
    result["startup"] = startup_times()
    with SimServer(world, port=0) as sim:
        pulls = result["pulls"]
        log.info("full pull ...")
        pulls["full"] = run_pull(sim, db, workdir, "pull-full", workers=workers)
        log.info("full pull: %.1f s", pulls["full"]["wall_s"])
        pulls["noop"] = run_pull(sim, db, workdir, "pull-noop", workers=workers)
        log.info("no-op pull: %.2f s", pulls["noop"]["wall_s"])
        log.info("(b) raw serve ...")
        result["baselines"]["raw_serve"] = baselines.raw_serve_baseline(
            sim, workdir, workers=workers
        )
        result["rounds"] = [
            {
                "full": pulls["full"],
                "noop": pulls["noop"],
                "raw_serve": result["baselines"]["raw_serve"],
            }
        ]
        for n in range(2, repeat + 1):
            result["rounds"].append(_round(sim, workdir, workers, n))
        if profile != "never":  # cheap: where a no-op's fixed cost goes
            result["profile_noop"] = profile_pull(sim, db, workdir, workers, "profile-noop")
        log.info("(c) DuckDB ingest ...")
        result["baselines"]["ingest"] = baselines.ingest_baseline(db, workdir)
        log.info("(a) SwanLab SDK ...")
        result["baselines"]["sdk"] = baselines.sdk_baseline(
            sim, scale.runs, workdir, budget_s=sdk_budget_s
        )
        log.info("views ...")
        result["views"] = bench_views(db)
        if profile in ("always", "auto"):
            log.info("profiling a full pull ...")
            fresh = workdir / "profile.duckdb"
            result["profile"] = profile_pull(sim, fresh, workdir, workers, "profile-full")
        result["new_points"] = grow(world, scale)
        pulls["incremental"] = run_pull(sim, db, workdir, "pull-incremental", workers=workers)
        log.info("incremental pull: %.2f s", pulls["incremental"]["wall_s"])
        # What serving the grown runs' CSVs alone costs: there is no server-side step range
        # (U9), so a growing run's series come back whole, old points included.
        result["baselines"]["raw_serve_grown"] = baselines.raw_serve_baseline(
            sim, workdir, workers=workers, only=set(running_runs(world))
        )
    result["scaling"] = [
        {
            "factor": 1,
            "scale": scale.as_dict(),
            "warm_s": result["warm_s"],
            "full": pulls["full"],
            "raw": result["baselines"]["raw_serve"],
        }
    ]
    for factor in (f for f in scaling if f != 1):
        result["scaling"].append(_scaled(scale, factor, workdir, workers))
    result["machine"]["loadavg_end"] = list(os.getloadavg())
    result["bench_s"] = time.perf_counter() - started
    result["ratios"] = report.ratios(result)
    result["verdicts"] = report.verdicts(result["ratios"])
    return result


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help=f"small world ({QUICK.points:,} points)")
    p.add_argument("--runs", type=int)
    p.add_argument("--keys", type=int)
    p.add_argument("--steps", type=int)
    p.add_argument("--running", type=int, help="runs left RUNNING that grow (default 10 %%)")
    p.add_argument("--workers", type=int, default=4, help="pull and raw-serve concurrency")
    p.add_argument("--sdk-budget", type=float, default=600.0, help="seconds; above: subset")
    p.add_argument(
        "--profile",
        choices=("auto", "always", "never"),
        default="auto",
        help="auto = always: profile a full pull and a no-op (never: skip both)",
    )
    p.add_argument(
        "--repeat", type=int, default=3, help="rounds of full/no-op/raw serve (ratio spread)"
    )
    p.add_argument(
        "--scaling",
        default="1,2,4",
        help="world sizes (multiples of --runs) for the scaling series; '1' skips it",
    )
    p.add_argument("--results-dir", type=Path, default=HERE / "results")
    p.add_argument(
        "--markdown",
        type=Path,
        help="also render the results as markdown into this file (make bench-report: "
        "BENCHMARKS.md); by default only the results file is written",
    )
    p.add_argument("--workdir", type=Path, help="scratch folder (default: a temporary one)")
    p.add_argument(
        "--render",
        type=Path,
        metavar="RESULTS_JSON",
        help="only render --markdown from an earlier results file, or 'latest' in "
        "--results-dir (e.g. after editing bench/analysis.md); measures nothing",
    )
    return p.parse_args(argv)


def scale_from(args: argparse.Namespace) -> Scale:
    base = QUICK if args.quick else Scale()
    runs = args.runs or base.runs
    running = args.running if args.running is not None else max(1, runs // 10)
    return Scale(
        runs=runs, keys=args.keys or base.keys, steps=args.steps or base.steps, running=running
    )


def latest_results(results_dir: Path) -> Path:
    """The newest results file (their names are UTC timestamps, so the last in name order)."""
    files = sorted(results_dir.glob("*.json"))
    if not files:
        raise SystemExit(f"no results in {results_dir}: run `make bench` first")
    return files[-1]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.render is not None:
        source = latest_results(args.results_dir) if str(args.render) == "latest" else args.render
        earlier: dict[str, Any] = json.loads(source.read_text())
        markdown = args.markdown or HERE.parent / "BENCHMARKS.md"
        markdown.write_text(report.render_markdown(earlier, source.name))
        log.info("wrote %s from %s", markdown, source)
        return earlier
    scale = scale_from(args)
    with tempfile.TemporaryDirectory(prefix="swansync-bench-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        result = run_bench(
            scale,
            workdir=workdir,
            workers=args.workers,
            sdk_budget_s=args.sdk_budget,
            profile=args.profile,
            repeat=max(1, args.repeat),
            scaling=tuple(int(f) for f in args.scaling.split(",") if f.strip()),
        )
    path = report.write_results(result, args.results_dir)
    log.info("results: %s", path)
    if args.markdown is not None:
        args.markdown.write_text(report.render_markdown(result, path.name))
        log.info("wrote %s", args.markdown)
    else:
        log.info("BENCHMARKS.md unchanged; `make bench-report` renders it from %s", path.name)
    for name, value in result["ratios"].items():
        verdict = result["verdicts"].get(name)
        mark = "" if verdict is None else (" ok" if verdict else " MISSED")
        log.info("%-24s %10.4f%s", name, value, mark)
    log.info("load average at the end: %s", result["machine"]["loadavg_end"])
    return result


if __name__ == "__main__":
    main()

"""The three side-by-side baselines: (a) the real SwanLab SDK, (b) the simulator's raw serve
rate, (c) DuckDB's raw Arrow ingest. Each returns a plain dict of measurements."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

import duckdb

from bench.proc import run_measured
from bench.pull import child_env, route_cpu
from bench.world import PROJECT, export_columns
from swansync.warehouse import Warehouse
from trackersim.swanlab import SimServer

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent


# -- (a) the real SDK -----------------------------------------------------------------------------
def _sdk_once(sim: SimServer, python: Path, workdir: Path, name: str, max_runs: int) -> Any:
    env = child_env(workdir, sim.api_key)
    env.pop("PYTHONPATH", None)
    env["SWANLAB_SAVE_DIR"] = str(workdir / ".swanlab")
    env["NO_COLOR"] = "1"
    out, result = workdir / f"{name}.csv", workdir / f"{name}.json"
    cmd = [
        str(python),
        str(HERE / "sdk_mirror.py"),
        *("--host", sim.url, "--project", PROJECT, "--out", str(out)),
        *("--result", str(result), "--max-runs", str(max_runs)),
    ]
    cpu_before = sim.counters.cpu_snapshot()
    res = run_measured(
        cmd, env=env, cwd=workdir, workdir=workdir, name=name, secrets=(sim.api_key,)
    )
    if res.returncode != 0:
        raise RuntimeError(f"SDK mirror exited {res.returncode}:\n{res.stderr[-3000:]}")
    data = json.loads(result.read_text())
    data["sim_route_cpu_s"] = route_cpu(cpu_before, sim.counters.cpu_snapshot())
    data["cpu_s"] = res.user_s + res.sys_s
    data["process_wall_s"] = res.wall_s
    data["peak_rss_mb"] = res.peak_rss_mb
    data["csv_bytes"] = out.stat().st_size
    out.unlink()  # hundreds of MB at full scale; the count is what we keep
    return data


def sdk_baseline(
    sim: SimServer, total_runs: int, workdir: Path, *, budget_s: float, probe_runs: int = 8
) -> dict[str, Any]:
    """Time the SDK mirror script over every run, or, if a probe says that would take longer
    than ``budget_s``, over a measured subset, extrapolated linearly to ``total_runs``."""
    from tests.contract.sdk_env import SDK_SPEC, ensure_sdk_python

    python = ensure_sdk_python()
    probe_n = min(probe_runs, total_runs)
    probe = _sdk_once(sim, python, workdir, "sdk-probe", probe_n)
    per_run = probe["process_wall_s"] / max(1, probe["runs"])
    estimate = per_run * total_runs
    log.info(
        "SDK probe: %d runs in %.1f s; full estimate %.0f s", probe_n, probe["wall_s"], estimate
    )
    if probe_n == total_runs:
        measured, subset = probe, False
    elif estimate <= budget_s:
        measured, subset = _sdk_once(sim, python, workdir, "sdk-full", 0), False
    else:
        n = max(probe_n, min(total_runs, int(budget_s / 4 / per_run)))
        measured, subset = _sdk_once(sim, python, workdir, "sdk-subset", n), True
    scale = total_runs / max(1, measured["runs"])
    return {
        "sdk": SDK_SPEC,
        "runs_measured": measured["runs"],
        "points_measured": measured["points"],
        "measured_wall_s": measured["process_wall_s"],
        "extrapolated": subset,
        "wall_s": measured["process_wall_s"] * scale,
        "points_per_s": measured["points"] / measured["process_wall_s"],
        "peak_rss_mb": measured["peak_rss_mb"],
        "csv_bytes_measured": measured["csv_bytes"],
        "cpu_s": measured["cpu_s"],
        "sim_route_cpu_s": measured["sim_route_cpu_s"],
        "probe": {"runs": probe["runs"], "wall_s": probe["process_wall_s"]},
    }


# -- (b) raw serve rate ---------------------------------------------------------------------------
def raw_serve_baseline(
    sim: SimServer, workdir: Path, *, workers: int, only: set[str] | None = None
) -> dict[str, Any]:
    """Every CSV of every run (or of the runs in ``only``) exported, linked and downloaded."""
    job = workdir / "raw-serve-job.json"
    out = workdir / "raw-serve.json"
    columns = export_columns(sim.world, only)
    job.write_text(json.dumps({"url": sim.url, "workers": workers, "runs": columns}))
    before = sim.counters.requests()
    cpu_before = sim.counters.cpu_snapshot()
    res = run_measured(
        [sys.executable, "-m", "bench.raw_serve", str(job), str(out)],
        env=child_env(workdir, sim.api_key),
        cwd=HERE.parent,
        workdir=workdir,
        name="raw-serve",
        secrets=(sim.api_key,),
    )
    if res.returncode != 0:
        raise RuntimeError(f"raw serve client exited {res.returncode}:\n{res.stderr[-3000:]}")
    data: dict[str, Any] = json.loads(out.read_text())
    data["server_requests"] = sim.counters.requests() - before
    data["sim_route_cpu_s"] = route_cpu(cpu_before, sim.counters.cpu_snapshot())
    data["process_wall_s"] = res.wall_s
    data["cpu_s"] = res.user_s + res.sys_s
    data["loadavg"] = list(os.getloadavg())
    return data


# -- (c) DuckDB raw Arrow ingest ------------------------------------------------------------------
def _timed_insert(
    target: Path, table: str, arrow_table: Any, *, create: str | None
) -> dict[str, Any]:
    """One ``INSERT INTO table SELECT * FROM arrow_table`` into a fresh, migrated warehouse file
    (``create``: DDL for a table the schema lacks), then CHECKPOINT; times and file size."""
    for p in (target, target.with_name(target.name + ".wal")):
        p.unlink(missing_ok=True)
    with Warehouse(target) as wh:
        wh.migrate()
        if create:
            wh.execute(create)
    con = duckdb.connect(str(target))
    try:
        con.register("arrow_table", arrow_table)
        t0 = time.perf_counter()
        con.execute(f"INSERT INTO {table} SELECT * FROM arrow_table")
        insert_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        con.execute("CHECKPOINT")
        checkpoint_s = time.perf_counter() - t1
        rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    finally:
        con.close()
    size = target.stat().st_size
    target.unlink(missing_ok=True)
    return {
        "rows": int(rows[0]) if rows else 0,
        "arrow_mb": arrow_table.nbytes / (1024 * 1024),
        "wall_s": insert_s,
        "checkpoint_s": checkpoint_s,
        "file_mb": size / (1024 * 1024),
    }


def ingest_baseline(pulled_db: Path, workdir: Path) -> dict[str, Any]:
    """DuckDB alone ingesting the pulled points, from Arrow in memory, into a fresh warehouse:
    the narrow rows the pull writes (``_swansync.points``: the floor), and for comparison the
    same points as the contract's long rows (four strings per point, what releases before
    narrow storage wrote)."""
    src = duckdb.connect(str(pulled_db), read_only=True)
    try:
        narrow = src.sql("SELECT series_id, step, value, ts FROM _swansync.points").to_arrow_table()
        long = src.sql(
            "SELECT source, project, run_id, key, step, value, ts FROM metrics"
        ).to_arrow_table()
    finally:
        src.close()
    target = workdir / "ingest.duckdb"
    out = _timed_insert(target, "_swansync.points", narrow, create=None)
    del narrow
    out["long"] = _timed_insert(
        target,
        "long_metrics",
        long,
        create="CREATE TABLE long_metrics (source VARCHAR NOT NULL, project VARCHAR NOT NULL, "
        "run_id VARCHAR NOT NULL, key VARCHAR NOT NULL, step BIGINT NOT NULL, value DOUBLE, "
        "ts TIMESTAMPTZ)",
    )
    return out

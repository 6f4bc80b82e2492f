"""Time every analysis view and macro on a warehouse: ``python -m bench.views_bench DB [PROJECT]``.

Each object is run to completion (all rows fetched) twice; the better time counts, so the
first run's cold file cache does not decide. Macros get the warehouse's largest project and its
most common custom metric and config key as arguments.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path
from typing import Any

import duckdb

from swansync.warehouse.views import apply_views

log = logging.getLogger(__name__)


def _pick(con: duckdb.DuckDBPyConnection, project: str | None) -> tuple[str, str, str, list[str]]:
    if project is None:
        row = con.execute(
            "SELECT project FROM runs GROUP BY project ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
        project = row[0] if row else "none/none"
    metric = con.execute(
        "SELECT key FROM metric_keys WHERE project = ? AND class = 'CUSTOM' AND kind = 'SCALAR' "
        "GROUP BY key ORDER BY count(*) DESC, key LIMIT 1",
        [project],
    ).fetchone()
    key = con.execute(
        "SELECT key FROM run_config WHERE project = ? GROUP BY key ORDER BY count(*) DESC, key "
        "LIMIT 1",
        [project],
    ).fetchone()
    runs = [
        r[0]
        for r in con.execute(
            "SELECT run_id FROM runs WHERE project = ? ORDER BY created_at LIMIT 10", [project]
        ).fetchall()
    ]
    return project, metric[0] if metric else "loss", key[0] if key else "lr", runs


def bench_views(db_path: Path | str, project: str | None = None) -> dict[str, float]:
    """Seconds per view/macro (best of two full fetches) on the warehouse at ``db_path``.

    Applies the views first (the file is opened read-write for that)."""
    con = duckdb.connect(str(db_path))
    try:
        con.execute("SET TimeZone = 'UTC'")
        t0 = time.perf_counter()
        apply_views(con)
        times: dict[str, float] = {"(apply_views)": time.perf_counter() - t0}
        proj, metric, key, runs = _pick(con, project)
        calls: dict[str, tuple[str, list[Any]]] = {
            "run_overview": ("SELECT * FROM run_overview", []),
            "metric_summary": ("SELECT * FROM metric_summary", []),
            "run_fields": ("SELECT * FROM run_fields", []),
            "run_table": ("SELECT * FROM run_table(?)", [proj]),
            "leaderboard": ("SELECT * FROM leaderboard(?, ?)", [proj, metric]),
            "leaderboard(best,max)": (
                "SELECT * FROM leaderboard(?, ?, goal := 'max', pick := 'best')",
                [proj, metric],
            ),
            "seed_groups": ("SELECT * FROM seed_groups(?, ?)", [proj, metric]),
            "config_effect": ("SELECT * FROM config_effect(?, ?, ?)", [proj, key, metric]),
            "curves(100)": ("SELECT * FROM curves(?, n_buckets := 100)", [proj]),
            "curves(100, 1 key)": (
                "SELECT * FROM curves(?, n_buckets := 100, only_keys := [?])",
                [proj, metric],
            ),
            "run_diff(a, b)": ("SELECT * FROM run_diff(?, ?)", [*runs, "", ""][:2]),
            "run_diff(10 runs)": ("SELECT * FROM run_diff(?)", [runs]),
            "project_activity": ("SELECT * FROM project_activity", []),
            "project_status": ("SELECT * FROM project_status", []),
            "system_usage": ("SELECT * FROM system_usage", []),
            "run_log_tail": ("SELECT * FROM run_log_tail", []),
            "log_search": ("SELECT * FROM log_search(?)", ["step"]),
            "log_search(regex)": ("SELECT * FROM log_search(?, regex := true)", ["ste+p \\d"]),
            "media_gallery": ("SELECT * FROM media_gallery", []),
        }
        for name, (sql, params) in calls.items():
            best = float("inf")
            for _ in range(2):
                start = time.perf_counter()
                con.sql(sql, params=params).to_arrow_table()
                best = min(best, time.perf_counter() - start)
            times[name] = best
            log.info("%-24s %.3f s", name, best)
        return times
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("db", type=Path)
    parser.add_argument("project", nargs="?")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    result = bench_views(args.db, args.project)
    log.info("%s", json.dumps({k: round(v, 4) for k, v in result.items()}, indent=1))


if __name__ == "__main__":
    main()

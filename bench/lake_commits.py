"""Per-commit cost of a DuckLake with a PostgreSQL catalog, with 1, 2 and 4 concurrent writer
processes: the number the 100-worker projection in docs/ducklake.md starts from.

``make lake-bench`` (runs in ``.venv-lake``; starts its own PostgreSQL, fsync on, and uses a
folder data path). Each writer process commits ``--commits`` transactions of one small batch
of points plus its mark (the shape of a metric batch with its bookmark):

- ``append-inlined``: 5 points per commit (under the inlining limit: rows go to the catalog);
- ``append-parquet``: 2,000 points per commit (one Parquet file per commit);
- ``fenced-inlined``: ``append-inlined`` plus the replace of the writer's own fence row (the
  exactness device of docs/ducklake.md; writers are disjoint targets, so they never conflict);
- ``update``: 5 points plus an UPDATE of the writer's own bookmark row (conflicts with every
  concurrent commit to that table; the whole transaction is retried).

Prints a table and writes ``bench/results/lake-commits-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.lake import lakeconn, procs
from tests.lake.servers import start_postgres

HERE = Path(__file__).resolve().parent
SHAPES = {
    "append-inlined": ("append", 5),
    "append-parquet": ("append", 2000),
    "fenced-inlined": ("fenced", 5),
    "update": ("update", 5),
}


def _setup(catalog: str, data_path: str, writers: int, env: dict[str, str]) -> None:
    con = lakeconn.connect(catalog, data_path, env=env)
    con.execute(
        "CREATE TABLE pts (writer INTEGER, batch INTEGER, i BIGINT);"
        "CREATE TABLE marks (writer INTEGER, batch INTEGER, n BIGINT);"
        "CREATE TABLE bookmarks (writer INTEGER, value INTEGER);"
        f"INSERT INTO bookmarks SELECT w, -1 FROM range({writers}) r(w);"
        + "".join(
            f"CREATE TABLE fence_{w} (batch INTEGER); INSERT INTO fence_{w} VALUES (-1);"
            for w in range(writers)
        )
    )
    con.close()


def run_case(pg: Any, shape: str, writers: int, commits: int) -> dict[str, Any]:
    mode, rows = SHAPES[shape]
    db = pg.create_database("bench")
    catalog = pg.dsn(db)
    with tempfile.TemporaryDirectory(prefix="swansync-lake-bench-") as folder:
        data_path = folder + "/"
        env = pg.env()
        _setup(catalog, data_path, writers, env)
        started = [
            procs.start(mode, catalog, data_path, env, writer=w, commits=commits, rows=rows)
            for w in range(writers)
        ]
        t0 = time.perf_counter()
        for w in started:
            w.go()
        results = [r for w in started for r in w.results(timeout=1800)]
        wall = time.perf_counter() - t0
        files = len(list(Path(folder).rglob("*.parquet")))
    ms = sorted(r["ms"] for r in results)
    tries = sum(r["tries"] for r in results)
    return {
        "shape": shape,
        "writers": writers,
        "commits": len(results),
        "tries": tries,
        "wall_s": round(wall, 3),
        "commits_per_s": round(len(results) / wall, 2),
        "ms_median": round(statistics.median(ms), 1),
        "ms_p90": round(ms[int(0.9 * (len(ms) - 1))], 1),
        "files": files,
        "redo_reasons": sorted({e for r in results for e in r.get("errors", [])}),
    }


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--commits", type=int, default=50, help="commits per writer")
    p.add_argument("--writers", default="1,2,4")
    p.add_argument("--shapes", default=",".join(SHAPES))
    args = p.parse_args(argv)
    pg = start_postgres(fsync=True)
    os.environ["PGPASSWORD"] = pg.password  # libpq reads it, in this process and the workers
    out: list[dict[str, Any]] = []
    try:
        for shape in args.shapes.split(","):
            for n in (int(x) for x in args.writers.split(",")):
                case = run_case(pg, shape, n, args.commits)
                out.append(case)
                print(json.dumps(case), flush=True)
    finally:
        pg.stop()
    load = os.getloadavg()
    print(f"\nload average during the run: {load[0]:.1f} (cores: {os.cpu_count()})")
    print("| shape | writers | commits | tries | commits/s | ms median | ms p90 | files |")
    print("|---|---|---|---|---|---|---|---|")
    for c in out:
        print(
            f"| {c['shape']} | {c['writers']} | {c['commits']} | {c['tries']} | "
            f"{c['commits_per_s']} | {c['ms_median']} | {c['ms_p90']} | {c['files']} |"
        )
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (results / f"lake-commits-{stamp}.json").write_text(
        json.dumps({"cases": out, "load": load, "python": sys.version}, indent=2)
    )


if __name__ == "__main__":
    main()

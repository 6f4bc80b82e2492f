"""A reader process for the concurrency tests: ``python reader.py SERVING STOPFILE READYFILE``.

Opens the serving copy afresh in a loop (as a BI tool reconnecting would), checks that each
copy is internally complete, and keeps one long-lived connection whose copy must never change.
Prints one JSON object: observations ``[sync_id, metric rows]``, errors, iterations.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb


def observe(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    sync_id = con.execute("SELECT sync_id FROM _swansync_snapshot").fetchone()
    rows = con.execute("SELECT count(*) FROM metrics").fetchone()
    points = con.execute("SELECT coalesce(sum(points), 0) FROM metric_keys").fetchone()
    view = con.execute("SELECT coalesce(sum(n), 0) FROM v_points").fetchone()
    last = con.execute(
        "SELECT max(id) FROM _swansync.sync_log WHERE status IN ('ok', 'partial')"
    ).fetchone()
    if not (sync_id and rows and points and view and last):
        raise RuntimeError("empty answer")
    if not rows[0] == points[0] == view[0]:
        raise RuntimeError(
            f"incomplete copy: {rows[0]} rows, {points[0]} bookmarked, {view[0]} in view"
        )
    if last[0] != sync_id[0]:
        raise RuntimeError(f"copy says sync {sync_id[0]} but its sync_log ends at {last[0]}")
    return int(sync_id[0]), int(rows[0])


def main() -> None:
    serving, stop_file, ready_file = (Path(a) for a in sys.argv[1:4])
    errors: list[str] = []
    seen: set[tuple[int, int]] = set()
    iterations = 0
    # Held through ATTACH on an in-memory database: duckdb.connect() would share one open
    # database per path within this process, and the fresh connections below must not.
    held = duckdb.connect()
    held.execute(f"ATTACH '{serving}' AS held (READ_ONLY)")
    held.execute("USE held")
    held_state = observe(held)
    while True:
        stopping = stop_file.exists()  # one more full pass after the stop file appears
        try:
            with duckdb.connect(str(serving), read_only=True) as con:
                seen.add(observe(con))
            if observe(held) != held_state:
                errors.append("the long-lived connection's copy changed")
        except Exception as e:  # every failure is a finding, reported to the test
            errors.append(f"{type(e).__name__}: {e}")
        iterations += 1
        if iterations == 1:
            ready_file.touch()
        if stopping:
            break
    held.close()
    out = {"seen": sorted(seen), "errors": errors[:20], "n_errors": len(errors)}
    out["iterations"] = iterations
    out["held"] = held_state
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()

"""The pull benchmark at a tiny scale, so its code cannot rot. No speed is asserted here: the
numbers belong in BENCHMARKS.md (``make bench``), not in a unit test."""

from __future__ import annotations

import json
import math
from pathlib import Path

from bench import report
from bench.run import main
from bench.world import Scale, make_world
from swansync.warehouse.views import list_views

TINY = Scale(runs=4, keys=3, steps=60, running=1)


def test_bench_smoke(tmp_path: Path) -> None:
    results, md = tmp_path / "results", tmp_path / "BENCH.md"
    args = [
        *("--runs", str(TINY.runs), "--keys", str(TINY.keys), "--steps", str(TINY.steps)),
        *("--running", str(TINY.running), "--profile", "always", "--sdk-budget", "600"),
        *("--repeat", "2", "--scaling", "1,2"),
        *("--results-dir", str(results), "--markdown", str(md), "--workdir", str(tmp_path / "w")),
    ]
    result = main(args)

    # Every measurement is there, and the pulls did what the world says they must.
    pulls = result["pulls"]
    assert set(pulls) == {"full", "noop", "incremental"}
    for name, pull in pulls.items():
        for field in ("wall_s", "duration_s", "requests", "bytes", "peak_rss_mb", "rows"):
            assert pull[field] is not None, (name, field)
        assert pull["status"] == "ok", name
        assert pull["requests"] == pull["server_requests"], name  # client and server agree
        assert pull["peak_rss_mb"] > 0, name
    assert pulls["full"]["rows"]["metrics"] == TINY.points
    assert pulls["noop"]["rows"]["metrics"] == 0
    assert pulls["incremental"]["rows"]["metrics"] == result["new_points"]
    assert result["new_points"] == TINY.running * TINY.grow_steps * TINY.keys > 0

    a, b, c = (result["baselines"][k] for k in ("sdk", "raw_serve", "ingest"))
    assert a["runs_measured"] == TINY.runs and not a["extrapolated"]
    assert a["points_measured"] == TINY.points
    # (b) downloads exactly the CSVs the full pull downloaded.
    csv_route = "GET /_files/{path:path}"
    assert b["bytes"] == pulls["full"]["server_routes"][csv_route]["bytes"]
    # ... and reads the consoles with as many pages as the full pull did.
    pages = pulls["full"]["server_routes"]["GET /api/house/metrics/log"]["requests"]
    assert b["console_requests"] == pages == TINY.runs
    assert c["rows"] == c["long"]["rows"] == TINY.points
    # The rounds and the scaling series ran; the no-op pulls changed nothing.
    assert len(result["rounds"]) == 2
    assert all(rd["noop"]["changed"] is False for rd in result["rounds"])
    assert [sc["scale"]["points"] for sc in result["scaling"]] == [TINY.points, 2 * TINY.points]
    assert result["scaling"][1]["full"]["rows"]["metrics"] == 2 * TINY.points
    # The simulator's CPU per route was measured for every client.
    for client in (pulls["full"], b, a):
        assert client["sim_route_cpu_s"], client
    assert result["views"] and all(v >= 0 for v in result["views"].values())
    # Every view and macro of sql/views is timed (a new one must be added to views_bench).
    timed = {name.split("(")[0] for name in result["views"]}
    assert {v.name for v in list_views()} <= timed, timed
    assert result["profile"]["rows"]["metrics"] == TINY.points
    assert result["profile"]["top_tottime"].strip()
    assert result["profile_noop"]["rows"]["metrics"] == 0

    # Ratios: every one present and finite; verdicts for every target.
    assert set(report.TARGETS) <= set(result["ratios"])
    assert all(math.isfinite(v) and v > 0 for v in result["ratios"].values()), result["ratios"]
    assert set(result["verdicts"]) == set(report.TARGETS)

    # The results file and the markdown were written from this run, without the API key.
    files = list(results.glob("*.json"))
    assert len(files) == 1
    assert json.loads(files[0].read_text())["ratios"] == result["ratios"]
    text = md.read_text()
    for desc, _, _ in report.TARGETS.values():
        assert desc in text
    assert files[0].name in text
    key = make_world(TINY).api_key
    assert key not in text and key not in files[0].read_text()

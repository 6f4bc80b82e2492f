"""Scheduled pulls publishing the serving copy while another process reads it in a loop."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from swansync.warehouse.snapshot import snapshot_info

from .helpers import (
    REPO,
    Daemon,
    GrowingPull,
    assert_ok_until_stopped,
    fast,
    job,
    make_ledger,
    settings,
    wait_for,
)

PULLS = 20


@pytest.mark.slow
def test_reader_process_sees_only_complete_pulls_during_20_scheduled_pulls(tmp_path):
    serving = tmp_path / "serving.duckdb"
    s = settings(tmp_path, job("proj"), serving=serving)
    make_ledger(s.db)  # schema plus a view and a macro the copy must carry
    pulls = GrowingPull()
    first = pulls(s)
    assert first.status == "ok"
    assert snapshot_info(serving)["sync_id"] == first.id

    stop_file, ready_file = tmp_path / "stop", tmp_path / "ready"
    reader = subprocess.Popen(
        [sys.executable, str(REPO / "tests/schedule/reader.py"), serving, stop_file, ready_file],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: ready_file.exists() or reader.poll() is not None, what="reader ready")
        assert reader.poll() is None, reader.stderr.read() if reader.stderr else ""

        with Daemon(s, pulls, fast(0.05)) as d:
            wait_for(lambda: d.n() >= PULLS, timeout=120, what=f"{PULLS} scheduled pulls")
        outcomes = d.outcomes
        stop_file.touch()
        out, err = reader.communicate(timeout=60)
    finally:
        if reader.poll() is None:
            reader.kill()
            reader.wait()
    assert reader.returncode == 0, err
    report = json.loads(out)

    assert_ok_until_stopped(outcomes)
    assert report["n_errors"] == 0, report["errors"]
    seen = [tuple(x) for x in report["seen"]]
    # Every copy the reader opened was exactly the state of one finished pull...
    for sync_id, rows in seen:
        assert pulls.expected.get(sync_id) == rows, (sync_id, rows)
    # ...and it saw the copy change many times while it was reading.
    assert len({sid for sid, _ in seen}) >= 5, seen
    assert tuple(report["held"]) == (first.id, pulls.expected[first.id])
    # The copy left behind is the last successful pull (a pull interrupted by the stop publishes
    # nothing).
    assert snapshot_info(serving)["sync_id"] == max(o.sync_id or 0 for o in outcomes if o.ok)

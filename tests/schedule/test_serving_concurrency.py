"""Scheduled pulls publishing the serving copy while another process reads it in a loop."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import pytest

from swansync.config import Settings
from swansync.schedule import JobOutcome, run_schedule
from swansync.sync import pull
from swansync.warehouse.snapshot import snapshot_info
from tests.sync.fake_source import FakeRun, FakeSource

from .helpers import REPO, assert_ok_until_stopped, job, make_ledger, settings, wait_for

PULLS = 20


class GrowingPull:
    """The real pull against an in-memory source whose running run grows before every pull
    and which gains a run every fifth pull; remembers the true row count per sync id."""

    def __init__(self) -> None:
        self.source = FakeSource(
            [FakeRun("a", ["loss", "acc"], 300), FakeRun("b", ["loss", "acc"], 100, "RUNNING")]
        )
        self.expected: dict[int, int] = {}
        self.n = 0

    def __call__(self, s: Settings, *, stop: threading.Event | None = None):
        self.n += 1
        self.source.runs["b"].grow(150)
        if self.n % 5 == 0:
            run = FakeRun(f"new{self.n}", ["loss"], 200)
            self.source.runs[run.run_id] = run
        summary = pull(s, stop=stop, sources=[self.source])
        self.expected[summary.id] = len(self.source.truth_points())
        return summary


@pytest.mark.slow
def test_reader_process_sees_only_complete_pulls_during_20_scheduled_pulls(tmp_path):
    from apscheduler.triggers.interval import IntervalTrigger

    serving = tmp_path / "serving.duckdb"
    s = settings(tmp_path, job("proj", projects=("ws/proj",)), serving=serving)
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

        outcomes: list[JobOutcome] = []
        stop = threading.Event()
        daemon = threading.Thread(
            target=run_schedule,
            args=(s,),
            kwargs={
                "stop": stop,
                "pull_fn": pulls,
                "trigger_factory": lambda j: IntervalTrigger(seconds=0.05),
                "install_signals": False,
                "on_outcome": outcomes.append,
            },
        )
        daemon.start()
        try:
            wait_for(lambda: len(outcomes) >= PULLS, timeout=120, what=f"{PULLS} scheduled pulls")
        finally:
            stop.set()
            daemon.join(60)
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

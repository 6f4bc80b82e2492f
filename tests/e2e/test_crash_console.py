"""Kill -9 a pull while it reads a long console or downloads media, pull again: the warehouse
equals the truth (every line once, every file in place) -- the console bookmark commits with its
lines, a file is renamed into place before its row commits."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from subprocess import Popen

import pytest

from swansync.sync import pull
from swansync.warehouse import Warehouse
from trackersim.swanlab import SimServer, build_world

from .compare import compare
from .conftest import settings_for, start_pull

FILES = "GET /_files/{path:path}"


def _kill_when(
    sim: SimServer, proc: Popen[bytes], reached: object, deadline_s: float = 300
) -> bool:
    """SIGKILL ``proc`` once ``reached()`` is true (False when the pull ended first)."""
    end = time.monotonic() + deadline_s
    while not reached() and proc.poll() is None:  # type: ignore[operator]
        if time.monotonic() > end:
            proc.kill()
            pytest.fail("the pull made no progress")
        time.sleep(0.002)
    killed = proc.poll() is None
    if killed:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()
    return killed


@pytest.mark.slow
def test_sigkill_mid_console_then_pull_is_exact(tmp_path: Path) -> None:
    """A console of 900,000 lines streams through two exports: killed halfway, then at four
    fifths of its bytes, each next pull goes on from the committed bookmark."""
    lines = 900_000
    world = build_world("bench", runs=1, keys=2, steps=50, log_lines=lines, log_width=20)
    with SimServer(world, port=0) as sim:
        db = tmp_path / "w.duckdb"
        kills, partial = 0, []
        for fraction in (0.5, 0.8):
            start = sim.counters.bytes(FILES)
            proc = start_pull(sim, db)
            limit = start + fraction * lines * 50  # about 50 bytes a row
            kills += _kill_when(sim, proc, lambda limit=limit: sim.counters.bytes(FILES) > limit)
            with Warehouse(db, read_only=True) as wh:
                stored, top = wh.rows("SELECT count(*), coalesce(max(seq), 0) FROM logs")[0]
                state = wh.rows("SELECT max(logs_seq) FROM _swansync.run_state")[0][0] or 0
            assert stored == top == state  # the bookmark is exactly what committed
            partial.append(0 < stored < lines)
        assert kills >= 1 and any(partial)  # killed with part of the console committed
        summary = pull(settings_for(sim, db))
        assert summary.status == "ok", summary.failures
        assert compare(db, world.truth(), "sim") == []


@pytest.mark.slow
def test_sigkill_during_downloads_then_pull_is_exact(tmp_path: Path) -> None:
    world = build_world("demo", seed=6, hostile=True)
    with SimServer(world, port=0) as sim:
        kills = 0
        for i, n in enumerate((20, 60, 150, 260)):
            db = tmp_path / f"w{i}" / "w.duckdb"
            db.parent.mkdir()
            limit = sim.counters.requests() + n
            proc = start_pull(sim, db, "--media", "download")
            kills += _kill_when(sim, proc, lambda limit=limit: sim.counters.requests() > limit)
            summary = pull(settings_for(sim, db, media="download"))
            assert summary.status == "ok", summary.failures
            assert compare(db, world.truth(), "sim", "download") == [], f"killed after {n}"
            assert not list((db.parent / "media" / ".tmp").glob("*"))  # no half-written file
        assert kills >= 3

"""Generated kill points -> resume -> exactly the truth, no duplicates.

A ``swansync pull`` child process is killed with SIGKILL at a generated point, synchronised, never
timed: either by the simulator while it handles the N-th request (before answering it), or by the
child itself at its N-th warehouse transaction, just before or just after the COMMIT (see
:mod:`.killpoint`). One or two kills may hit successive pulls, optionally after a first clean
pull and a round of time moving (so the killed pull is incremental). Then one pull in this
process must end ``ok`` and every contract table must equal the truth, without duplicates.
"""

from __future__ import annotations

import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from hypothesis import event, given, note
from hypothesis import strategies as st

from swansync.sync import pull
from swansync.warehouse import Warehouse
from trackersim.swanlab import SimServer
from trackersim.swanlab.counters import RouteCounters

from .checks import SOURCE, problems, settings_for
from .strategies import examples
from .worlds import Op, WorldSpec, apply_round, build, ops, worlds

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Kill:
    """Where to kill, as a fraction of what a complete pull from the same state would do."""

    at: str  # "request": the simulator kills at its n-th request; "before"/"after": a commit
    share: float  # 0..1 of that pull's requests or transactions


kills = st.builds(
    Kill, st.sampled_from(["request", "before", "after", "before", "after"]), st.floats(0.0, 1.0)
)


@contextmanager
def counting_commits() -> Iterator[list[int]]:
    """Count warehouse transactions in this process while the block runs."""
    original = Warehouse.transaction
    seen = [0]

    @contextmanager
    def transaction(self: Warehouse, target: tuple[str, str] | None = None) -> Iterator[Warehouse]:
        with original(self, target) as wh:
            yield wh
        seen[0] += 1

    Warehouse.transaction = transaction  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        Warehouse.transaction = original  # type: ignore[method-assign]


def _measure(sim: SimServer, db: Path) -> tuple[int, int]:
    """(requests, transactions) of a complete pull from the state in ``db`` (on a copy)."""
    copy = db.parent / "measure.duckdb"
    wal = Path(f"{db}.wal")  # a killed pull leaves committed work in the write-ahead log
    for path, to in ((db, copy), (wal, Path(f"{copy}.wal"))):
        to.unlink(missing_ok=True)
        if path.exists():
            shutil.copyfile(path, to)
    sim.counters = RouteCounters()
    with counting_commits() as commits:
        assert pull(settings_for(sim, copy)).status == "ok"
    return sim.counters.requests(), commits[0]


class KillingCounters(RouteCounters):
    """Counts like the simulator's counters and SIGKILLs the child as the n-th request is
    counted, which the server does before it writes the answer."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n
        self.pid: int | None = None
        self.started = threading.Event()
        self.killed = False

    def add(self, route: str, requests: int = 0, nbytes: int = 0) -> None:
        super().add(route, requests, nbytes)
        if requests and not self.killed and self.requests() >= self.n:
            self.started.wait(timeout=60)  # the pid is set right after the child starts
            if self.pid is not None:
                self.killed = True
                os.kill(self.pid, signal.SIGKILL)


def _child(sim: SimServer, db: Path, n: int, when: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SWANLAB_", "SWANSYNC_"))}
    env["SWANLAB_API_KEY"] = sim.api_key  # not on the command line: ps would show it
    cfg = db.parent / "fast.toml"
    cfg.write_text("backoff = 0.001\nretries = 3\napply_views = false\n", encoding="utf-8")
    cmd = [sys.executable, "-m", "tests.property.killpoint", str(n), when, "--"]
    cmd += ["pull", "--host", sim.url, "--db", str(db), "--source-name", SOURCE]
    cmd += ["--config", str(cfg), "--json"]
    for p in sim.world.projects():
        cmd += ["--project", p]
    return subprocess.Popen(
        cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def _killed_pull(sim: SimServer, db: Path, kill: Kill) -> str:
    """Run one child pull to its kill point; says where it died (or that it finished)."""
    requests, commits = _measure(sim, db)
    total = requests if kill.at == "request" else commits
    n = max(1, math.ceil(kill.share * total))
    counters = KillingCounters(n) if kill.at == "request" else RouteCounters()
    sim.counters = counters
    proc = _child(sim, db, n, "never" if kill.at == "request" else kill.at)
    if isinstance(counters, KillingCounters):
        counters.pid = proc.pid
        counters.started.set()
    _, err = proc.communicate(timeout=300)
    if proc.returncode not in (0, -signal.SIGKILL):
        raise AssertionError(f"pull exited {proc.returncode}: {err.decode(errors='replace')}")
    where = f"{kill.at} {n}/{total}"
    return f"killed at {where}" if proc.returncode else f"finished before reaching {where}"


@examples(ci=4, fuzz=40, shrink_in_ci=False)
@given(
    worlds(max_projects=2, min_runs=1, max_runs=3),
    st.one_of(st.none(), ops(max_ops=3)),
    st.lists(kills, min_size=1, max_size=2),
)
def test_killed_pulls_resume_to_the_truth(
    spec: WorldSpec, moves: list[Op] | None, schedule: list[Kill]
) -> None:
    world = build(spec)
    with tempfile.TemporaryDirectory() as tmp, SimServer(world, port=0) as sim:
        db = Path(tmp) / "w.duckdb"
        settings = settings_for(sim, db)
        if moves is not None:  # the killed pulls are incremental
            assert pull(settings).status == "ok"
            note(f"moved: {apply_round(world, moves)}")
        for kill in schedule:
            what = _killed_pull(sim, db, kill)
            event(what)
            note(what)
        sim.counters = RouteCounters()
        summary = pull(settings)
        assert summary.status == "ok", summary.failures
        assert problems(db, world.truth()) == []

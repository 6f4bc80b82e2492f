"""Shared pieces of the schedule/serving tests: fake pulls, the real pull over a growing source,
the scheduler run in a thread, a warehouse that changes in complete steps, and bounded polling."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

from apscheduler.triggers.interval import IntervalTrigger

from swansync.config import JobConfig, Settings, describe_targets
from swansync.errors import ApiError
from swansync.schedule import JobOutcome, PullFn, TriggerFactory, run_schedule
from swansync.sources.swanlab.plugin import SwanLabCloud
from swansync.sync import PullSummary, pull
from swansync.warehouse import Warehouse
from tests.support.fake_source import FakeRun, FakeSource

REPO = Path(__file__).resolve().parents[2]


def wait_for(cond: Callable[[], bool], timeout: float = 20.0, what: str = "condition") -> None:
    """Poll ``cond`` until true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.01)


def job(name: str, every: int = 60, **kw: Any) -> JobConfig:
    kw.setdefault("sources", (SwanLabCloud(projects=(f"ws/{name}",)),))
    return JobConfig(name=name, every=every, **kw)


def settings(tmp_path: Path, *jobs: JobConfig, **kw: Any) -> Settings:
    kw.setdefault("db", tmp_path / "w.duckdb")
    return Settings(jobs=tuple(jobs), apply_views=False, env={}, **kw)


@dataclass
class FakeSummary:
    id: int | None
    status: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status, "rows": {"metrics": 1}, "failures": []}


@dataclass
class FakePull:
    """Records calls, measures overlap, can be slow (waits on an event, not a clock) or fail."""

    delay: float = 0.0
    fail_every: int = 0  # every Nth call raises
    status: str = "ok"
    calls: list[tuple[str, ...]] = field(default_factory=list)
    stops: list[threading.Event | None] = field(default_factory=list)
    active: int = 0
    max_active: int = 0
    release: threading.Event | None = None  # when set, each call blocks until it is set
    started: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, s: Settings, *, stop: threading.Event | None = None) -> FakeSummary:
        with self._lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
            self.calls.append(tuple(describe_targets(s.sources)))
            self.stops.append(stop)
            n = len(self.calls)
        self.started.set()
        try:
            if self.release is not None:
                self.release.wait(30)
            elif self.delay:
                time.sleep(self.delay)  # stands for the work of a pull, not for synchronisation
            if self.fail_every and n % self.fail_every == 0:
                raise ApiError(f"upstream broke on call {n}", status=503)
            return FakeSummary(n, self.status)
        finally:
            with self._lock:
                self.active -= 1

    def count(self, project: str) -> int:
        with self._lock:
            return sum(1 for c in self.calls if project in c)


class GrowingPull:
    """The real pull against an in-memory source whose running run grows before every pull
    and which gains a run every fifth pull; remembers the true row count per sync id."""

    def __init__(self) -> None:
        self.source = FakeSource(
            [FakeRun("a", ["loss", "acc"], 300), FakeRun("b", ["loss", "acc"], 100, "RUNNING")]
        )
        self.expected: dict[int, int] = {}
        self.n = 0

    def __call__(self, s: Settings, *, stop: threading.Event | None = None) -> PullSummary:
        self.n += 1
        self.source.runs["b"].grow(150)
        if self.n % 5 == 0:
            run = FakeRun(f"new{self.n}", ["loss"], 200)
            self.source.runs[run.run_id] = run
        summary = pull(s, stop=stop, sources=[self.source])
        self.expected[summary.id] = len(self.source.truth_points())
        return summary


def fast(seconds: float) -> TriggerFactory:
    """A trigger factory: every job fires every ``seconds`` (sub-second, for tests)."""
    return lambda j: IntervalTrigger(seconds=seconds, timezone=UTC)


class Daemon:
    """run_schedule in a thread, stopped (and checked to be gone) when the block ends.

    ``pull=None`` runs the real pull; ``on_outcome`` is called after each outcome is recorded."""

    def __init__(
        self,
        s: Settings,
        pull: PullFn | None,
        trigger_factory: TriggerFactory | None,
        *,
        on_outcome: Callable[[JobOutcome], None] | None = None,
        **kw: Any,
    ) -> None:
        self.stop = threading.Event()
        self.outcomes: list[JobOutcome] = []
        self.code: int | None = None
        self._lock = threading.Lock()

        def record(o: JobOutcome) -> None:
            with self._lock:
                self.outcomes.append(o)
            if on_outcome is not None:
                on_outcome(o)

        def target() -> None:
            self.code = run_schedule(
                s,
                stop=self.stop,
                pull_fn=pull,
                trigger_factory=trigger_factory,
                install_signals=False,
                on_outcome=record,
                **kw,
            )

        self.thread = threading.Thread(target=target, daemon=True)

    def __enter__(self) -> Daemon:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(60)
        assert not self.thread.is_alive(), "scheduler did not shut down"

    def n(self) -> int:
        with self._lock:
            return len(self.outcomes)


def make_ledger(db: Path) -> None:
    """A warehouse with the real schema plus a view, used to publish changing states."""
    with Warehouse(db) as wh:
        wh.migrate()
        wh.execute(
            "CREATE OR REPLACE VIEW v_points AS SELECT run_id, count(*) AS n, sum(value) AS total "
            "FROM metrics GROUP BY run_id"
        )
        wh.execute(
            "CREATE OR REPLACE MACRO points_of(r) AS TABLE SELECT * FROM metrics WHERE run_id = r"
        )


def add_step(wh: Warehouse, i: int, rows: int = 1000) -> None:
    """One complete change: ``rows`` metric points for run ``r<i>`` plus its bookmark and a
    sync_log row, in one transaction. After step i: count(metrics) == i * rows."""
    with wh.transaction():
        wh.execute(
            "INSERT INTO _swansync.points SELECT ?, s, s * 1.0, now() FROM range(?) t(s)",
            [i, rows],
        )
        wh.execute(
            "INSERT INTO _swansync.series (source, project, run_id, key, series_id, kind, class, "
            "complete, last_step, points, synced_at) VALUES "
            "('src', 'ws/p', ?, 'loss', ?, 'SCALAR', 'CUSTOM', TRUE, ?, ?, now())",
            [f"r{i}", i, rows - 1, rows],
        )
        wh.execute(
            "INSERT INTO _swansync.sync_log (id, started_at, finished_at, status) "
            "VALUES (?, now(), now(), 'ok')",
            [i],
        )


def assert_ok_until_stopped(outcomes: list[Any]) -> None:
    """Every scheduled pull was ok; only the last may have been interrupted by the stop."""
    statuses = [o.status for o in outcomes]
    assert statuses, "no pull ran"
    bad = [o.log_record() for o in outcomes[:-1] if not o.ok]
    assert not bad, bad
    assert statuses[-1] in ("ok", "interrupted"), outcomes[-1].log_record()

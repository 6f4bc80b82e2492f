"""A source's resume token (``Source.resume``/``RunRecord.cursor``): handed back on the next
pull, committed with the rows it covers, so a growing upstream is read from where the last
committed pull stopped and a crash in between loses nothing."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import pytest

from swansync.config import Settings
from swansync.sources.base import Points, ProjectRecord, RunFilter, RunRecord, SeriesPoints
from swansync.sync import pull
from swansync.warehouse import Warehouse
from tests.support.fake_source import FakeRun, FakeSource


class AppendOnly(FakeSource):
    """Each run is an append-only log of points; the cursor is how many were read. Reading
    from a cursor returns only what came after it, like a byte offset into a growing file."""

    def __init__(self, runs: Sequence[FakeRun]) -> None:
        super().__init__(runs)
        self.cursors: dict[str, int] = {}
        self.read_from: list[tuple[str, int]] = []
        self.extra: dict[str, int] = {}  # non-point records appended (cursor moves, no rows)

    def resume(self, cursors: Mapping[str, Mapping[str, str]]) -> None:
        self.cursors = {rid: int(c) for runs in cursors.values() for rid, c in runs.items()}

    def _length(self, run_id: str) -> int:
        return max(len(p) for p in self.runs[run_id].series.values()) + self.extra.get(run_id, 0)

    def list_runs(
        self, project: ProjectRecord, filters: Sequence[RunFilter] = ()
    ) -> Iterator[RunRecord]:
        for rec in super().list_runs(project, filters):
            rec["cursor"] = str(self._length(rec["run_id"]))
            yield rec

    def scalar_points(
        self,
        project: ProjectRecord,
        run: RunRecord,
        keys: Sequence[str],
        after_step: Mapping[str, int] | None = None,
    ) -> Iterator[Points]:
        start = self.cursors.get(run["run_id"], 0)
        self.read_from.append((run["run_id"], start))
        for batch in super().scalar_points(project, run, keys, after_step):
            assert isinstance(batch, SeriesPoints)
            keep = [i for i, s in enumerate(batch.steps) if s >= start]
            yield SeriesPoints(
                batch.project,
                batch.run_id,
                batch.key,
                [batch.steps[i] for i in keep],
                [batch.values[i] for i in keep],
                [batch.ts_ms[i] for i in keep],
            )


def settings(tmp_path):
    return Settings(db=tmp_path / "w.duckdb", apply_views=False, env={})


def stored(db) -> tuple[set[tuple[str, str, int]], dict[str, str]]:
    with Warehouse(db, read_only=True) as wh:
        points = {(r, k, s) for r, k, s in wh.rows("SELECT run_id, key, step FROM metrics")}
        dupes = wh.rows("SELECT count(*) - count(DISTINCT (run_id, key, step)) FROM metrics")
        cursors = dict(wh.rows("SELECT run_id, cursor FROM _swansync.run_state"))
    assert dupes == [(0,)]
    return points, cursors


def truth(src: FakeSource) -> set[tuple[str, str, int]]:
    return {(r, k, s) for r, k, s, _ in src.truth_points()}


def test_each_pull_reads_from_the_last_committed_cursor(tmp_path):
    src = AppendOnly([FakeRun("a", ["loss"], 10, state="RUNNING")])
    pull(settings(tmp_path), sources=[src])
    assert src.read_from == [("a", 0)]
    assert stored(tmp_path / "w.duckdb") == (truth(src), {"a": "10"})
    src.runs["a"].grow(5)
    pull(settings(tmp_path), sources=[src])
    assert src.read_from[-1] == ("a", 10)  # only what was appended
    assert stored(tmp_path / "w.duckdb") == (truth(src), {"a": "15"})


def test_a_crash_before_the_rows_commit_keeps_the_old_cursor(tmp_path):
    src = AppendOnly([FakeRun("a", ["loss"], 10, state="RUNNING")])
    pull(settings(tmp_path), sources=[src])
    src.runs["a"].grow(5)
    src.fail_after = 1  # the next scalar_points call dies (KeyboardInterrupt: a kill)
    src.calls.clear()
    with pytest.raises(KeyboardInterrupt):
        pull(settings(tmp_path), sources=[src])
    assert stored(tmp_path / "w.duckdb")[1] == {"a": "10"}
    src.fail_after = None
    pull(settings(tmp_path), sources=[src])
    assert src.read_from[-1] == ("a", 10)
    assert stored(tmp_path / "w.duckdb") == (truth(src), {"a": "15"})


def test_a_cursor_moves_on_when_nothing_new_is_written(tmp_path):
    src = AppendOnly([FakeRun("a", ["loss"], 10)])
    pull(settings(tmp_path), sources=[src])
    src.extra["a"] = 3  # records that are not points were appended
    summary = pull(settings(tmp_path), sources=[src])
    assert summary.rows["metrics"] == 0 and src.read_from == [("a", 0)]  # no point read
    assert stored(tmp_path / "w.duckdb")[1] == {"a": "13"}

"""The sync's planning and bookkeeping, on an in-memory source (no HTTP)."""

from __future__ import annotations

from typing import Any

import pytest

from swansync.config import Settings
from swansync.sync import pull
from swansync.warehouse import Warehouse
from tests.support.fake_source import FakeRun, FakeSource
from tests.support.interrupts import query_hit_by_ctrl_c


def settings(tmp_path, **kw):
    return Settings(db=tmp_path / "w.duckdb", apply_views=False, env={}, **kw)


def points(db):
    with Warehouse(db, read_only=True) as wh:
        rows = wh.rows("SELECT run_id, key, step, value FROM metrics")
        dupes = wh.rows(
            "SELECT count(*) FROM (SELECT run_id, key, step FROM metrics "
            "GROUP BY ALL HAVING count(*) > 1)"
        )[0][0]
    assert dupes == 0
    return set(rows)


@pytest.fixture
def source(fake_source):
    return fake_source


def test_full_then_noop(tmp_path, source):
    s = settings(tmp_path)
    first = pull(s, sources=[source])
    assert first.status == "ok"
    assert points(s.db) == source.truth_points()
    calls_before = dict(source.calls)
    second = pull(s, sources=[source])
    assert second.rows["metrics"] == 0
    new_calls = {k: v - calls_before.get(k, 0) for k, v in source.calls.items()}
    # Nothing changed: no metric requests at all, finished or running.
    assert new_calls.get("scalar_points", 0) == 0
    assert new_calls.get("metric_keys", 0) == 0


def test_running_run_grows_and_finishes(tmp_path, source):
    s = settings(tmp_path)
    pull(s, sources=[source])
    source.runs["b"].grow(20)
    second = pull(s, sources=[source])
    assert second.rows["metrics"] == 20
    assert points(s.db) == source.truth_points()
    source.runs["b"].state = "FINISHED"
    pull(s, sources=[source])
    assert points(s.db) == source.truth_points()
    with Warehouse(s.db, read_only=True) as wh:
        assert wh.rows("SELECT state FROM runs WHERE run_id = 'b'") == [("FINISHED",)]
        assert wh.rows("SELECT last_step, points FROM metric_keys WHERE run_id = 'b'") == [(49, 50)]


def test_deleted_run_keeps_rows_and_gets_deleted_at(tmp_path, source):
    s = settings(tmp_path)
    pull(s, sources=[source])
    del source.runs["c"]
    pull(s, sources=[source])
    with Warehouse(s.db, read_only=True) as wh:
        rows = wh.rows("SELECT run_id, deleted_at IS NOT NULL FROM runs ORDER BY run_id")
    assert rows == [("a", False), ("b", False), ("c", True)]


def test_a_run_missed_by_one_listing_is_not_deleted(tmp_path, source):
    s = settings(tmp_path)
    pull(s, sources=[source])
    lists = source.calls["list_runs"]
    source.hide_once = {"a"}  # e.g. another run was deleted while the pages were read
    pull(s, sources=[source])
    assert source.calls["list_runs"] == lists + 2  # listed again to confirm
    with Warehouse(s.db, read_only=True) as wh:
        assert wh.rows("SELECT count(*) FROM runs WHERE deleted_at IS NOT NULL") == [(0,)]
    pull(s, sources=[source])
    assert source.calls["list_runs"] == lists + 3  # nothing missing: one listing


def test_failing_run_is_reported_and_others_land(tmp_path, source):
    source.fail_runs.add("a")
    s = settings(tmp_path)
    summary = pull(s, sources=[source])
    assert summary.status == "partial"
    assert summary.exit_code == 1
    assert [(f.run_id, "broken upstream" in f.reason) for f in summary.failures] == [("a", True)]
    got = points(s.db)
    assert {p for p in source.truth_points() if p[0] == "b"} <= got
    assert not any(p[0] == "a" for p in got)
    source.fail_runs.clear()
    assert pull(s, sources=[source]).status == "ok"
    assert points(s.db) == source.truth_points()


@pytest.mark.parametrize("crash_at", [1, 2])
def test_crash_mid_pull_then_resume_is_exact(tmp_path, source, crash_at):
    s = settings(tmp_path, workers=1)
    pull(s, sources=[source])
    source.runs["b"].grow(10)
    source.runs["a"].state = "RUNNING"  # resumed: every key is looked at again
    source.runs["a"].grow(5)
    source.fail_after = source.calls.get("scalar_points", 0) + crash_at
    with pytest.raises(KeyboardInterrupt):
        pull(s, sources=[source])
    source.fail_after = None
    pull(s, sources=[source])
    assert points(s.db) == source.truth_points()
    with Warehouse(s.db, read_only=True) as wh:
        statuses = [r[0] for r in wh.rows("SELECT status FROM _swansync.sync_log ORDER BY id")]
    assert statuses == ["ok", "interrupted", "ok"]  # KeyboardInterrupt: a second Ctrl-C


def test_a_ctrl_c_inside_a_query_is_recorded_interrupted(tmp_path, source, monkeypatch):
    """A second Ctrl-C raises KeyboardInterrupt at once; landing while DuckDB runs one of the
    pull's queries, it reaches the pull as DuckDB's own error, and is still an interruption."""
    s = settings(tmp_path)
    pull(s, sources=[source])
    source.runs["b"].grow(10)
    real = Warehouse.upsert

    def upsert(self: Warehouse, *args: Any, **kw: Any) -> int:
        query_hit_by_ctrl_c(self.con, tmp_path)  # raises
        return real(self, *args, **kw)

    monkeypatch.setattr(Warehouse, "upsert", upsert)
    with pytest.raises((RuntimeError, KeyboardInterrupt)):
        pull(s, sources=[source])
    monkeypatch.undo()
    with Warehouse(s.db, read_only=True) as wh:
        statuses = [r[0] for r in wh.rows("SELECT status FROM _swansync.sync_log ORDER BY id")]
    assert statuses == ["ok", "interrupted"]
    pull(s, sources=[source])
    assert points(s.db) == source.truth_points()


def test_full_reconciles(tmp_path, source):
    s = settings(tmp_path)
    pull(s, sources=[source])
    source.runs["a"].series["loss"][3] = (3, -1.0)  # upstream rewrote a point
    pull(s, sources=[source])
    assert (("a", "loss", 3, -1.0)) not in points(s.db)
    pull(settings(tmp_path, full=True), sources=[source])
    assert points(s.db) == source.truth_points()


def test_no_system_skips_system_series_keys_and_summaries(tmp_path):
    """SYSTEM is the records' class (the source decides); the sync alone filters on it."""
    src = FakeSource([FakeRun("a", ["loss", "__swanlab__.cpu"], 20)])
    summary = pull(settings(tmp_path, system=False), sources=[src])
    assert summary.status == "ok"
    with Warehouse(tmp_path / "w.duckdb", read_only=True) as wh:
        for table in ("metrics", "metric_keys", "summaries"):
            keys = {r[0] for r in wh.rows(f"SELECT DISTINCT key FROM {table}")}
            assert keys == {"loss"}, table
    summary = pull(settings(tmp_path), sources=[src])  # now with them: only cpu is new
    assert summary.rows["metrics"] == 20

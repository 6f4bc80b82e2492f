"""Consoles and media in the sync, on an in-memory source: what is asked for (bookmarks, the
no-request rule for finished mirrored runs), what lands (exactly once), and what a crash, a
broken source or a bounded download leave behind."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from swansync import console_bookmarks, log_sync
from swansync.config import Settings
from swansync.sync import pull
from swansync.warehouse import Warehouse
from tests.support.fake_source import FakeRun, FakeSource

PNG = b"\x89PNG\r\n\x1a\n"


def settings(tmp_path: Path, **kw: Any) -> Settings:
    return Settings(db=tmp_path / "w.duckdb", apply_views=False, env={}, **kw)


def world() -> FakeSource:
    done = FakeRun("done", ["loss"], 5)
    done.print_lines(30)
    done.log_media("samples", 0, PNG + b"a", PNG + b"b")
    done.log_media("samples", 4, PNG + b"a")  # the same bytes as step 0 #0
    live = FakeRun("live", ["loss"], 5, state="RUNNING")
    live.print_lines(12, level=None)
    live.log_media("samples", 1, PNG + b"c")
    quiet = FakeRun("quiet", ["loss"], 5)  # no console, no media
    return FakeSource([done, live, quiet])


def lines(db: Path) -> list[tuple[str, int, str]]:
    with Warehouse(db, read_only=True) as wh:
        dupes = wh.rows(
            "SELECT count(*) FROM (SELECT run_id, seq FROM logs GROUP BY ALL HAVING count(*) > 1)"
        )[0][0]
        assert dupes == 0
        return [
            (r, int(s), t)
            for r, s, t in wh.rows("SELECT run_id, seq, text FROM logs ORDER BY 1, 2")
        ]


def want_lines(src: FakeSource) -> list[tuple[str, int, str]]:
    return sorted((r.run_id, s, t) for r in src.runs.values() for s, t, _ in r.lines)


def media(db: Path) -> dict[tuple[str, str, int, int], dict[str, Any]]:
    with Warehouse(db, read_only=True) as wh:
        frame = wh.query("SELECT * FROM media")
    return {(r["run_id"], r["key"], r["step"], r["idx"]): r for r in frame.iter_rows(named=True)}


def state(db: Path) -> dict[str, tuple[Any, Any]]:
    with Warehouse(db, read_only=True) as wh:
        rows = wh.rows("SELECT run_id, logs_seq, logs_state FROM _swansync.run_state")
    return {r: (seq, st) for r, seq, st in rows}


def calls_during(src: FakeSource, fn: Any) -> dict[str, int]:
    before = dict(src.calls)
    fn()
    return {k: v - before.get(k, 0) for k, v in src.calls.items() if v - before.get(k, 0)}


def test_consoles_and_media_land_then_finished_runs_cost_nothing(tmp_path: Path) -> None:
    src, s = world(), settings(tmp_path)
    first = pull(s, sources=[src])
    assert first.status == "ok", first.failures
    assert lines(s.db) == want_lines(src)
    assert first.rows["logs"] == 42 and first.rows["media"] == 4
    got = media(s.db)
    assert got[("done", "samples", 0, 0)]["caption"] == "samples 0 #0"
    assert got[("done", "samples", 0, 1)]["caption"] is None
    assert all(m["path"] is None and m["url"] for m in got.values())  # --media list
    assert state(s.db)["done"] == (30, "FINISHED")
    assert state(s.db)["quiet"] == (None, "FINISHED")
    assert state(s.db)["live"] == (12, "RUNNING")
    with Warehouse(s.db, read_only=True) as wh:
        bookmark = wh.rows(
            "SELECT last_step, points FROM metric_keys WHERE run_id = 'done' AND kind = 'MEDIA'"
        )
    assert bookmark == [(4, 3)]
    # Second pull: only the running run is asked (one console read, one media listing).
    calls = calls_during(src, lambda: pull(s, sources=[src]))
    assert calls.get("logs") == 1 and calls.get("media") == 1
    assert "media_content" not in calls


def test_a_running_run_with_nothing_new_is_read_but_nothing_is_written(
    tmp_path: Path, monkeypatch: Any
) -> None:
    src, s = world(), settings(tmp_path)
    pull(s, sources=[src])
    saved: list[Any] = []
    real = console_bookmarks.save_logs

    def spy(*a: Any) -> Any:
        saved.append(a[3:])
        return real(*a)

    monkeypatch.setattr(console_bookmarks, "save_logs", spy)
    calls = calls_during(src, lambda: pull(s, sources=[src]))
    assert calls.get("logs") == 1  # the running run is asked ...
    assert saved == []  # ... and its unchanged bookmark is not written again
    src.runs["live"].print_lines(2)
    pull(s, sources=[src])
    assert saved == [({"live": 14}, {})] and state(s.db)["live"] == (14, "RUNNING")


def test_a_running_run_gets_only_what_is_new_then_is_read_once_more_when_it_ends(
    tmp_path: Path,
) -> None:
    src, s = world(), settings(tmp_path)
    pull(s, sources=[src])
    live = src.runs["live"]
    live.print_lines(5)
    live.log_media("samples", 2, PNG + b"d", PNG + b"e")
    second = pull(s, sources=[src])
    assert second.rows["logs"] == 5 and second.rows["media"] == 2
    assert lines(s.db) == want_lines(src)
    live.state = "FINISHED"
    live.print_lines(1)
    calls = calls_during(src, lambda: pull(s, sources=[src]))
    assert calls.get("logs") == 1 and calls.get("media") == 1
    assert lines(s.db) == want_lines(src) and state(s.db)["live"] == (18, "FINISHED")
    assert calls_during(src, lambda: pull(s, sources=[src])).get("logs") is None


def test_a_crash_mid_console_resumes_exactly(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(log_sync, "BATCH_LINES", 7)
    monkeypatch.setattr(log_sync, "COMMIT_LINES", 7)
    src, s = world(), settings(tmp_path, workers=1)
    src.runs["done"].print_lines(70)  # 100 lines
    src.crash_after_lines = 23
    with pytest.raises(KeyboardInterrupt):
        pull(s, sources=[src])
    partial = lines(s.db)
    assert 0 < len(partial) <= 23
    seqs = state(s.db)
    for rid in ("done", "live"):
        stored = [q for r, q, _ in partial if r == rid]
        assert seqs.get(rid, (None, None))[0] == (max(stored) if stored else None)
    src.crash_after_lines = None
    assert pull(s, sources=[src]).status == "ok"
    assert lines(s.db) == want_lines(src)


def test_lines_whose_number_does_not_go_up_are_dropped_with_a_warning(tmp_path: Path) -> None:
    src, s = world(), settings(tmp_path)
    src.runs["done"].lines.insert(5, (3, "a repeat of line 3", "INFO"))
    summary = pull(s, sources=[src])
    assert [t for r, q, t in lines(s.db) if r == "done" and q == 3] == ["done line 3"]
    assert any("repeat an earlier line number" in w for w in summary.warnings)


def test_a_failing_media_listing_keeps_the_run_open(tmp_path: Path) -> None:
    src, s = world(), settings(tmp_path)
    src.fail_media_runs = {"done"}
    first = pull(s, sources=[src])
    assert first.status == "partial" and [f.run_id for f in first.failures] == ["done"]
    assert lines(s.db) == want_lines(src)  # its console still landed
    assert state(s.db)["done"] == (30, None)
    src.fail_media_runs = set()
    calls = calls_during(src, lambda: pull(s, sources=[src]))
    assert calls.get("media") == 2 and state(s.db)["done"] == (30, "FINISHED")
    assert len([k for k in media(s.db) if k[0] == "done"]) == 3


def test_full_reads_everything_again_and_replaces_the_console(tmp_path: Path) -> None:
    src, s = world(), settings(tmp_path)
    pull(s, sources=[src])
    src.runs["done"].lines[0] = (1, "rewritten upstream", "INFO")
    pull(settings(tmp_path, full=True), sources=[src])
    assert lines(s.db) == want_lines(src)


def test_media_none_skips_media_and_a_later_list_pull_reads_it(tmp_path: Path) -> None:
    src = world()
    none = settings(tmp_path, media="none")
    calls = calls_during(src, lambda: pull(none, sources=[src]))
    assert "media" not in calls and media(none.db) == {}
    assert state(none.db)["done"] == (30, "FINISHED (no media)")
    assert state(none.db)["quiet"] == (None, "FINISHED")
    assert calls_during(src, lambda: pull(none, sources=[src])).get("logs") == 1  # only live
    listed = settings(tmp_path)
    calls = calls_during(src, lambda: pull(listed, sources=[src]))
    assert calls.get("media") == 2 and len(media(listed.db)) == 4


def test_downloads_are_deduplicated_bounded_and_resumable(tmp_path: Path) -> None:
    src = world()
    src.runs["done"].log_media("big", 0, PNG + b"x" * 500)
    src.gone = {("live", "samples", 1, 0)}
    src.break_once = {("done", "samples", 0, 1)}
    s = settings(tmp_path, media="download", media_max_bytes=400)
    first = pull(s, sources=[src])
    assert first.status == "ok", first.failures
    got = media(s.db)
    a = got[("done", "samples", 0, 0)]
    assert a["path"] == got[("done", "samples", 4, 0)]["path"]  # same bytes, one file
    sha = hashlib.sha256(PNG + b"a").hexdigest()
    assert a["path"] == f"media/{sha[:2]}/{sha}.png" and a["bytes"] == len(PNG) + 1
    assert (tmp_path / a["path"]).read_bytes() == PNG + b"a"
    assert got[("done", "samples", 0, 1)]["path"]  # broke once, opened again
    assert got[("done", "big", 0, 0)]["path"] is None
    assert got[("live", "samples", 1, 0)]["path"] is None
    assert sum("over --media-max-bytes" in w for w in first.warnings) == 1
    assert sum("gone upstream" in w for w in first.warnings) == 1
    # Next pull: the gone item is not asked again, the big one is known too big (no request).
    calls = calls_during(src, lambda: pull(s, sources=[src]))
    assert "media_content" not in calls
    # A bigger bound fetches it.
    bigger = settings(tmp_path, media="download", media_max_bytes=1000)
    calls = calls_during(src, lambda: pull(bigger, sources=[src]))
    assert calls.get("media_content") == 1
    assert media(s.db)[("done", "big", 0, 0)]["path"]
    files = [p for p in (tmp_path / "media").rglob("*") if p.is_file()]
    assert len(files) == 3  # a, b and big, each once (live's only item is gone)


def test_the_total_bound_leaves_the_rest_for_the_next_pull(tmp_path: Path) -> None:
    src = world()
    s = settings(tmp_path, media="download", media_max_total_bytes=12, workers=1)
    first = pull(s, sources=[src])
    assert first.status == "ok" and first.media_deferred > 0
    assert any("--media-max-total-bytes" in w for w in first.warnings)
    done = [k for k, m in media(s.db).items() if m["path"]]
    assert 0 < len(done) < 4
    unbounded = settings(tmp_path, media="download", media_max_total_bytes=0)
    pull(unbounded, sources=[src])
    assert all(m["path"] for m in media(s.db).values())


def test_items_over_the_size_bound_are_one_warning_per_run_and_key(tmp_path: Path) -> None:
    src = world()
    for step in range(30):
        src.runs["done"].log_media("big", step, PNG + b"x" * (500 + step))
    s = settings(tmp_path, media="download", media_max_bytes=400)
    first = pull(s, sources=[src])
    over = [w for w in first.warnings if "over --media-max-bytes" in w]
    assert len(over) == 1, first.warnings
    assert "30 item(s)" in over[0] and f"largest {len(PNG) + 529:,} bytes" in over[0]
    assert "'big'" in over[0] and "'done'" in over[0]
    # The next pull knows their sizes without asking: still one line.
    again = pull(s, sources=[src])
    assert len([w for w in again.warnings if "over --media-max-bytes" in w]) == 1

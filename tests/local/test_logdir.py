"""--logdir against real SwanLab log folders (swanlab 0.10.3 and 0.7.20), checked against the
generator's manifest: every run, config leaf and point; incremental reads of a live run."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

import swansync
from swansync.sources.base import Points, SeriesPoints
from swansync.sources.swanlab.logdir import LogDirSource
from tests.local.expect import STATES, config_leaves, folder_digest, load_json, number, same
from tests.local.realenv import LiveRun, RealData
from tests.support.settings import local_settings
from tests.support.sources import resolve_all

pytestmark = pytest.mark.integration

PROJECTS = ("cifar10-resnet", "llm-sft", "rl-cartpole")


def _settings(db: Path, *logdirs: Path, **kw: Any) -> swansync.Settings:
    return local_settings(db, logdirs, **kw)


def check_against_manifest(
    wh: swansync.Warehouse, source: str, project: str, man: dict[str, Any], flavour: str
) -> None:
    """Every run, config leaf, metric key and point of one manifest project in the warehouse."""
    runs = {
        r[0]: r[1:]
        for r in wh.rows(
            "SELECT run_id, name, state, finished_at, config FROM runs "
            "WHERE source = ? AND project = ?",
            [source, project],
        )
    }
    assert set(runs) == {r["run_dir"] for r in man["runs"]}
    for run in man["runs"]:
        rid = run["run_dir"]
        name, state, finished_at, config = runs[rid]
        assert name == run["name"], rid  # includes the dashboard's rename to "baseline-2"
        assert state == STATES[run["expected_status"]], (rid, run["kind"])
        assert (finished_at is None) == run["finish_time_is_null"], rid
        if run["kind"] == "killed":  # died without finishing: honestly still RUNNING upstream
            assert state == "RUNNING" and finished_at is None
        expected_leaves = config_leaves(run["config"], top_none_as_empty=flavour == "new")
        stored = {
            k: load_json(v)
            for k, v in wh.rows(
                "SELECT key, value FROM run_config WHERE source = ? AND run_id = ?", [source, rid]
            )
        }
        assert stored == expected_leaves, rid
        assert load_json(config)["notes"] == run["config"]["notes"]

        keys = {
            k: (kind, complete)
            for k, kind, complete in wh.rows(
                "SELECT key, kind, complete FROM metric_keys WHERE source = ? AND run_id = ? "
                "AND class = 'CUSTOM'",
                [source, rid],
            )
        }
        assert set(keys) == set(run["metrics"]), rid
        for key, m in run["metrics"].items():
            kind, complete = keys[key]
            if m["type"] == "text":
                assert kind == "MEDIA"
                continue
            assert kind == "SCALAR" and complete, (rid, key)
            pts = wh.rows(
                "SELECT step, value FROM metrics WHERE source = ? AND run_id = ? AND key = ? "
                "ORDER BY step",
                [source, rid, key],
            )
            where = (rid, key)
            assert len(pts) == m["count"], where
            assert pts[0][0] == m["first_step"] and pts[-1][0] == m["last_step"], where
            last = number(m["last"])
            if math.isinf(last) and flavour == "old":
                last = math.inf  # 0.7.x writes "INF" for -inf as well: the sign is lost upstream
            assert same(pts[-1][1], last), where
            finite = [v for _, v in pts if math.isfinite(v)]
            assert len(pts) - len(finite) == m["nonfinite"], where
            if finite:
                assert min(finite) == m["min"] and max(finite) == m["max"], where
            s = wh.rows(
                "SELECT last_step, last_value, min_value, max_value FROM summaries "
                "WHERE source = ? AND run_id = ? AND key = ?",
                [source, rid, key],
            )
            assert len(s) == 1, where
            assert s[0][0] == m["last_step"] and same(s[0][1], last), where
            assert (s[0][2], s[0][3]) == (m["min"], m["max"]), where


def test_logdir_pull_matches_manifest_and_leaves_folders_untouched(
    real: RealData, tmp_path: Path
) -> None:
    before = folder_digest(real.root)
    dirs = [real.project_dir(p) for p in PROJECTS]
    summary = swansync.pull(_settings(tmp_path / "w.duckdb", *dirs))
    assert summary.status == "ok", summary.failures
    assert folder_digest(real.root) == before  # no byte, mtime or new file (-wal/-shm) changed

    expected_points = sum(
        m["count"]
        for p in real.manifest["projects"]
        for r in p["runs"]
        for m in r["metrics"].values()
        if m["type"] == "line"
    )
    with swansync.Warehouse(tmp_path / "w.duckdb") as wh:
        custom = wh.rows("SELECT count(*) FROM metrics WHERE NOT starts_with(key, '__swanlab__')")
        assert custom[0][0] == expected_points
        for p in real.manifest["projects"]:
            source = f"logdir:{real.project_dir(p['project']).resolve()}"
            project = f"local/{p['project']}"
            assert wh.rows("SELECT count(*) FROM projects WHERE source = ?", [source]) == [(1,)]
            check_against_manifest(wh, source, project, p, real.flavour)
        # Every metric folder on disk is a key: registered tags, and on 0.7.x the hardware
        # monitor's unregistered folders, named from backup.swanlab as __swanlab__.* keys.
        for run_dir in real.root.glob("*/run-*"):
            on_disk = [p for p in (run_dir / "logs").iterdir() if p.is_dir()]
            keys = wh.rows("SELECT key, class FROM metric_keys WHERE run_id = ?", [run_dir.name])
            assert len(keys) == len(on_disk), run_dir.name
            assert all(k.startswith("__swanlab__.") == (c == "SYSTEM") for k, c in keys)

    again = swansync.pull(_settings(tmp_path / "w.duckdb", *dirs))
    assert again.status == "ok"
    assert again.rows["metrics"] == 0 and again.rows["metric_keys"] == 0
    assert folder_digest(real.root) == before


def test_project_name_and_source_name(real_new: RealData, tmp_path: Path) -> None:
    folder = real_new.project_dir("rl-cartpole")
    src = LogDirSource(folder, project_name="team/cartpole", name="mine")
    [proj] = resolve_all(src)
    assert (src.name, proj["project"], proj["workspace"], proj["name"]) == (
        "mine",
        "team/cartpole",
        "team",
        "cartpole",
    )
    [bare] = resolve_all(LogDirSource(folder, project_name="cp"), [], [])
    assert bare["project"] == "local/cp"
    runs = list(src.list_runs(proj))
    names = sorted(r["name"] or "" for r in runs)
    assert "baseline" in names and "baseline-2" in names
    assert all(r["run_id"].startswith("run-") and (folder / r["run_id"]).is_dir() for r in runs)


def test_filters_are_applied_to_a_log_folder(real_new: RealData, tmp_path: Path) -> None:
    """No server filters local runs: the sync applies state, config and metric filters."""
    p = real_new.project("cifar10-resnet")
    runs = p["runs"]
    last = {r["run_dir"]: number(r["metrics"]["train/loss"]["last"]) for r in runs}
    cut = sorted(last.values())[len(last) // 2]
    cases = {
        "state=FINISHED": {r["run_dir"] for r in runs if STATES[r["db_status"]] == "FINISHED"},
        "config.optim.lr>=0.001": {
            r["run_dir"] for r in runs if r["config"]["optim"]["lr"] >= 1e-3
        },
        f"metric.train/loss<{cut!r}": {d for d, v in last.items() if v < cut},
    }
    folder = real_new.project_dir("cifar10-resnet")
    for i, (expr, want) in enumerate(cases.items()):
        assert 0 < len(want) < len(runs), expr  # each filter really drops some runs
        db = tmp_path / f"f{i}.duckdb"
        summary = swansync.pull(_settings(db, folder, filters=(expr,)))
        assert summary.status == "ok", (expr, summary.failures)
        with swansync.Warehouse(db, read_only=True) as wh:
            assert {r[0] for r in wh.rows("SELECT run_id FROM runs")} == want, expr


def _formula(step: int, key: str) -> float:
    return 1.0 / (step + 1) if key == "train/loss" else step * 0.5


def test_live_run_grows_and_only_new_points_arrive(
    real: RealData, copy_project: Callable[[RealData, str], Path], tmp_path: Path
) -> None:
    folder: Path = copy_project(real, "rl-cartpole")
    first, second = 1100, 150  # crosses the 1,000-point slice boundary of train/loss
    live = LiveRun(real, folder, first, second)
    db = tmp_path / "live.duckdb"
    try:
        run_id = live.wait_phase1()
        src = LogDirSource(folder)
        [proj] = resolve_all(src)
        run = next(r for r in src.list_runs(proj) if r["run_id"] == run_id)
        assert run["state"] == "RUNNING" and run["finished_at"] is None
        got = _series(src.scalar_points(proj, run, ["train/loss", "grow/every5"]))
        assert list(got["train/loss"].steps) == list(range(first))
        assert list(got["grow/every5"].steps) == list(range(0, first, 5))
        assert all(
            v == _formula(s, "train/loss") for s, v in zip(*_cols(got["train/loss"]), strict=True)
        )

        s1 = swansync.pull(_settings(db, folder))
        assert s1.status == "ok", s1.failures
        live.go()
        live.wait_finished()
    finally:
        live.stop()

    src = LogDirSource(folder)
    [proj] = resolve_all(src)
    run = next(r for r in src.list_runs(proj) if r["run_id"] == run_id)
    assert run["state"] == "FINISHED"
    after = {"train/loss": first - 1, "grow/every5": first - 5}
    new = _series(src.scalar_points(proj, run, list(after), after))
    assert list(new["train/loss"].steps) == list(range(first, first + second))
    assert list(new["grow/every5"].steps) == list(range(first, first + second, 5))
    for key, pts in new.items():
        assert all(v == _formula(s, key) for s, v in zip(*_cols(pts), strict=True)), key

    s2 = swansync.pull(_settings(db, folder))
    assert s2.status == "ok", s2.failures
    assert s2.rows["metrics"] == second + len(range(first, first + second, 5))
    with swansync.Warehouse(db) as wh:
        rows = wh.rows("SELECT key, step, value FROM metrics WHERE run_id = ?", [run_id])
        assert len(rows) == first + second + len(range(0, first + second, 5))
        assert all(v == _formula(s, k) for k, s, v in rows)
        assert wh.rows("SELECT state FROM runs WHERE run_id = ?", [run_id]) == [("FINISHED",)]


def _series(points: Iterable[Points]) -> dict[str, SeriesPoints]:
    out = {p.key: p for p in points if isinstance(p, SeriesPoints)}
    assert all(p.complete for p in out.values())
    return out


def _cols(pts: SeriesPoints) -> tuple[list[int], list[float | None]]:
    return list(pts.steps), list(pts.values)

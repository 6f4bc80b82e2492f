"""A log folder caught mid-write: half-written last line, empty _summary.json, a run registered
in the database whose folder has no files yet (or no folder at all)."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from swansync.sources.base import SeriesPoints
from swansync.sources.swanlab.logdir import LogDirSource
from tests.local.realenv import RealData
from tests.support.sources import resolve_all, summaries_of

pytestmark = pytest.mark.integration


def _add_experiment(folder: Path, run_id: str, exp_id: int) -> None:
    """Register a run the way swanboard does before the SDK has written anything (our copy)."""
    con = sqlite3.connect(folder / "runs.swanlab")
    cols = [r[1] for r in con.execute("PRAGMA table_info(experiment)")]
    row = dict(
        zip(cols, con.execute("SELECT * FROM experiment WHERE id = 1").fetchone(), strict=True)
    )
    row.update(
        id=exp_id, run_id=run_id, name=f"fresh-{exp_id}", sort=exp_id, status=0, finish_time=None
    )
    con.execute(
        f"INSERT INTO experiment ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
        [row[c] for c in cols],
    )
    con.commit()
    con.close()


def test_tolerates_a_folder_being_written(
    real_new: RealData, copy_project: Callable[[RealData, str], Path]
) -> None:
    folder = copy_project(real_new, "cifar10-resnet")
    man = real_new.project("cifar10-resnet")
    run_man = next(r for r in man["runs"] if r["kind"] == "finished")
    run_dir = folder / run_man["run_dir"]
    src = LogDirSource(folder)
    [proj] = resolve_all(src)
    run = next(r for r in src.list_runs(proj) if r["run_id"] == run_man["run_dir"])
    loss = next(
        k["key"] for k in src.metric_keys(proj, run) if k["key"] == "train/loss"
    )  # registered
    tag_folder = next(
        p for p in (run_dir / "logs").iterdir() if (p / "1000.log").read_bytes().count(b"\n") == 200
    )
    # The SDK is mid-append on the slice and mid-rewrite of the summary.
    with (tag_folder / "1000.log").open("ab") as f:
        f.write(b'{"index": 200, "data": 0.12')
    (tag_folder / "_summary.json").write_bytes(b"")
    # Two runs swanboard registered before their files exist.
    (folder / "run-20990101_000000-nofiles1").mkdir()
    _add_experiment(folder, "run-20990101_000000-nofiles1", 101)
    _add_experiment(folder, "run-20990101_000001-nofolder", 102)

    src = LogDirSource(folder)
    [proj] = resolve_all(src)
    runs = {r["run_id"]: r for r in src.list_runs(proj)}
    assert {"run-20990101_000000-nofiles1", "run-20990101_000001-nofolder"} <= set(runs)
    for rid in ("run-20990101_000000-nofiles1", "run-20990101_000001-nofolder"):
        detail = src.run_detail(proj, runs[rid])
        assert detail["config"] == {} and detail["metadata"] == {}
        assert detail["state"] == "RUNNING" and detail["finished_at"] is None
        assert src.metric_keys(proj, runs[rid]) == []
    sums = summaries_of(src, proj, list(runs.values()))
    assert sums["run-20990101_000000-nofiles1"] == []

    run = runs[run_man["run_dir"]]
    keys = [k["key"] for k in src.metric_keys(proj, run) if k["kind"] == "SCALAR"]
    assert loss in keys
    points = {p.key: p for p in src.scalar_points(proj, run, keys) if isinstance(p, SeriesPoints)}
    for key in keys:
        m = run_man["metrics"][key]
        assert len(points[key].steps) == m["count"], key  # the half line is not a point
        assert points[key].steps[-1] == m["last_step"], key
    # The key whose summary was caught empty is summarised from its points instead.
    by_key = {s["key"]: s for s in sums[run_man["run_dir"]]}
    for key in keys:
        m, s = run_man["metrics"][key], by_key[key]
        assert s["last_step"] == m["last_step"], key
        assert (s["min_value"], s["max_value"]) == (m["min"], m["max"]), key
        if isinstance(m["last"], float):
            assert s["last_value"] == m["last"], key
        else:
            assert s["last_value"] is not None and math.isnan(s["last_value"]), key

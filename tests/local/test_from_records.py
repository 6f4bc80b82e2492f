"""world_from_source on hand-made records (no real SDK needed): what the cloud path then serves.

The cases real log folders do not reach: irregular steps (the export's merged path), grids that
start elsewhere, a repeated step, a non-numeric point, points handed over as a wide CSV, a media
key, missing user/cluster/job, flat and nested configs."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import swansync
from swansync.errors import DataError, NotFoundError
from swansync.sources.base import (
    Counters,
    CsvPoints,
    LogRecord,
    MediaBody,
    MediaRecord,
    MetricKeyRecord,
    Points,
    ProjectRecord,
    RunFilter,
    RunKey,
    RunRecord,
    SeriesPoints,
    SummaryRecord,
)
from tests.support.from_records import world_from_source
from tests.support.settings import sim_settings
from trackersim.swanlab import SimServer

T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
NAN, INF = math.nan, math.inf
Point = tuple[int, float | None, int | None]

# run -> key -> points (step, value, ts_ms), in the order the source yields them
SERIES: dict[str, dict[str, list[Point]]] = {
    "r1": {
        "irregular": [
            (0, 1.5, 1000),
            (3, NAN, 1003),
            (4, INF, 1004),
            (10, -INF, 1010),
            (11, 0.1, 1011),
        ],
        "from5/every5": [(5, 2.0, 2005), (10, 2.5, 2010), (15, 1.0 / 3.0, 2015)],
        "dense": [(0, 0.25, 3000), (1, 0.5, 3001), (2, 0.75, 3002)],
        "repeated": [(0, 1.0, 4000), (1, 2.0, 4001), (1, 9.0, 4002), (2, 3.0, 4003)],
        "with_null": [(0, 1.0, 5000), (1, None, 5001), (2, 3.0, 5002)],
    },
    "r2": {  # one shared step grid (7, 9, 11, ...): the export's aligned path
        "a": [(7, 1e-300, 6007), (9, -0.0, 6009)],
        "b": [(7, 5e300, 6100), (9, 1.0, 6101)],
        "c": [(7, 1.0, 6200), (9, 2.0, 6201), (11, 3.0, 6202)],
    },
}
MEDIA = {"r1": ["samples/text"], "r2": []}


def _expected(points: list[Point]) -> list[tuple[int, float]]:
    """Our own reading of what the cloud copy must hold: last value per step, numbers only."""
    latest: dict[int, float | None] = {}
    for step, value, _ in points:
        latest[step] = value
    return [(s, v) for s, v in sorted(latest.items()) if v is not None]


class HandMade:
    """A Source over the dicts above; run r2 hands its points over as one wide CSV.
    Run r1's keys lie on different step grids, so the export takes its merged path."""

    name = "handmade"

    def __init__(self) -> None:
        self.counters = Counters()
        self.project: ProjectRecord = {
            "project": "anywhere/demo",
            "project_id": "7",
            "workspace": "anywhere",
            "name": "demo",
            "description": None,
            "visibility": None,
            "labels": [],
            "run_count": 2,
            "created_at": T0,
            "updated_at": T0,
            "url": None,
            "raw": {},
        }

    @property
    def targets(self) -> tuple[str, ...]:
        return ("anywhere/demo",)

    def resolve(self, target: str) -> list[ProjectRecord]:
        return [self.project]

    def _run(self, run_id: str, i: int) -> RunRecord:
        return {
            "project": "anywhere/demo",
            "run_id": run_id,
            "slug": str(i + 1),
            "name": f"run {i}",
            "description": None,
            "state": ["FINISHED", "RUNNING"][i],
            "cluster": None,
            "job": None,
            "labels": ["x"] if i == 0 else [],
            "username": None,
            "created_at": T0 + timedelta(seconds=i),
            "finished_at": T0 + timedelta(minutes=5) if i == 0 else None,
            "url": None,
            "config": None,
            "metadata": None,
            "requirements": None,
            "conda": None,
            "pinned": None,
            "project_id": "7",
            "root_project_id": None,
            "root_run_id": None,
            "raw": {},
            "has_profile": False,
            "change_marker": "",
        }

    def resume(self, cursors: Mapping[str, Mapping[str, str]]) -> None:
        """Nothing to resume: every pull lists afresh."""

    def list_runs(self, project: ProjectRecord, filters: Sequence[RunFilter] = ()) -> Iterator[Any]:
        yield from (self._run(r, i) for i, r in enumerate(SERIES))

    def run_detail(self, project: ProjectRecord, run: RunRecord) -> RunRecord:
        flat = {"lr": 0.1}
        nested = {"model": {"depth": 50, "act": None}, "tags": []}
        config = flat if run["run_id"] == "r1" else nested
        return {**run, "config": config, "metadata": {"m": 1}, "has_profile": True}

    def summaries(
        self, groups: Sequence[tuple[ProjectRecord, Sequence[RunRecord]]]
    ) -> Mapping[RunKey, list[SummaryRecord]]:
        return {(p["project"], r["run_id"]): [] for p, runs in groups for r in runs}

    def logs(
        self, project: ProjectRecord, run: RunRecord, after_seq: int | None
    ) -> Iterator[LogRecord]:
        return iter(())

    def media(
        self,
        project: ProjectRecord,
        run: RunRecord,
        keys: Sequence[str],
        after_step: Mapping[str, int] | None = None,
    ) -> Iterator[MediaRecord]:
        return iter(())

    def media_content(self, project: ProjectRecord, run: RunRecord, item: MediaRecord) -> MediaBody:
        raise NotFoundError(f"{item['key']} step {item['step']}: no media here")

    def warnings(self) -> list[str]:
        return []

    def metric_keys(self, project: ProjectRecord, run: RunRecord) -> list[MetricKeyRecord]:
        rid = run["run_id"]
        out: list[MetricKeyRecord] = [
            {
                "project": "anywhere/demo",
                "run_id": rid,
                "key": k,
                "kind": "SCALAR",
                "klass": "CUSTOM",
            }
            for k in SERIES[rid]
        ]
        out += [
            {
                "project": "anywhere/demo",
                "run_id": rid,
                "key": k,
                "kind": "MEDIA",
                "klass": "CUSTOM",
            }
            for k in MEDIA[rid]
        ]
        return out

    def scalar_points(
        self,
        project: ProjectRecord,
        run: RunRecord,
        keys: Sequence[str],
        after_step: Mapping[str, int] | None = None,
    ) -> Iterator[Points]:
        rid = run["run_id"]
        if rid == "r2":
            yield _wide_csv(rid, list(keys))
            return
        for key in keys:
            steps, values, ts = zip(*SERIES[rid][key], strict=True)
            yield SeriesPoints("anywhere/demo", rid, key, steps, values, ts)

    def close(self) -> None:
        pass


def _wide_csv(rid: str, keys: list[str]) -> CsvPoints:
    cells: dict[int, list[str]] = {}
    for i, key in enumerate(keys):
        for step, value, ts in SERIES[rid][key]:
            row = cells.setdefault(step, [""] * (2 * len(keys)))
            row[2 * i], row[2 * i + 1] = repr(value), str(ts)
    lines = ["step," + ",".join(f"{k}_v,{k}_t" for k in keys)]
    lines += [f"{s}," + ",".join(cells[s]) for s in sorted(cells)]
    return CsvPoints("anywhere/demo", rid, keys, ("\n".join(lines) + "\n").encode())


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or (
        a == b and math.copysign(1, a) == math.copysign(1, b)
    )


def test_world_holds_the_records_and_the_cloud_path_serves_them(tmp_path: Path) -> None:
    world = world_from_source(HandMade())
    assert world.projects() == ["local/demo"]
    again = world_from_source(HandMade())
    assert sorted(world.run_map) == sorted(again.run_map)  # ids are deterministic

    db = tmp_path / "w.duckdb"
    with SimServer(world, port=0) as sim:
        summary = swansync.pull(
            sim_settings(
                sim,
                db,
                projects=("local/demo",),
                apply_views=False,
                env={},
            )
        )
    assert summary.status == "ok", summary.failures
    with swansync.Warehouse(db) as wh:
        runs = {
            r[0]: r[1:]
            for r in wh.rows(
                "SELECT slug, run_id, name, state, username, cluster, job, labels, created_at, "
                "finished_at FROM runs"
            )
        }
        assert set(runs) == {"1", "2"}
        rid1, name, state, user, cluster, job, labels, created, finished = runs["1"]
        assert (name, state, user, cluster, job, labels) == (
            "run 0",
            "FINISHED",
            None,
            None,
            None,
            ["x"],
        )
        assert created == T0.replace(microsecond=123000)  # the wire carries milliseconds
        assert finished == (T0 + timedelta(minutes=5)).replace(microsecond=123000)
        assert runs["2"][1:3] == ("run 1", "RUNNING") and runs["2"][-1] is None
        rid_of = {"r1": rid1, "r2": runs["2"][0]}

        config = dict(wh.rows("SELECT run_id || ':' || key, value FROM run_config"))
        assert config == {
            f"{rid1}:lr": "0.1",
            f"{rid_of['r2']}:model.depth": "50",
            f"{rid_of['r2']}:model.act": "null",
            f"{rid_of['r2']}:tags": "[]",
        }
        kinds = dict(wh.rows("SELECT key, kind FROM metric_keys WHERE run_id = ?", [rid1]))
        assert kinds == {**dict.fromkeys(SERIES["r1"], "SCALAR"), "samples/text": "MEDIA"}

        for run, series in SERIES.items():
            for key, points in series.items():
                got = wh.rows(
                    "SELECT step, value, epoch_ms(ts) FROM metrics WHERE run_id = ? AND key = ? "
                    "ORDER BY step",
                    [rid_of[run], key],
                )
                want = _expected(points)
                assert [s for s, _, _ in got] == [s for s, _ in want], (run, key)
                assert all(_same(g[1], w[1]) for g, w in zip(got, want, strict=True)), (run, key)
                stamps = {s: t for s, v, t in points if v is not None}  # last one per step
                assert [t for _, _, t in got] == [stamps[s] for s, _, _ in got], (run, key)


def test_a_point_without_timestamp_is_refused() -> None:
    source = HandMade()

    def points(*_: Any, **__: Any) -> Iterator[Points]:
        yield SeriesPoints("anywhere/demo", "r1", "k", [0], [1.0], [None])

    source.scalar_points = points  # type: ignore[method-assign]
    with pytest.raises(DataError, match="no timestamp"):
        world_from_source(source)

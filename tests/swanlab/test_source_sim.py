"""The full SwanLabSource against the simulated cloud, world "small", compared with
``world.truth()``; with the simulator's switches for the spec's open questions flipped too."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest

from swansync.errors import AuthError, NotFoundError, RetriableApiError
from swansync.filters import parse_filter
from swansync.sources.base import CsvPoints, ProjectRecord, Rejected, RunRecord
from swansync.sources.swanlab.cloud.source import SwanLabSource
from trackersim.swanlab import build_world
from trackersim.swanlab.faults import Faults
from trackersim.swanlab.server import SimServer
from trackersim.swanlab.truth import rows


def runs_of(src: SwanLabSource, p: Any, filters: Any = ()) -> list[RunRecord]:
    """The listed runs; a rejected (malformed) item fails the test."""
    out: list[RunRecord] = []
    for item in src.list_runs(p, filters):
        assert not isinstance(item, Rejected), item
        out.append(item)
    return out


def same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return (math.isnan(a) and math.isnan(b)) or a == b


def read_csv_points(pts: CsvPoints) -> Iterator[tuple[str, int, float, datetime]]:
    """A small independent reader of the export layout: step, then (value, ts-ms) per key."""
    reader = csv.reader(io.StringIO(pts.data.decode()))
    next(reader, None)
    for row in reader:
        assert len(row) == 1 + 2 * len(pts.keys)
        for i, key in enumerate(pts.keys):
            value, ts = row[1 + 2 * i], row[2 + 2 * i]
            if value != "":
                when = datetime.fromtimestamp(int(float(ts)) / 1000, UTC)
                yield key, int(row[0]), float(value), when


def mirror(src: SwanLabSource, workspaces: list[str]) -> dict[str, Any]:
    projects = src.resolve_targets([], workspaces)
    out: dict[str, Any] = {
        "projects": projects,
        "runs": [],
        "keys": set(),
        "sums": {},
        "points": {},
    }

    def per_run(job: tuple[ProjectRecord, RunRecord]) -> tuple[RunRecord, Any, Any]:
        p, r = job
        d = src.run_detail(p, r) if not r["has_profile"] else r
        keys = src.metric_keys(p, d)
        scalar = [k["key"] for k in keys if k["kind"] == "SCALAR"]
        pts = list(src.scalar_points(p, d, scalar))
        return d, keys, pts

    jobs = []
    for p in projects:
        runs = runs_of(src, p)
        out["sums"].update(src.summaries(p, runs))
        jobs += [(p, r) for r in runs]
    with ThreadPoolExecutor(4) as pool:  # the source must be thread-safe
        for d, keys, pts in pool.map(per_run, jobs):
            out["runs"].append(d)
            out["keys"] |= {(d["run_id"], k["key"], k["kind"], k["klass"]) for k in keys}
            for batch in pts:
                assert isinstance(batch, CsvPoints)
                for key, step, value, ts in read_csv_points(batch):
                    assert (d["run_id"], key, step) not in out["points"]
                    out["points"][(d["run_id"], key, step)] = (value, ts)
    return out


OPTION_SETS = [
    {},
    {
        "path_style": "at",
        "summary_shape": "modern",
        "login_status": 201,
        "run_updated_at": False,
        "run_project_id": False,
        "list_profile": "none",
        "strict_page_size": True,
    },
    {"path_style": "slash", "list_profile": "full"},
]


@pytest.fixture(params=range(len(OPTION_SETS)), ids=["default", "variant-a", "variant-b"])
def served(request: pytest.FixtureRequest) -> Iterator[Any]:
    world = build_world("small", seed=0)
    world.options.update(OPTION_SETS[request.param])
    with SimServer(world, port=0) as s:
        yield s


def unwrap(config: dict[str, Any] | None) -> dict[str, Any]:
    from swansync.transform import unwrap_config

    return unwrap_config(config)


def test_small_world_equals_truth(served: Any) -> None:
    world = served.world
    truth = world.truth()
    src = SwanLabSource(served.url, served.api_key, backoff=0.01, name="sim")
    got = mirror(src, list(world.workspaces))

    # projects
    t_projects = {r["project"]: r for r in rows(truth["projects"])}
    assert {p["project"] for p in got["projects"]} == set(t_projects)
    for p in got["projects"]:
        t = t_projects[p["project"]]
        for col in (
            "project_id",
            "workspace",
            "name",
            "description",
            "visibility",
            "labels",
            "run_count",
            "created_at",
            "updated_at",
        ):
            assert p[col] == t[col], (p["project"], col)

    # runs (live ones are listed; deleted ones are not)
    t_runs = {r["run_id"]: r for r in rows(truth["runs"]) if not r["deleted"]}
    by_id = {r["run_id"]: r for r in got["runs"]}
    assert set(by_id) == set(t_runs)
    for rid, t in t_runs.items():
        r = by_id[rid]
        assert r["has_profile"]
        for col in (
            "project",
            "slug",
            "name",
            "description",
            "state",
            "cluster",
            "job",
            "labels",
            "username",
            "created_at",
            "finished_at",
            "metadata",
            "requirements",
            "conda",
            "pinned",
            "root_project_id",
            "root_run_id",
        ):
            assert r[col] == t[col], (rid, col)
        assert unwrap(r["config"]) == t["config"], rid

    # metric keys
    t_keys = {(k["run_id"], k["key"], k["kind"], k["class"]) for k in rows(truth["metric_keys"])}
    assert got["keys"] == t_keys

    # summaries
    t_sums = {(s["run_id"], s["key"]): s for s in rows(truth["summaries"])}
    g_sums = {(s["run_id"], s["key"]): s for recs in got["sums"].values() for s in recs}
    assert set(g_sums) == set(t_sums)
    for k, t in t_sums.items():
        g = g_sums[k]
        assert g["last_step"] == t["last_step"] and g["min_step"] == t["min_step"], k
        assert g["max_step"] == t["max_step"], k
        for col in ("last_value", "min_value", "max_value"):
            assert same(g[col], t[col]), (k, col)

    # every point, full resolution
    t_points = {
        (p["run_id"], p["key"], p["step"]): (p["value"], p["ts"]) for p in rows(truth["metrics"])
    }
    assert set(got["points"]) == set(t_points)
    for pk, (value, ts) in t_points.items():
        g_value, g_ts = got["points"][pk]
        assert same(g_value, value) and g_ts == ts, pk

    assert src.counters.requests > 0 and src.counters.bytes > 0
    assert served.api_key not in repr(src.counters.by_route)


def test_filters_against_sim() -> None:
    world = build_world("small", seed=0)
    with SimServer(world, port=0) as s:
        src = SwanLabSource(s.url, s.api_key, backoff=0.01)
        truth_runs = [r for r in rows(world.truth(metrics=False)["runs"]) if not r["deleted"]]
        for p in src.resolve_targets([], list(world.workspaces)):
            want = {
                r["run_id"]
                for r in truth_runs
                if r["project"] == p["project"] and r["state"] == "FINISHED"
            }
            got = {r["run_id"] for r in runs_of(src, p, [parse_filter("state=FINISHED")])}
            assert got == want, p["project"]


def test_unknown_targets_and_bad_key() -> None:
    world = build_world("small", seed=0)
    with SimServer(world, port=0) as s:
        src = SwanLabSource(s.url, s.api_key, backoff=0.01)
        with pytest.raises(NotFoundError, match="nope/none"):
            src.resolve_targets(["nope/none"], [])
        with pytest.raises(NotFoundError, match="no-such-team"):
            src.resolve_targets([], ["no-such-team"])
        bad = SwanLabSource(s.url, "WrongKey0000000000000", backoff=0.01)
        with pytest.raises(AuthError) as e:
            bad.resolve_targets(["alice/mnist-sweep"], [])
        assert "WrongKey0000000000000" not in str(e.value)


def test_faults_are_absorbed() -> None:
    world = build_world("small", seed=0)
    faults = Faults(rate_429=0.1, rate_5xx=0.1, rate_reset=0.05, seed=4)
    with SimServer(world, port=0, faults=faults) as s:
        src = SwanLabSource(s.url, s.api_key, backoff=0.001, retries=8)
        p = src.resolve_targets(["alice/mnist-sweep"], [])[0]
        runs = runs_of(src, p)
        want = {r for r in world.runs("alice/mnist-sweep")}
        assert {r["run_id"] for r in runs} == want
        run = next(r for r in runs if r["state"] == "FINISHED")
        keys = [k["key"] for k in src.metric_keys(p, run) if k["kind"] == "SCALAR"]
        batches = [b for b in src.scalar_points(p, run, keys) if isinstance(b, CsvPoints)]
        got = {(k, st) for b in batches for k, st, _, _ in read_csv_points(b)}
        want_pts = {(k, st) for k in keys for st, _, _ in world.iter_points(run["run_id"], k)}
        assert got == want_pts
        # draws are a function of (seed, request, attempt): this seed meets >= 3 faults
        assert faults.injected.total() >= 3  # faults really happened and were retried


def test_run_failing_for_good_is_an_error() -> None:
    world = build_world("small", seed=0)
    with SimServer(world, port=0) as s:
        src = SwanLabSource(s.url, s.api_key, backoff=0.001, retries=2)
        p = src.resolve_targets(["alice/mnist-sweep"], [])[0]
        run = runs_of(src, p)[0]
        s.faults = Faults(fail_runs={run["run_id"]: 500})
        with pytest.raises(RetriableApiError) as e:
            src.metric_keys(p, run)
        assert e.value.status == 500 and s.api_key not in str(e.value)

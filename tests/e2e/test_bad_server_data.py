"""Malformed answers from the server: a clear error for that object, nothing else lost."""

from __future__ import annotations

import pytest

from swansync.sync import pull
from trackersim.swanlab import (  # patched to corrupt answers
    SimServer,
    build_world,
    routes_core,
    routes_house,
)
from trackersim.swanlab.proto import json_response
from trackersim.swanlab.render import run_obj

from .compare import compare
from .conftest import settings_for


@pytest.fixture
def demo():
    world = build_world("demo", seed=5, hostile=True)
    with SimServer(world, port=0) as sim:
        yield sim


def _only_other_runs(problems, victim):
    return [p for p in problems if victim not in p]


@pytest.mark.parametrize(
    "corruption",
    [
        {"createdAt": "not a date"},
        {"labels": "oops", "state": 42},
        {"profile": "garbage", "user": []},
        {"cuid": None},
    ],
    ids=["bad-date", "wrong-types", "bad-profile", "no-id"],
)
def test_one_malformed_run_object(demo, tmp_path, monkeypatch, corruption):
    world = demo.world
    victim = world.runs(world.projects()[0])[1]
    real = run_obj

    def broken(run, options, profile):
        obj = real(run, options, profile)
        if run.cuid == victim:
            obj.update(corruption)
        return obj

    monkeypatch.setattr(routes_core, "run_obj", broken)  # the route looks it up at call time
    s = settings_for(demo, tmp_path / "w.duckdb")
    summary = pull(s)
    assert summary.status == "partial"
    assert summary.failures, "the bad object is reported"
    for f in summary.failures:
        assert f.run_id in (victim, None)
        assert "\n" not in f.reason
    # Every other run landed exactly.
    assert _only_other_runs(compare(s.db, world.truth(), "sim"), victim) == []


def test_malformed_json_from_summaries(demo, tmp_path, monkeypatch):
    def truncated(data, status=200):
        resp = json_response(data, status)
        body = resp.body
        summaries_like = isinstance(data, dict) and data
        if summaries_like and all(isinstance(v, dict | None) for v in data.values()):
            assert isinstance(body, bytes)
            resp.body = body[: len(body) // 2]  # cut mid-JSON
        return resp

    monkeypatch.setattr(routes_house, "json_response", truncated)
    # Every summaries answer stays broken: each retry (and each smaller batch the pull tries to
    # isolate the bad run) meets it again, so keep the retry budget small.
    s = settings_for(demo, tmp_path / "w.duckdb", retries=1)
    summary = pull(s)
    assert summary.status == "partial"
    assert any("summar" in f.reason for f in summary.failures)
    monkeypatch.undo()
    truth = demo.world.truth()
    problems = compare(s.db, truth, "sim")
    # Only summaries are missing; every run, config and point landed.
    assert problems
    assert all(p.startswith("summaries") for p in problems), problems
    assert pull(s).status == "ok"
    # A fresh truth: reading a running run's console makes it print more (hostile world).
    assert compare(s.db, demo.world.truth(), "sim") == []

"""Filters: what is pushed down to W&B (only what the server answers exactly or more loosely)
and pulls with filters that hold exactly the runs the truth says pass them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import swansync
from swansync.filters import parse_filter
from swansync.sources.wandb.cloud import listing
from swansync.sources.wandb.cloud.filters import filter_document, to_wandb
from trackersim.wandb import SimServer, World

from .compare import compare
from .conftest import SOURCE, settings, spy_source
from .expected import STATES, expected


@pytest.mark.parametrize(
    ("expr", "doc"),
    [
        ("state=FINISHED", {"state": {"$in": ["finished"]}}),
        (
            "state=CRASHED,ABORTED",
            {"state": {"$in": ["aborted", "crashed", "failed", "killed", "preempted"]}},
        ),
        ("state!=RUNNING", {"state": {"$nin": ["pending", "preempting", "running"]}}),
        ("label=a/b", {"tags": {"$in": ["a/b"]}}),
        ("label!=x,y", {"tags": {"$nin": ["x", "y"]}}),
        ("cluster=g-1", {"group": {"$in": ["g-1"]}}),
        ("job!=eval", {"jobType": {"$nin": ["eval"]}}),
        ("username=bob", {"username": {"$in": ["bob"]}}),
        ("created_at>=2025-01-01T02:00", {"createdAt": {"$gte": "2025-01-01T01:59:59"}}),
        ("finished_at<2025-01-02", {"heartbeatAt": {"$lte": "2025-01-02T00:00:01"}}),
        ("config.optimizer.name=adam", {"config.optimizer.name": {"$in": ["adam"]}}),
        (
            "config.lr=0.001",
            {"$or": [{"config.lr": {"$in": [0.001]}}, {"config.lr": {"$regex": ""}}]},
        ),
        ("config.flag=true", {"config.flag": {"$in": ["true", True]}}),
    ],
)
def test_pushed_down(expr: str, doc: dict[str, Any]) -> None:
    assert to_wandb(parse_filter(expr)) == doc


@pytest.mark.parametrize(
    "expr",
    [
        "label~a",
        "name~sweep",
        "cluster=1",  # the client compares 1 and 1.0 as equal, a server compares text
        "description=x",
        "created_at=2025-01-01",
        "config.lr>=0.001",
        "config.lr!=0.001",
        "config.xs=[1, 2]",
        "metric.loss<=0.5",
    ],
)
def test_not_pushed_down(expr: str) -> None:
    assert to_wandb(parse_filter(expr)) is None


def test_several_filters_are_anded() -> None:
    doc = filter_document(
        [parse_filter("state=FINISHED"), parse_filter("label~x"), parse_filter("job=train")]
    )
    assert doc == {"$and": [{"state": {"$in": ["finished"]}}, {"jobType": {"$in": ["train"]}}]}


def _passes(run: dict[str, Any], expr: str) -> bool:
    """The filters of the pull test, said in terms of the truth (independent of swansync)."""
    if expr == "state=FINISHED":
        return STATES[run["state"]] == "FINISHED"
    if expr == "label=a/b":
        return "a/b" in run["tags"]
    if expr == "config.optimizer.name=sgd":
        return bool(run["config"].get("optimizer", {}).get("name") == "sgd")
    if expr == "config.lr=0.001":
        return bool(run["config"].get("lr") == 0.001)
    if expr == "created_at>=2025-01-01T10:00":
        return bool(run["created_at"] >= datetime(2025, 1, 1, 10, tzinfo=UTC))
    if expr == "job!=eval":
        return bool(run["job_type"] != "eval")
    raise AssertionError(expr)


EXPRS = [
    ("state=FINISHED", "label=a/b"),
    ("config.optimizer.name=sgd", "config.lr=0.001"),
    ("created_at>=2025-01-01T10:00", "job!=eval"),
]


@pytest.mark.parametrize("exprs", EXPRS, ids=" & ".join)
def test_a_filtered_pull_holds_exactly_the_runs_that_pass(
    sim: SimServer, world: World, db: Path, exprs: tuple[str, ...]
) -> None:
    project = "alice/sweep"
    source, sent = spy_source(sim, (project,))
    try:
        summary = swansync.pull(settings(sim, db, (project,), filters=exprs), sources=[source])
    finally:
        source.close()
    assert summary.status == "ok", summary.failures
    truth = world.truth()
    keep = {
        r["run_id"]
        for r in truth["runs"]
        if r["project"] == project and not r["deleted"] and all(_passes(r, e) for e in exprs)
    }
    assert 0 < len(keep) < 120
    want = expected(truth, sim.url, projects={project}, runs=keep)
    assert compare(db, want, SOURCE) == []
    runs_requests = [v for op, v in sent if op == "Runs"]
    assert len(runs_requests) == 1  # the server filtered: one page instead of two
    assert json.loads(runs_requests[0]["filters"]) == filter_document(
        [parse_filter(e) for e in exprs]
    )


def test_a_filter_the_server_refuses_lists_every_run(
    sim: SimServer, world: World, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(listing, "filter_document", lambda filters: {"no_such_field": 1})
    summary = swansync.pull(settings(sim, db, ("alice/sweep",), filters=("label=a/b",)))
    assert summary.status == "ok", summary.failures
    truth = world.truth()
    keep = {
        r["run_id"] for r in truth["runs"] if r["project"] == "alice/sweep" and "a/b" in r["tags"]
    }
    assert compare(db, expected(truth, sim.url, projects={"alice/sweep"}, runs=keep), SOURCE) == []

"""A W&B server that misbehaves: 429 with Retry-After, 5xx, proxy HTML, HTML with status 200,
resets before and while the body is read, bodies cut short. One pull, exit status ok, exact."""

from __future__ import annotations

from pathlib import Path

import pytest

import swansync
from trackersim.wandb import Faults, SimServer, World

from .compare import compare
from .conftest import SOURCE, settings
from .expected import expected
from .test_logs_media import logs_problems

PROJECTS = ("alice/quirks", "alice/sweep")
TWENTY_PERCENT = {
    "rate_429": 0.04,
    "rate_5xx": 0.03,
    "rate_proxy_502": 0.01,
    "rate_html_200": 0.02,
    "rate_reset": 0.02,
    "rate_reset_headers": 0.02,
    "rate_reset_body": 0.03,
    "rate_truncate": 0.03,
}


@pytest.mark.slow
def test_twenty_percent_faults_one_pull_exact(sim: SimServer, world: World, db: Path) -> None:
    sim.faults = Faults.from_dict({**TWENTY_PERCENT, "seed": 7, "retry_after": 0})
    summary = swansync.pull(settings(sim, db, PROJECTS, retries=10))
    assert summary.status == "ok", summary.failures
    want = expected(world.truth(), sim.url, projects=set(PROJECTS))
    assert compare(db, want, SOURCE) == []
    assert logs_problems(db, world, PROJECTS) == []  # consoles read on through broken bodies
    assert summary.requests > sum(n for n, _ in sim.counters.snapshot().values()) * 0.5
    world.tick(3)
    summary = swansync.pull(settings(sim, db, PROJECTS, retries=10))
    assert summary.status == "ok", summary.failures
    assert compare(db, expected(world.truth(), sim.url, projects=set(PROJECTS)), SOURCE) == []


@pytest.mark.parametrize(
    "action", ["429", "5xx", "proxy_502", "html_200", "reset", "reset_body", "truncate"]
)
def test_each_fault_on_a_history_page_is_retried(
    sim: SimServer, world: World, db: Path, action: str
) -> None:
    sim.faults = Faults(operations=["HistoryPage"], script=[action, action], retry_after=0)
    summary = swansync.pull(settings(sim, db, ("alice/quirks",)))
    assert summary.status == "ok", summary.failures
    assert sim.faults.script == []
    assert compare(db, expected(world.truth(), sim.url, projects={"alice/quirks"}), SOURCE) == []


def test_a_fault_that_outlasts_the_budget_fails_the_run_in_one_line(
    sim: SimServer, world: World, db: Path
) -> None:
    sim.faults = Faults(operations=["HistoryPage"], rate_html_200=1.0)
    summary = swansync.pull(settings(sim, db, ("vision-lab/detr",), retries=1))
    assert summary.status == "partial"
    runs = set(world.runs("vision-lab/detr"))
    assert {f.run_id for f in summary.failures} == runs
    for f in summary.failures:
        assert "HistoryPage" in f.reason and "HTML" in f.reason, f.reason
        assert "\n" not in f.reason and sim.api_key not in f.reason
    # read ahead (summaries) and tried again for the points: one retry each time, then given up
    assert sim.counters.requests("HistoryPage") == 4 * len(runs)
    assert summary.rows["runs"] == len(runs)  # the runs themselves landed

"""``swansync schedule`` with a ``[maintenance]`` table on a lake: after its pulls it runs one
maintenance pass (fewer files, old snapshots expired), logs it as one JSON line, and the lake
stays exact; a second maintainer holding the lock makes the pass a logged skip, not a failure."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from swansync.config import JobConfig, MaintenanceConfig
from swansync.schedule import run_schedule
from swansync.sync import pull
from swansync.warehouse.lake import LakeWarehouse
from tests.e2e.compare import compare
from trackersim.swanlab import SimServer, build_world

from .conftest import Lake
from .test_pull import _zero_sign_loose, lake_settings  # noqa: F401 (autouse fixture)


@pytest.fixture
def sim() -> Iterator[Any]:
    with SimServer(build_world("small", seed=0), port=0) as server:
        yield server


def _maintain_records(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    out = []
    for r in caplog.records:
        if r.name == "swansync.schedule" and '"event": "maintain"' in r.getMessage():
            out.append(json.loads(r.getMessage()))
    return out


def test_schedule_once_maintains_the_lake_after_its_pulls(
    sim: Any, lake: Lake, caplog: pytest.LogCaptureFixture
) -> None:
    s = lake_settings(sim, lake)
    assert pull(s).status == "ok"
    sim.world.tick(0)
    job = JobConfig(name="all", sources=s.sources, every=3600)
    s = replace(s, jobs=(job,), maintenance=MaintenanceConfig(every=3600, keep=0, orphan_age=0))
    caplog.set_level(logging.INFO, logger="swansync.schedule")
    assert run_schedule(s, once=True, install_signals=False) == 0
    [done] = _maintain_records(caplog)
    assert done["status"] == "ok", done
    assert done["files_after"] < done["files_before"]
    assert done["snapshots_expired"] > 0
    assert compare(s.warehouse, sim.world.truth(), "sim") == []


def test_a_pass_while_another_maintainer_runs_is_skipped(
    sim: Any, lake: Lake, caplog: pytest.LogCaptureFixture
) -> None:
    s = lake_settings(sim, lake)
    assert pull(s).status == "ok"
    job = JobConfig(name="all", sources=s.sources, every=3600)
    s = replace(s, jobs=(job,), maintenance=MaintenanceConfig(every=3600))
    caplog.set_level(logging.INFO, logger="swansync.schedule")
    with LakeWarehouse(str(s.warehouse)) as other, other.try_global_lock("maintain") as held:
        assert held
        assert run_schedule(s, once=True, install_signals=False) == 0
    [done] = _maintain_records(caplog)
    assert done["status"] == "skipped", done

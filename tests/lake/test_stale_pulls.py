"""A pull whose process died leaves its ``sync_log`` row ``running``; on a warehouse file the next
pull marks it ``aborted`` (one writer at a time, so any running row is stale). On a lake other
workers' pulls run beside it: the next pull marks only the rows of pulls whose process is gone
(their liveness lock in the catalog went with their connection), with appended versions."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from swansync.config import Settings
from swansync.sync import pull
from swansync.warehouse.lake import LakeWarehouse
from tests.support.fake_source import FakeRun, FakeSource

from .conftest import Lake

REPO = Path(__file__).resolve().parents[2]
SYNC_LOG = "_swansync.sync_log"
T0 = datetime(2026, 1, 1, tzinfo=UTC)

# A pull's start as the sync does it (an id for the pull, then its `running` row), in a process
# of its own that then waits to be killed.
STARTED_PULL = """
import sys
from datetime import UTC, datetime
from swansync.warehouse.lake import LakeWarehouse
wh = LakeWarehouse(sys.argv[1], data_path=sys.argv[2])
wh.migrate()
pull_id = wh.ids("_swansync.sync_log", "id").take()
row = {"id": pull_id, "started_at": datetime.now(UTC), "status": "running"}
wh.insert_row("_swansync.sync_log", row)
print(pull_id, flush=True)
sys.stdin.readline()
"""


def uri(lake: Lake) -> str:
    return "ducklake:postgres:" + lake.catalog


def start(wh: LakeWarehouse) -> int:
    """What the sync does when a pull starts (``swansync.sync._start_log``)."""
    pull_id = wh.ids(SYNC_LOG, "id").take()
    wh.insert_row(SYNC_LOG, {"id": pull_id, "started_at": T0, "status": "running"})
    return pull_id


@pytest.fixture
def killed_pull(lake: Lake) -> int:
    """The id of a pull SIGKILLed after its start (its row says ``running``)."""
    env = {**os.environ, **lake.env, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", STARTED_PULL, uri(lake), lake.data_path],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with proc:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        proc.send_signal(signal.SIGKILL)
        _, err = proc.communicate(timeout=60)
        assert line.strip().isdigit(), (line, err[-2000:])
        assert proc.returncode == -signal.SIGKILL
    return int(line)


def statuses(wh: LakeWarehouse) -> dict[int, str]:
    return {int(i): str(s) for i, s in wh.rows(f"SELECT id, status FROM {SYNC_LOG}")}


def test_the_next_pull_aborts_a_killed_pull_and_leaves_a_running_one(
    lake: Lake, killed_pull: int
) -> None:
    with LakeWarehouse(uri(lake), data_path=lake.data_path, env=lake.env) as live:
        running = start(live)  # a pull in progress in another worker: its process is alive
        settings = Settings(lake=uri(lake), data_path=lake.data_path, apply_views=False)
        summary = pull(settings, sources=[FakeSource([FakeRun("a", ["loss"], 10)])])
        assert summary.status == "ok", summary.failures
        assert statuses(live) == {killed_pull: "aborted", running: "running", summary.id: "ok"}
        # Append-only: the killed pull's `running` version is still there, under the new one.
        versions = live.rows(
            f"SELECT status FROM {SYNC_LOG}_v WHERE id = ? ORDER BY _v", [killed_pull]
        )
        assert [v[0] for v in versions] == ["running", "aborted"]

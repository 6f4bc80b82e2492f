"""The log folder committed in tests/realdata (written by swanlab 0.10.3) mirrors exactly, with
no SwanLab venv needed: what a fresh clone and the CI install smoke can always run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import swansync
from tests.local.expect import folder_digest
from tests.local.test_logdir import check_against_manifest
from tests.support.settings import local_settings

FIXTURE = Path(__file__).resolve().parents[1] / "realdata" / "logdir-0.10.3"


def test_committed_log_folder_mirrors_exactly(tmp_path: Path) -> None:
    manifest = json.loads((FIXTURE / "manifest.json").read_text(encoding="utf-8"))
    (man,) = manifest["projects"]
    folder = tmp_path / man["logdir"]
    shutil.copytree(FIXTURE / man["logdir"], folder)
    before = folder_digest(folder)
    settings = local_settings(tmp_path / "w.duckdb", [folder])
    summary = swansync.pull(settings)
    assert summary.status == "ok", summary.failures
    with swansync.Warehouse(settings.db, read_only=True) as wh:
        (source,) = {r[0] for r in wh.rows("SELECT DISTINCT source FROM runs")}
        check_against_manifest(wh, source, f"local/{man['project']}", man, "new")
    assert folder_digest(folder) == before  # read, never touched

"""``swansync pull --wandb-dir PATH`` as a user runs it: exit 0, ``status`` lists the runs; a
folder that holds no W&B runs is one line on stderr and exit 2."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.wandb_offline.expect import DATA, FIXTURES, PROJECT

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str, columns: int | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB_", "SWANSYNC_"))}
    if columns:
        env["COLUMNS"] = str(columns)  # rich shortens cells to the terminal's width
    return subprocess.run(
        [sys.executable, "-m", "swansync", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=ROOT,
    )


@pytest.mark.slow
def test_pull_wandb_dir_then_status(tmp_path):
    folder = tmp_path / "runs"
    shutil.copytree(DATA, folder)
    db = tmp_path / "w.duckdb"
    pulled = _cli("pull", "--wandb-dir", str(folder), "--db", str(db), "--json")
    assert pulled.returncode == 0, pulled.stderr
    summary = json.loads(pulled.stdout)
    assert summary["status"] == "ok" and summary["runs"] == len(FIXTURES)
    assert summary["sources"] == [f"wandb-dir:{folder.resolve()}"]
    status = _cli("status", "--db", str(db), "--json")
    assert status.returncode == 0, status.stderr
    (project,) = json.loads(status.stdout)["projects"]
    assert project["project"] == PROJECT and project["runs"] == len(FIXTURES)
    assert project["source"] == f"wandb-dir:{folder.resolve()}"
    table = _cli("status", "--db", str(db), columns=300)
    assert table.returncode == 0 and f"{PROJECT} " in table.stdout


def test_a_folder_without_wandb_runs_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "code").mkdir()
    db = tmp_path / "w.duckdb"
    result = _cli("pull", "--wandb-dir", str(tmp_path / "code"), "--db", str(db))
    assert result.returncode == 2, (result.stdout, result.stderr)
    # One error line naming the folder (before it, the sync logs the failed target as it
    # happens, as it does for every source), no traceback.
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "no W&B runs here" in errors[0], result.stderr
    assert str(tmp_path / "code") in errors[0] and "Traceback" not in result.stderr

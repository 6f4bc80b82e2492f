"""Finding run folders: at every level, once each, and a clear error for other folders."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from swansync.sources.wandb.offline import (
    WandbFolderError,
    find_runs,
    read_metadata,
    read_requirements,
    run_state,
)
from tests.wandb.manifest import DATA

FULL_031 = next((DATA / "sdk-0.31.0" / "wandb").glob("offline-run-*-full0310"))
FULL_017 = next((DATA / "sdk-0.17.9" / "wandb").glob("offline-run-*-full0179"))


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """project/wandb/ with two runs (one online, one synced), latest-run and debug.log links."""
    wandb_dir = tmp_path / "project" / "wandb"
    wandb_dir.mkdir(parents=True)
    shutil.copytree(FULL_031, wandb_dir / FULL_031.name)
    online = wandb_dir / FULL_017.name.replace("offline-run-", "run-")
    shutil.copytree(FULL_017, online)
    (online / "run-full0179.wandb.synced").write_text("")
    (wandb_dir / "latest-run").symlink_to(online.name)
    (wandb_dir / "debug.log").symlink_to(f"{online.name}/files/output.log")
    return tmp_path


def _ids(path: Path) -> list[tuple[str, bool, bool]]:
    return [(r.run_id, r.offline, r.synced) for r in find_runs(path).runs]


def test_runs_are_found_from_every_level_once_each(tree):
    expected = [("full0179", False, True), ("full0310", True, False)]
    for level in (tree, tree / "project", tree / "project" / "wandb"):
        assert sorted(_ids(level)) == expected, level
    assert _ids(tree / "project" / "wandb" / FULL_031.name) == [("full0310", True, False)]


def test_the_files_of_a_run_are_named_when_present(tree):
    runs = {r.run_id: r for r in find_runs(tree).runs}
    new, old = runs["full0310"], runs["full0179"]
    assert new.log.name == "run-full0310.wandb" and new.stamp == FULL_031.name.split("-")[2]
    assert new.output_log is not None and new.requirements is not None and new.metadata is None
    assert old.output_log is None and old.metadata is not None
    assert read_requirements(old) == ()


def test_a_folder_without_runs_is_one_clear_error(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "run-x.wandb").write_bytes(b"")  # not inside a run folder
    with pytest.raises(WandbFolderError, match=r"no W&B runs here \(looked for wandb/"):
        find_runs(tmp_path)
    with pytest.raises(WandbFolderError, match="not a folder"):
        find_runs(tmp_path / "notes" / "run-x.wandb")
    with pytest.raises(WandbFolderError, match="not a folder"):
        find_runs(tmp_path / "missing")


def test_an_empty_wandb_folder_has_no_runs_yet(tmp_path):
    (tmp_path / "wandb").mkdir()
    assert find_runs(tmp_path).runs == ()
    assert find_runs(tmp_path / "wandb").runs == ()


def test_a_run_folder_without_its_log_is_skipped_with_a_warning(tmp_path):
    broken = tmp_path / "wandb" / "offline-run-20260101_000000-abc"
    (broken / "files").mkdir(parents=True)
    found = find_runs(tmp_path)
    assert found.runs == ()
    assert found.warnings == (f"{broken}: no run-abc.wandb log here; skipped",)


def test_hidden_and_deep_folders_are_not_searched(tmp_path):
    shutil.copytree(FULL_031, tmp_path / ".cache" / "wandb" / FULL_031.name)
    deep = tmp_path / "a" / "b" / "c" / "d" / "e" / "wandb" / FULL_031.name  # 7 levels down
    shutil.copytree(FULL_031, deep)
    with pytest.raises(WandbFolderError):
        find_runs(tmp_path)
    assert [r.run_id for r in find_runs(tmp_path / "a").runs] == ["full0310"]  # 6 levels


def test_unreadable_metadata_is_a_warning_not_an_error(tmp_path):
    run = tmp_path / FULL_017.name
    shutil.copytree(FULL_017, run)
    (run / "files" / "wandb-metadata.json").write_text("{not json")
    (found,) = find_runs(run).runs
    metadata, warning = read_metadata(found)
    assert metadata is None and warning is not None and "unreadable" in warning


@pytest.mark.parametrize(
    ("has_exit", "code", "now", "before", "state"),
    [
        (True, 0, (10, 1), None, "FINISHED"),
        (True, 0, (10, 1), (10, 1), "FINISHED"),
        (True, 3, (10, 1), None, "CRASHED"),
        (False, None, (10, 1), None, "RUNNING"),
        (False, None, (20, 1), (10, 1), "RUNNING"),
        (False, None, (10, 2), (10, 1), "RUNNING"),
        (False, None, (10, 1), (10, 1), "CRASHED"),
    ],
)
def test_the_run_state_rule(has_exit, code, now, before, state):
    got = run_state(
        has_exit=has_exit, exit_code=code, size=now[0], mtime_ns=now[1], previous=before
    )
    assert got == state

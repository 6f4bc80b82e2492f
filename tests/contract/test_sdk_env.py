"""Fast checks of how the SDK venv is located and keyed (no venv is built here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.contract import sdk_env
from tests.contract.sdk_env import CONSTRAINTS_NAME, SdkEnvError, constraints_file, venv_dir


@pytest.fixture
def layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A fake clone at <tmp>/repo with its contract folder, next to <tmp>/shared/realdata."""
    here = tmp_path / "repo" / "tests" / "contract"
    shared = tmp_path / "shared" / "realdata"
    here.mkdir(parents=True)
    shared.mkdir(parents=True)
    monkeypatch.setattr(sdk_env, "HERE", here)
    monkeypatch.setattr(sdk_env, "REPO", tmp_path / "repo")
    return here, shared


def test_the_copy_in_the_repo_wins(layout: tuple[Path, Path]) -> None:
    here, shared = layout
    (here / CONSTRAINTS_NAME).write_text("swanlab==0.10.3\n")
    (shared / CONSTRAINTS_NAME).write_text("swanlab==0.10.3\nother==1\n")
    assert constraints_file() == here / CONSTRAINTS_NAME


def test_falls_back_to_the_shared_folder_next_to_the_clone(layout: tuple[Path, Path]) -> None:
    _, shared = layout
    (shared / CONSTRAINTS_NAME).write_text("swanlab==0.10.3\n")
    assert constraints_file() == shared / CONSTRAINTS_NAME


def test_missing_constraints_fail_with_both_places_named(layout: tuple[Path, Path]) -> None:
    here, shared = layout
    with pytest.raises(SdkEnvError) as info:
        constraints_file()
    assert str(here / CONSTRAINTS_NAME) in str(info.value)
    assert str(shared / CONSTRAINTS_NAME) in str(info.value)


def test_the_cache_is_keyed_by_the_constraints_content(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.txt", tmp_path / "b.txt", tmp_path / "c.txt"
    a.write_text("swanlab==0.10.3\nrequests==2.34.2\n")
    b.write_text("swanlab==0.10.3\nrequests==2.34.2\n")
    c.write_text("swanlab==0.10.3\nrequests==2.33.0\n")
    assert venv_dir(a) == venv_dir(b) != venv_dir(c)
    assert venv_dir(a).parent == sdk_env.VENV_ROOT


def test_the_repo_copy_is_the_one_in_git() -> None:
    assert (Path(__file__).parent / CONSTRAINTS_NAME).read_text().count("swanlab==0.10.3") == 1

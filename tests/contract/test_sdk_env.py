"""Fast checks of how the SDK venv is located and keyed (no venv is built here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.contract import sdk_env
from tests.contract.sdk_env import CONSTRAINTS_NAME, SdkEnvError, constraints_file, venv_dir


def test_missing_constraints_fail_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sdk_env, "HERE", tmp_path)
    with pytest.raises(SdkEnvError) as info:
        constraints_file()
    assert str(tmp_path / CONSTRAINTS_NAME) in str(info.value)


def test_the_cache_is_keyed_by_the_constraints_content(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.txt", tmp_path / "b.txt", tmp_path / "c.txt"
    a.write_text("swanlab==0.10.3\nrequests==2.34.2\n")
    b.write_text("swanlab==0.10.3\nrequests==2.34.2\n")
    c.write_text("swanlab==0.10.3\nrequests==2.33.0\n")
    assert venv_dir(a) == venv_dir(b) != venv_dir(c)
    assert venv_dir(a).parent == sdk_env.VENV_ROOT


def test_the_repo_copy_is_the_one_in_git() -> None:
    assert (Path(__file__).parent / CONSTRAINTS_NAME).read_text().count("swanlab==0.10.3") == 1


def test_contract_and_local_tests_pin_the_same_sdk() -> None:
    """One SwanLab SDK environment for the whole suite: the contract copy of the constraints
    and the one tests/realdata/setup_venv.sh installs from are the same file."""
    realdata = sdk_env.REPO / "tests" / "realdata" / CONSTRAINTS_NAME
    assert constraints_file().read_bytes() == realdata.read_bytes()

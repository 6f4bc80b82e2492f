"""Session fixtures: real SwanLab data made by the real SDK (0.10.x and 0.7.x) for tests/local."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.local.realenv import RealData, generate


@pytest.fixture(scope="session")
def real_new(tmp_path_factory: pytest.TempPathFactory) -> RealData:
    """Runs written by swanlab 0.10.3 (read-only: copy a project before changing it)."""
    return generate("new", tmp_path_factory.mktemp("swanlab-new") / "data")


@pytest.fixture(scope="session")
def real_old(tmp_path_factory: pytest.TempPathFactory) -> RealData:
    """Runs written by swanlab 0.7.20 (older on-disk format)."""
    return generate("old", tmp_path_factory.mktemp("swanlab-old") / "data")


@pytest.fixture(params=["new", "old"])
def real(request: pytest.FixtureRequest) -> RealData:
    data: RealData = request.getfixturevalue(f"real_{request.param}")
    return data


@pytest.fixture
def copy_project(tmp_path: Path) -> Callable[[RealData, str], Path]:
    """``copy_project(data, name)`` -> a private copy of one generated project folder."""

    def copy(data: RealData, name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(data.project_dir(name), target)
        return target

    return copy

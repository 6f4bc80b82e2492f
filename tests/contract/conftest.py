"""Fixtures for the contract suite: the real SwanLab SDK (cached venv) and a driver runner."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.contract.sdk_env import SdkEnvError, ensure_sdk_python


@pytest.fixture(scope="session")
def sdk_python() -> Path:
    """The python of a venv holding the real ``swanlab==0.10.3`` (built once, then cached)."""
    try:
        return ensure_sdk_python()
    except SdkEnvError as exc:
        pytest.fail(f"cannot provide the real SwanLab SDK: {exc}", pytrace=False)

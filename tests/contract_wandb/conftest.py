"""Fixtures for the W&B contract suite: the real SDK (cached venv)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.contract_wandb.sdk_env import SdkEnvError, ensure_sdk_python


@pytest.fixture(scope="session")
def wandb_python() -> Path:
    """The python of a venv holding the real ``wandb==0.31.0`` (built once, then cached)."""
    try:
        return ensure_sdk_python()
    except SdkEnvError as exc:
        pytest.fail(f"cannot provide the real W&B SDK: {exc}", pytrace=False)

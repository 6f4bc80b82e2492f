"""Opt-in: write fresh runs with the real wandb SDKs and check them like the committed ones.

Set ``SWANSYNC_WANDB_SDK=1`` to run it (it builds one venv per SDK version under
``.venv-wandb-sdk/`` on first use, a few minutes, then takes about two minutes). The committed
fixtures in ``tests/wandb/data`` come from the same generator
(``python -m tests.wandb.realdata.regenerate``).
"""

from __future__ import annotations

import os

import pytest

from tests.wandb.manifest import fixtures
from tests.wandb.realchecks import check_full, check_growing, check_killed
from tests.wandb.realdata.regenerate import regenerate
from tests.wandb.realdata.sdk_env import VERSIONS, SdkEnvError

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("SWANSYNC_WANDB_SDK") != "1",
        reason="set SWANSYNC_WANDB_SDK=1 to write fresh runs with the real wandb SDKs",
    ),
]


def test_fresh_runs_from_the_real_sdks_read_exactly(tmp_path):
    out = tmp_path / "data"
    try:
        regenerate(out)
    except SdkEnvError as exc:
        pytest.fail(f"cannot provide the real wandb SDK: {exc}", pytrace=False)
    fresh = fixtures(out)
    assert {f.sdk for f in fresh} == set(VERSIONS)
    problems = {}
    for fx in fresh:
        scenario = fx.entry["scenario"]
        if scenario == "full":
            found = check_full(fx)
        elif scenario == "killed":
            found = check_killed(fx)
        else:
            found = check_growing(fx, tmp_path / "live")
        if found:
            problems[f"{fx.sdk}-{scenario}"] = found
    assert problems == {}

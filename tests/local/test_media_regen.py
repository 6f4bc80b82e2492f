"""Opt-in: write fresh console-and-media runs with the real SwanLab SDKs and check them like the
committed ones (``tests/local/realmedia``).

Set ``SWANSYNC_SWANLAB_MEDIA=1`` to run it: it installs Pillow, numpy and soundfile beside each
cached SwanLab venv on first use (``.venv-swanlab-media/``, about a minute), then takes about a
minute. The committed folders come from the same generator
(``python -m tests.local.realmedia.regenerate``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from swansync.sources.swanlab.logdir import LogDirSource
from tests.local.expect import folder_digest
from tests.local.media_expect import FLAVOURS, load
from tests.local.realenv import RealEnvError
from tests.local.realmedia.regenerate import generate
from tests.local.test_logs_media import check_all

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("SWANSYNC_SWANLAB_MEDIA") != "1",
        reason="set SWANSYNC_SWANLAB_MEDIA=1 to write fresh media runs with the real SDKs",
    ),
]


@pytest.mark.parametrize("flavour", sorted(FLAVOURS))
def test_fresh_media_runs_read_exactly(flavour: str, tmp_path: Path) -> None:
    try:
        root = generate(flavour, tmp_path)
    except RealEnvError as exc:
        pytest.fail(f"cannot write runs with the real SDK: {exc}", pytrace=False)
    fx = load(flavour, root)
    before = folder_digest(fx.folder())
    check_all(fx, LogDirSource(fx.folder()))
    assert folder_digest(fx.folder()) == before

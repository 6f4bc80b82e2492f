"""Every TOML example of the README loads as written, without a deprecation line: users copy
them."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from swansync.config import load_settings

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCKS = re.findall(r"```toml\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)


def test_the_readme_has_toml_examples() -> None:
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("block", BLOCKS, ids=[b.splitlines()[0] for b in BLOCKS])
def test_a_readme_config_loads_without_deprecation(
    block: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = tmp_path / "swansync.toml"
    config.write_text(block, encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="swansync"):
        load_settings(config_file=config, env={})
    assert not [r for r in caplog.records if "deprecated" in r.getMessage()], caplog.text

"""``user_agent``: how swansync names itself, read once and only when a client is built."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from swansync.http import user_agent

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fresh() -> Iterator[None]:
    user_agent.cache_clear()
    yield
    user_agent.cache_clear()


def test_names_the_installed_version_and_reads_it_once(
    fresh: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def version(name: str) -> str:
        asked.append(name)
        return "9.8.7"

    monkeypatch.setattr(importlib.metadata, "version", version)
    assert user_agent() == "swansync/9.8.7"
    assert user_agent() == "swansync/9.8.7"
    assert asked == ["swansync"]


def test_a_source_tree_that_is_not_installed_is_dev(
    fresh: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", missing)
    assert user_agent() == "swansync/dev"


def test_importing_the_clients_reads_no_package_metadata() -> None:
    """The lookup scans sys.path: it waits for the first client, not the first import."""
    probe = (
        "import importlib.metadata as m\n"
        "def refuse(name): raise SystemExit('metadata read at import')\n"
        "m.version = refuse\n"
        "import swansync.sources.wandb.cloud.client, swansync.sources.swanlab.cloud.client\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr

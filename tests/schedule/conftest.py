"""Fixtures of the schedule/serving tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import REPO

DUCKDB1_VENV = REPO / ".venv-duckdb1"
DUCKDB1_PACKAGES = ["duckdb>=1.1,<2", "pytz", "sqlalchemy>=2", "duckdb-engine>=0.13"]
_PROBE = "import duckdb, duckdb_engine, pytz; assert duckdb.__version__.startswith('1.')"


@pytest.fixture(scope="session")
def duckdb1_python() -> Path:
    """A Python with DuckDB 1.x (and duckdb-engine), as inside today's BI images.

    Built once under ``<repo>/.venv-duckdb1`` and reused while it still answers the probe."""
    python = DUCKDB1_VENV / "bin" / "python"
    if (
        python.exists()
        and subprocess.run([python, "-c", _PROBE], capture_output=True).returncode == 0
    ):
        return python
    subprocess.run([sys.executable, "-m", "venv", "--clear", DUCKDB1_VENV], check=True)
    pip = subprocess.run(
        [python, "-m", "pip", "install", "-q", *DUCKDB1_PACKAGES],
        capture_output=True,
        text=True,
        timeout=540,
    )
    if pip.returncode != 0:
        pytest.skip(f"cannot install DuckDB 1.x from the package index: {pip.stderr[-500:]}")
    subprocess.run([python, "-c", _PROBE], check=True)
    return python

"""Regenerate the committed W&B fixtures: ``python -m tests.wandb.realdata.regenerate [OUT]``.

Builds (or reuses) one SDK venv per version in ``sdk_env.VERSIONS`` and runs
``make_offline_runs.py`` with each, writing ``OUT/sdk-<version>/`` and
``OUT/manifest-<version>.json`` (OUT defaults to ``tests/wandb/data``). The integration test
``tests/wandb/test_realdata_regen.py`` does the same into a temporary folder and checks the
fresh runs with the same comparisons as the committed ones.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.wandb.realdata.sdk_env import HERE, VERSIONS, ensure_sdk_python

DATA = HERE.parent / "data"


def regenerate(out: Path, versions: tuple[str, ...] = VERSIONS) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for version in versions:
        python = ensure_sdk_python(version)
        shutil.rmtree(out / f"sdk-{version}", ignore_errors=True)
        subprocess.run(
            [
                sys.executable,
                str(HERE / "make_offline_runs.py"),
                *("--sdk-python", str(python), "--out", str(out)),
            ],
            check=True,
            timeout=900,
        )


if __name__ == "__main__":
    regenerate(Path(sys.argv[1]) if len(sys.argv) > 1 else DATA)

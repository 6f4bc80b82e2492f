"""Regenerate the cross-tracker fixtures: ``python -m tests.wandb_offline.crosstracker.regenerate
[OUT]`` (OUT defaults to ``tests/wandb_offline/data/crosstracker``).

The wandb SDK comes from ``tests/wandb/realdata/sdk_env.py`` (``.venv-wandb-sdk/``); the SwanLab
SDK from a venv built here once per hash of the pinned constraints,
``<repo>/.venv-swanlab-xt/<hash>/`` (``pip install "swanlab[dashboard]==0.10.3"``: local mode
writes its ``runs.swanlab`` database through swanboard). A file lock makes concurrent sessions
wait for one build; a ``.complete`` marker written last means a half-built venv is rebuilt.
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

from tests.wandb.realdata.sdk_env import SdkEnvError, ensure_sdk_python

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
DATA = HERE.parent / "data" / "crosstracker"
SWANLAB = "swanlab[dashboard]==0.10.3"
CONSTRAINTS = HERE / "constraints-swanlab-0.10.3.txt"
WANDB_VERSION = "0.31.0"


def _run(cmd: list[str], what: str, cwd: Path) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False, cwd=cwd)
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-25:]
        raise SdkEnvError(f"{what} failed (exit {proc.returncode}):\n" + "\n".join(tail))


def ensure_swanlab_python() -> Path:
    """The python of a venv holding the pinned SwanLab SDK, built if needed."""
    digest = hashlib.sha256(SWANLAB.encode() + CONSTRAINTS.read_bytes()).hexdigest()[:16]
    root = REPO / ".venv-swanlab-xt"
    target = root / digest
    python, marker = target / "bin" / "python", target / ".complete"
    if marker.is_file() and python.exists():
        return python
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.is_file() and python.exists():
            return python
        shutil.rmtree(target, ignore_errors=True)
        base = shutil.which("python3") or sys.executable
        _run([base, "-m", "venv", str(target)], "creating the SwanLab venv", root)
        pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        _run([*pip, SWANLAB, "-c", str(CONSTRAINTS)], f"pip install {SWANLAB}", root)
        marker.write_text(f"{SWANLAB}\n")
    return python


def regenerate(out: Path) -> None:
    wandb_python = ensure_sdk_python(WANDB_VERSION)
    swanlab_python = ensure_swanlab_python()
    subprocess.run(
        [
            sys.executable,
            str(HERE / "make_runs.py"),
            *("--swanlab-python", str(swanlab_python)),
            *("--wandb-python", str(wandb_python)),
            *("--out", str(out)),
        ],
        check=True,
        timeout=900,
    )


if __name__ == "__main__":
    regenerate(Path(sys.argv[1]) if len(sys.argv) > 1 else DATA)

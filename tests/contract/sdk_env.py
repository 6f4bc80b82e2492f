"""The real SwanLab SDK in its own cached venv, and a way to run the contract driver with it.

``swanlab==0.10.3`` pins versions that clash with ours, so it lives in
``<repo>/.venv-swanlab-sdk/<hash of the constraints file>/`` (gitignored), built once with
``python3 -m venv`` + ``pip install swanlab==0.10.3 -c <constraints>`` and reused while the
constraints stay the same. A file lock makes concurrent test sessions wait for one build; a
``.complete`` marker written last means a half-built venv is rebuilt, never used.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SDK_SPEC = "swanlab==0.10.3"
CONSTRAINTS_NAME = "constraints-swanlab-0.10.3.txt"
VENV_ROOT = REPO / ".venv-swanlab-sdk"
DRIVER = HERE / "driver.py"
KEY_ENV = "SWANSYNC_CONTRACT_API_KEY"
BUILD_TIMEOUT_S = 600


class SdkEnvError(RuntimeError):
    """The SDK venv could not be found or built (the message says why and what to do)."""


def constraints_file() -> Path:
    """The constraints the SDK venv is built from: the copy in this folder (the same file as
    tests/realdata's, which the local-source tests build their SwanLab venvs from)."""
    path = HERE / CONSTRAINTS_NAME
    if not path.is_file():
        raise SdkEnvError(f"no {path}: restore tests/contract/{CONSTRAINTS_NAME} from git")
    return path


def venv_dir(constraints: Path) -> Path:
    digest = hashlib.sha256(constraints.read_bytes()).hexdigest()[:16]
    return VENV_ROOT / digest


def _run(cmd: list[str], what: str) -> None:
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False, cwd=VENV_ROOT
    )
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-25:]
        raise SdkEnvError(f"{what} failed (exit {proc.returncode}):\n" + "\n".join(tail))


def ensure_sdk_python() -> Path:
    """Path of the SDK venv's python, building the venv first if needed."""
    constraints = constraints_file()
    target = venv_dir(constraints)
    python = target / "bin" / "python"
    marker = target / ".complete"
    if marker.is_file() and python.exists():
        return python
    VENV_ROOT.mkdir(parents=True, exist_ok=True)
    with (VENV_ROOT / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.is_file() and python.exists():
            return python
        shutil.rmtree(target, ignore_errors=True)
        base = shutil.which("python3") or sys.executable
        _run([base, "-m", "venv", str(target)], "creating the SwanLab SDK venv")
        _run(
            [
                str(python),
                *("-m", "pip", "install", "-q", "--disable-pip-version-check"),
                SDK_SPEC,
                *("-c", str(constraints)),
            ],
            f"pip install {SDK_SPEC}",
        )
        marker.write_text(f"{SDK_SPEC}\n{constraints}\n")
    return python


@dataclass
class DriverResult:
    data: dict[str, Any]
    output: str  # the SDK's own console output (stdout + stderr), for failure messages
    seconds: float


def run_driver(
    python: Path,
    host: str,
    api_key: str,
    workdir: Path,
    *,
    mode: str = "full",
    timeout: float = 300,
    driver: Path = DRIVER,
    extra: tuple[str, ...] = (),
) -> DriverResult:
    """Run the driver in the SDK venv against ``host``; the key travels in the environment.

    The child gets a private HOME/cwd and no inherited SWANLAB_* variables, so neither a real
    login on this machine nor a stray ``swanlab.yaml`` can leak into what it reads."""
    import time

    workdir.mkdir(parents=True, exist_ok=True)
    out = workdir / f"dump-{mode}.json"
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("SWANLAB")}
    env.update(
        {
            KEY_ENV: api_key,
            "HOME": str(workdir),
            "SWANLAB_SAVE_DIR": str(workdir / ".swanlab"),
            "NO_COLOR": "1",
            "PYTHONIOENCODING": "utf-8",
        }
    )
    cmd = [str(python), str(driver), "--host", host, "--out", str(out), "--mode", mode, *extra]
    started = time.monotonic()
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=workdir, check=False
    )
    seconds = time.monotonic() - started
    output = proc.stdout + proc.stderr
    if api_key:
        output = output.replace(api_key, "<API-KEY>")
    if proc.returncode != 0 or not out.is_file():
        raise AssertionError(f"driver failed (exit {proc.returncode}):\n{output[-4000:]}")
    return DriverResult(json.loads(out.read_text()), output, seconds)

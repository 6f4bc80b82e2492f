"""The real W&B SDK in its own cached venv, and a way to run the contract driver with it.

``wandb==0.31.0`` (with the versions pinned in ``constraints-wandb-0.31.0.txt``) lives in
``<repo>/.venv-wandb-sdk/<hash of the constraints file>/`` (gitignored), built once with
``python3 -m venv`` + ``pip install wandb==0.31.0 -c <constraints>`` and reused while the
constraints stay the same. A file lock makes concurrent sessions wait for one build; a
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
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SDK_SPEC = "wandb==0.31.0"
CONSTRAINTS = HERE / "constraints-wandb-0.31.0.txt"
VENV_ROOT = REPO / ".venv-wandb-sdk"
DRIVER = HERE / "driver.py"
KEY_ENV = "WANDB_API_KEY"
BUILD_TIMEOUT_S = 600


class SdkEnvError(RuntimeError):
    """The SDK venv could not be built (the message says why)."""


def venv_dir(constraints: Path = CONSTRAINTS) -> Path:
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
    target = venv_dir()
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
        _run([base, "-m", "venv", str(target)], "creating the W&B SDK venv")
        pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        _run([*pip, SDK_SPEC, "-c", str(CONSTRAINTS)], f"pip install {SDK_SPEC}")
        marker.write_text(f"{SDK_SPEC}\n{CONSTRAINTS}\n")
    return python


@dataclass
class DriverResult:
    data: dict[str, Any]
    output: str  # the SDK's own console output (stdout + stderr), for failure messages
    seconds: float


def sdk_environment(workdir: Path, api_key: str) -> dict[str, str]:
    """A clean environment: no WANDB_* of this machine, private HOME/config/cache/dirs (spec
    section 7: the SDK keeps process-wide settings, a parquet cache and run folders)."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("WANDB")}
    for name in ("home", "config", "cache", "data", "runs", "tmp"):
        (workdir / name).mkdir(parents=True, exist_ok=True)
    env.update(
        {
            KEY_ENV: api_key,
            "HOME": str(workdir / "home"),
            "WANDB_CONFIG_DIR": str(workdir / "config"),
            "WANDB_CACHE_DIR": str(workdir / "cache"),
            "WANDB_DATA_DIR": str(workdir / "data"),
            "WANDB_DIR": str(workdir / "runs"),
            "TMPDIR": str(workdir / "tmp"),
            "NETRC": str(workdir / "home" / "no-netrc"),
            "WANDB_ERROR_REPORTING": "false",
            "WANDB_SILENT": "true",
            "NO_COLOR": "1",
            "PYTHONIOENCODING": "utf-8",
        }
    )
    return env


def run_driver(
    python: Path,
    base_url: str,
    api_key: str,
    workdir: Path,
    plan: dict[str, Any],
    *,
    timeout: float = 600,
) -> DriverResult:
    """Run the driver in the SDK venv against ``base_url`` with a read ``plan`` (see
    driver.py); the key travels in the environment, never on the command line."""
    workdir.mkdir(parents=True, exist_ok=True)
    out = workdir / "dump.json"
    out.unlink(missing_ok=True)
    plan_file = workdir / "plan.json"
    plan_file.write_text(json.dumps(plan))
    cmd = [str(python), str(DRIVER), "--base-url", base_url, "--plan", str(plan_file)]
    cmd += ["--out", str(out)]
    started = time.monotonic()
    proc = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=sdk_environment(workdir, api_key),
        cwd=workdir,
        check=False,
    )
    seconds = time.monotonic() - started
    output = proc.stdout + proc.stderr
    if api_key:
        output = output.replace(api_key, "<API-KEY>")
    if proc.returncode != 0 or not out.is_file():
        raise AssertionError(f"driver failed (exit {proc.returncode}):\n{output[-4000:]}")
    return DriverResult(json.loads(out.read_text()), output, seconds)

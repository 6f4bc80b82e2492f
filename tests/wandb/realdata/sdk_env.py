"""The real ``wandb`` SDK in its own cached venv (one per pinned version).

Like ``tests/contract/sdk_env.py`` for SwanLab: ``<repo>/.venv-wandb-sdk/<version>-<hash of the
constraints file>/`` (gitignored by ``.venv-*/``), built once with ``python3 -m venv`` +
``pip install wandb==<version> numpy pillow -c <constraints>`` and reused while the constraints
stay the same. A file lock makes concurrent sessions wait for one build; a ``.complete`` marker
written last means a half-built venv is rebuilt, never used. numpy and pillow are there for
``wandb.Image`` and ``wandb.Histogram``.
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
VENV_ROOT = REPO / ".venv-wandb-sdk"
VERSIONS = ("0.31.0", "0.17.9")
BUILD_TIMEOUT_S = 900


class SdkEnvError(RuntimeError):
    """The SDK venv could not be built (the message says why)."""


def constraints_file(version: str) -> Path:
    path = HERE / f"constraints-wandb-{version}.txt"
    if not path.is_file():
        raise SdkEnvError(f"no {path.name} in {HERE}; restore it from git")
    return path


def _run(cmd: list[str], what: str) -> None:
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False, cwd=VENV_ROOT
    )
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-25:]
        raise SdkEnvError(f"{what} failed (exit {proc.returncode}):\n" + "\n".join(tail))


def ensure_sdk_python(version: str) -> Path:
    """Path of the python of a venv holding ``wandb==<version>``, building it if needed."""
    constraints = constraints_file(version)
    digest = hashlib.sha256(constraints.read_bytes()).hexdigest()[:16]
    target = VENV_ROOT / f"{version}-{digest}"
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
        _run([base, "-m", "venv", str(target)], f"creating the wandb {version} venv")
        spec = [f"wandb=={version}", "numpy", "pillow"]
        pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        _run([*pip, *spec, "-c", str(constraints)], f"pip install wandb=={version}")
        marker.write_text(f"wandb=={version}\n{constraints}\n")
    return python

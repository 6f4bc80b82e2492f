"""Regenerate the committed console-and-media log folders:
``python -m tests.local.realmedia.regenerate [OUT]``.

For each SDK flavour (``new`` = swanlab 0.10.3, ``old`` = 0.7.20) it takes the cached SwanLab
venv of :mod:`tests.local.realenv`, installs what ``make_media_runs.py`` needs besides swanlab
(``extras.txt``: Pillow, numpy, soundfile) with ``pip install --target`` into a cached folder
beside it, and runs the generator with that folder on ``PYTHONPATH``, writing
``OUT/logdir-<version>/`` (a ``manifest.json`` and the ``media-demo`` log folder). OUT defaults
to this folder. ``tests/local/test_media_regen.py`` does the same into a temporary folder
(opt-in) and checks the fresh runs like the committed ones.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.local.realenv import REPO, RealEnvError, venv_python

HERE = Path(__file__).resolve().parent
VERSIONS = {"new": "0.10.3", "old": "0.7.20"}
_TIMEOUT_S = 600


def extras_path(flavour: str) -> Path:
    """A folder holding ``extras.txt`` installed for the flavour's venv (built once, cached
    under ``.venv-swanlab-media/`` by the hash of the venv and the list)."""
    python = venv_python(flavour)
    h = hashlib.sha256(str(python).encode())
    h.update((HERE / "extras.txt").read_bytes())
    root = REPO / ".venv-swanlab-media"
    target = root / f"{flavour}-{h.hexdigest()[:16]}"
    if (target / ".complete").is_file():
        return target
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / ".complete").is_file():
            return target
        shutil.rmtree(target, ignore_errors=True)
        cmd = [str(python), "-m", "pip", "install", "-q", "--target", str(target)]
        cmd += ["-r", str(HERE / "extras.txt")]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=_TIMEOUT_S, check=False)
        if proc.returncode != 0:
            tail = (proc.stdout + proc.stderr).strip().splitlines()[-20:]
            raise RealEnvError("installing extras.txt failed:\n" + "\n".join(tail))
        (target / ".complete").write_text("ok\n")
    return target


def generate(flavour: str, out: Path) -> Path:
    """Write ``out/logdir-<version>/`` with the real SDK; returns that folder."""
    python = venv_python(flavour)
    folder = out / f"logdir-{VERSIONS[flavour]}"
    env = dict(os.environ, PYTHONPATH=str(extras_path(flavour)))
    proc = subprocess.run(
        [str(python), str(HERE / "make_media_runs.py"), str(folder)],
        capture_output=True,
        text=True,
        timeout=_TIMEOUT_S,
        check=False,
        env=env,
        cwd=out,
    )
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-30:]
        raise RealEnvError(f"make_media_runs.py ({flavour}) failed:\n" + "\n".join(tail))
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    if manifest["swanlab"] != VERSIONS[flavour]:
        raise RealEnvError(f"{flavour}: expected swanlab {VERSIONS[flavour]}, ran {manifest}")
    return folder


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    for name in VERSIONS:
        print(generate(name, target))

"""Real SwanLab software for the local-source tests: cached SDK venvs, generated runs, a live
writer and the real offline dashboard, from the scripts in ``tests/realdata`` (a fresh clone
has everything; the SwanLab venvs are built on first use)."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
REALDATA = REPO / "tests" / "realdata"
BUILD_TIMEOUT_S = 600
# CI-sized: every case of the generator (NaN/inf, crashed, killed, duplicate name, encoded key)
# with few steps; the long run crosses the dashboard's 1,500-point sampling threshold.
GEN_ARGS = {
    "new": ["--steps", "200", "--long-steps", "1600"],
    "old": ["--steps", "150", "--long-steps", "400"],
}


class RealEnvError(RuntimeError):
    """The real environment could not be built (the message says why)."""


def _run(cmd: list[str], what: str, timeout: float = BUILD_TIMEOUT_S, **kw: Any) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False, **kw)
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-30:]
        raise RealEnvError(f"{what} failed (exit {proc.returncode}):\n" + "\n".join(tail))
    return str(proc.stdout)


def venv_python(flavour: str) -> Path:
    """The python of ``<repo>/.venv-swanlab-<flavour>/<hash>/``, built with setup_venv.sh once
    per hash of (setup script, constraints, flavour); a lock serialises concurrent sessions and
    a ``.complete`` marker written last means a half-built venv is rebuilt, never used."""
    setup = REALDATA / "setup_venv.sh"
    h = hashlib.sha256(flavour.encode())
    for name in ("setup_venv.sh", "constraints-swanlab-0.10.3.txt"):
        h.update((REALDATA / name).read_bytes())
    root = REPO / f".venv-swanlab-{flavour}"
    target = root / h.hexdigest()[:16]
    python, marker = target / "bin" / "python", target / ".complete"
    if marker.is_file() and python.exists():
        return python
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.is_file() and python.exists():
            return python
        shutil.rmtree(target, ignore_errors=True)
        _run(["bash", str(setup), str(target), flavour], f"setup_venv.sh {flavour}")
        marker.write_text("ok\n")
    return python


@dataclass(frozen=True)
class RealData:
    flavour: str
    python: Path
    root: Path  # OUT of make_local_runs.py: one folder per project + manifest.json
    manifest: dict[str, Any]

    def project_dir(self, name: str) -> Path:
        return self.root / name

    def project(self, name: str) -> dict[str, Any]:
        for p in self.manifest["projects"]:
            if p["project"] == name:
                return dict(p)
        raise KeyError(name)


def generate(flavour: str, out: Path) -> RealData:
    python = venv_python(flavour)
    _run(
        [str(python), str(REALDATA / "make_local_runs.py"), "--out", str(out), "--clean"]
        + GEN_ARGS[flavour],
        f"make_local_runs.py ({flavour})",
        timeout=300,
        cwd=out.parent,
    )
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return RealData(flavour, python, out, manifest)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
    """Bounded polling on a condition (no fixed sleeps)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.05)


class LiveRun:
    """A real SwanLab run kept alive in a subprocess (``grow_run.py``): it logs ``first`` steps,
    flushes, and logs ``second`` more when :meth:`go` is called, then finishes."""

    def __init__(self, data: RealData, logdir: Path, first: int, second: int) -> None:
        self.ctl = logdir.parent / f".grow-{logdir.name}"
        self.ctl.mkdir(exist_ok=True)
        cmd = [str(data.python), str(HERE / "grow_run.py"), str(logdir), str(self.ctl)]
        cmd += [str(first), str(second)]
        self.log = (self.ctl / "out.log").open("w")
        self.proc = subprocess.Popen(
            cmd, stdout=self.log, stderr=subprocess.STDOUT, cwd=logdir.parent
        )

    def _state(self, name: str) -> bool:
        if self.proc.poll() not in (None, 0):
            raise RealEnvError(f"grow_run.py exited {self.proc.returncode}: {self.output()}")
        return (self.ctl / name).exists()

    def output(self) -> str:
        self.log.flush()
        return (self.ctl / "out.log").read_text(errors="replace")[-3000:]

    def wait_phase1(self) -> str:
        wait_for(lambda: self._state("phase1.done"), "the live run's first steps")
        return (self.ctl / "phase1.done").read_text().strip()  # the run folder name

    def go(self) -> None:
        (self.ctl / "go").write_text("go\n")

    def wait_finished(self) -> None:
        self.proc.wait(timeout=120)
        self.log.close()
        if self.proc.returncode != 0:
            raise RealEnvError(f"grow_run.py exited {self.proc.returncode}: {self.output()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()  # our own child, by its Popen handle
            self.proc.wait(timeout=30)
        if not self.log.closed:
            self.log.close()


class Dashboard:
    """``swanlab watch`` on 127.0.0.1 via serve_dashboard.sh; stopped by its PID."""

    def __init__(self, data: RealData, logdir: Path, log_path: Path) -> None:
        env = dict(os.environ, SWANLAB=str(data.python.parent / "swanlab"), SERVE_LOG=str(log_path))
        out = _run(
            ["bash", str(REALDATA / "serve_dashboard.sh"), "start", str(logdir)],
            "serve_dashboard.sh start",
            timeout=120,
            env=env,
        )
        pid, url = out.split()[:2]
        self.pid, self.url, self.log_path = int(pid), url, log_path

    def stop(self) -> None:
        subprocess.run(
            ["bash", str(REALDATA / "serve_dashboard.sh"), "stop", str(self.pid)],
            capture_output=True,
            timeout=60,
            check=False,
        )


def python_exe() -> str:
    return sys.executable

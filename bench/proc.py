"""Run a child process and measure it: wall time, exit code, peak RSS and CPU time of that child.

``os.wait4`` gives the rusage of exactly the child we started (and its waited descendants), so
peak RSS is exact without polling and does not mix with other children of the bench process.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

MB = 1024 * 1024


@dataclass
class ChildResult:
    returncode: int
    wall_s: float
    peak_rss_mb: float
    user_s: float
    sys_s: float
    stdout: str
    stderr: str


def run_measured(
    cmd: list[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    workdir: Path,
    name: str,
    timeout_s: float = 3600.0,
    secrets: tuple[str, ...] = (),
) -> ChildResult:
    """Run ``cmd`` to completion; stdout/stderr go to files in ``workdir`` (no pipe to fill).

    ``secrets`` are masked in the returned output. Raises ``TimeoutError`` (after killing the
    child by its PID) if it runs longer than ``timeout_s``."""
    workdir.mkdir(parents=True, exist_ok=True)
    out_path, err_path = workdir / f"{name}.out", workdir / f"{name}.err"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=cwd)
        timer = threading.Timer(timeout_s, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code  # we reaped it ourselves; tell Popen so it does not wait again
    if wall >= timeout_s:
        raise TimeoutError(f"{name} ran longer than {timeout_s:.0f} s and was killed")
    stdout = out_path.read_text(errors="replace")
    stderr = err_path.read_text(errors="replace")
    for secret in secrets:
        if secret:
            stdout = stdout.replace(secret, "<API-KEY>")
            stderr = stderr.replace(secret, "<API-KEY>")
    # ru_maxrss is in KiB on Linux.
    return ChildResult(
        code, wall, usage.ru_maxrss * 1024 / MB, usage.ru_utime, usage.ru_stime, stdout, stderr
    )

"""Run a child process and measure it: wall time, exit code, peak RSS and CPU time of that child.

Peak RSS is the kernel's high-water mark of the child's own address space (``VmHWM`` in
``/proc/<pid>/status``, monotone, read every few ms until the child exits). Not ``ru_maxrss``:
Linux carries the *parent's* high-water mark into a forked child's ``ru_maxrss`` across exec,
so a child of a big bench process would report the bench's memory as its own. CPU times come
from ``os.wait4`` for exactly this child.
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
        watcher = _PeakWatcher(proc.pid)
        watcher.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
            watcher.stop()
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
    return ChildResult(
        code, wall, watcher.peak_kib * 1024 / MB, usage.ru_utime, usage.ru_stime, stdout, stderr
    )


class _PeakWatcher(threading.Thread):
    """Reads the child's ``VmHWM`` until told to stop; keeps the highest value seen (KiB)."""

    def __init__(self, pid: int, period_s: float = 0.01) -> None:
        super().__init__(daemon=True, name=f"peak-rss-{pid}")
        self._status = Path(f"/proc/{pid}/status")
        self._period = period_s
        self._done = threading.Event()
        self.peak_kib = 0

    def _read(self) -> None:
        try:
            text = self._status.read_text()
        except OSError:  # gone (exited) or no procfs
            return
        for line in text.splitlines():
            if line.startswith("VmHWM:"):
                self.peak_kib = max(self.peak_kib, int(line.split()[1]))
                return

    def run(self) -> None:
        while not self._done.is_set():
            self._read()
            self._done.wait(self._period)

    def stop(self) -> None:
        self._done.set()
        self.join()

"""Start-up time of the command: ``python -m bench.startup`` prints one line per measurement.

Wall time of a fresh process, best of N (other work on the machine only ever adds time). Which
modules ``--help`` may load is checked by tests/cli/test_help.py; how long it takes is here.
"""

from __future__ import annotations

import compileall
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CASES = {
    "help_s": ["-m", "swansync", "--help"],
    "version_s": ["-m", "swansync", "--version"],
    "import_s": ["-c", "import swansync.cli, swansync.sync"],  # what `pull` loads before work
}
TARGET_S = 0.3  # for --help and --version


def compile_sources() -> bool:
    """Write the bytecode of swansync (and the simulator) as ``pip install`` does for a user.

    Without it every child process of the bench compiles swansync's modules from source when
    ``PYTHONDONTWRITEBYTECODE`` is set (as on this machine): 0.18 s of CPU per process that a
    user's install never pays. (Reading bytecode does not depend on that setting.)"""
    return all(
        compileall.compile_dir(ROOT / pkg, quiet=1, workers=1) for pkg in ("swansync", "trackersim")
    )


def best_of(args: list[str], tries: int) -> tuple[float, float]:
    """(best wall time, best CPU time user+sys) of ``python ARGS``, seconds."""
    wall = cpu = float("inf")
    for _ in range(tries):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, *args], check=True, cwd=ROOT, timeout=120, capture_output=True
        )
        wall = min(wall, time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        cpu = min(cpu, used)
    return wall, cpu


def startup_times(tries: int = 5) -> dict[str, Any]:
    """Per case ``<name>`` (wall) and ``<name>_cpu``: CPU time does not grow with the load
    other work puts on the machine, wall time does."""
    out: dict[str, Any] = {"tries": tries}
    for name, args in CASES.items():
        out[name], out[name.replace("_s", "_cpu_s")] = best_of(args, tries)
    return out


def main() -> None:
    times = startup_times()
    for name, args in CASES.items():
        mark = "" if name == "import_s" else (" ok" if times[name] < TARGET_S else " SLOW")
        cpu = times[name.replace("_s", "_cpu_s")]
        print(
            f"python {' '.join(args):38} wall {times[name]:.3f} s, CPU {cpu:.3f} s "
            f"(best of {times['tries']}){mark}"
        )


if __name__ == "__main__":
    main()

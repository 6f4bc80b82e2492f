"""Run by a SwanLab SDK venv's python (not ours): a real local-mode run whose console and text
media grow on cue.

    grow_console.py LOGDIR CTL FIRST SECOND

Prints ``line <i> ✓`` and logs ``samples/text`` = Text(``text <i>``, caption ``c<i>``) at step
i for i in 0..FIRST-1, waits until both are on disk, writes CTL/phase1.done (holding the run
folder name), waits for CTL/go, does the same for FIRST..FIRST+SECOND-1, and finishes.
"""

import glob
import os
import sys
import time

import swanlab  # type: ignore[import-not-found]  # the SDK venv's, not ours

logdir, ctl, first, second = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
version = tuple(int(x) for x in swanlab.__version__.split(".")[:2])
before = set(glob.glob(os.path.join(logdir, "run-*")))
if version >= (0, 8):
    run = swanlab.init(mode="local", project="growing", log_dir=logdir, name="console")
else:
    run = swanlab.init(mode="local", project="growing", logdir=logdir, experiment_name="console")
found = getattr(run, "dir", None) or getattr(getattr(run, "settings", None), "run_dir", None)
run_dir = str(found or sorted(set(glob.glob(os.path.join(logdir, "run-*"))) - before)[-1])


def on_disk(pattern, marker):
    n = 0
    for path in glob.glob(os.path.join(run_dir, pattern)):
        with open(path, "rb") as f:
            n += f.read().count(marker)
    return n


def wait(cond, timeout=120):
    deadline = time.time() + timeout
    while not cond():
        if time.time() > deadline:
            sys.exit("timed out")
        time.sleep(0.05)


def phase(lo, hi):
    for i in range(lo, hi):
        print(f"line {i} ✓", flush=True)
        swanlab.log({"samples/text": swanlab.Text(f"text {i}", caption=f"c{i}")}, step=i)
    wait(lambda: on_disk("console/*.log", "✓\n".encode()) >= hi)
    wait(lambda: on_disk("logs/*/*.log", b'"index"') >= hi)


phase(0, first)
with open(os.path.join(ctl, "phase1.done"), "w") as f:
    f.write(os.path.basename(run_dir.rstrip("/")) + "\n")
wait(lambda: os.path.exists(os.path.join(ctl, "go")), timeout=300)
phase(first, first + second)
swanlab.finish()

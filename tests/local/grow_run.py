"""Run by a SwanLab SDK venv's python (not ours): a real local-mode run that grows on cue.

    grow_run.py LOGDIR CTL FIRST SECOND

Logs steps 0..FIRST-1, waits until they are on disk, writes CTL/phase1.done (holding the run
folder name), waits for CTL/go, logs FIRST..FIRST+SECOND-1 and finishes. Values are functions of
the step so the test knows every expected point: train/loss = 1/(step+1) every step,
grow/every5 = step*0.5 every 5th step.
"""

import glob
import os
import sys
import time

import swanlab  # type: ignore[import-not-found]  # the SDK venv's, not ours

logdir, ctl, first, second = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
version = (
    tuple(int(x) for x in swanlab.__version__.split(".")[:2])
    if hasattr(swanlab, "__version__")
    else (0, 10)
)
before = set(glob.glob(os.path.join(logdir, "run-*")))
if version >= (0, 8):
    run = swanlab.init(
        mode="local", project="growing", log_dir=logdir, name="growing", config={"phase": 1}
    )
else:
    run = swanlab.init(
        mode="local",
        project="growing",
        logdir=logdir,
        experiment_name="growing",
        config={"phase": 1},
    )
found_dir = getattr(run, "dir", None) or getattr(getattr(run, "settings", None), "run_dir", None)
if not found_dir:
    found_dir = sorted(set(glob.glob(os.path.join(logdir, "run-*"))) - before)[-1]
run_dir: str = str(found_dir)


def log_range(lo, hi):
    for i in range(lo, hi):
        d = {"train/loss": 1.0 / (i + 1)}
        if i % 5 == 0:
            d["grow/every5"] = i * 0.5
        swanlab.log(d, step=i)
    return sum(2 if i % 5 == 0 else 1 for i in range(lo, hi))


def lines_on_disk():
    n = 0
    for path in glob.glob(os.path.join(run_dir, "logs", "*", "*.log")):
        with open(path, "rb") as f:
            n += f.read().count(b"\n")
    return n


def wait(cond, timeout=120):
    deadline = time.time() + timeout
    while not cond():
        if time.time() > deadline:
            sys.exit("timed out")
        time.sleep(0.05)


n1 = log_range(0, first)
wait(lambda: lines_on_disk() >= n1)
with open(os.path.join(ctl, "phase1.done"), "w") as f:
    f.write(os.path.basename(run_dir.rstrip("/")) + "\n")
wait(lambda: os.path.exists(os.path.join(ctl, "go")), timeout=300)
n2 = log_range(first, first + second)
wait(lambda: lines_on_disk() >= n1 + n2)
swanlab.finish()

"""Log the runs of ``spec.py`` with the real SwanLab SDK (local mode) and the real wandb SDK
(offline mode), for the cross-tracker view test.

Usage (``regenerate.py`` finds or builds the two SDK venvs and calls this)::

    python make_runs.py --swanlab-python PY --wandb-python PY --out DIR

The parent (any python, stdlib only) starts this file once under each SDK's python with
``--child swanlab|wandb``, in a private HOME and working folder with no inherited ``WANDB_*``
or ``SWANLAB_*`` variables, then copies what swansync reads into ``DIR/swanlab`` (the SwanLab
log folder: ``runs.swanlab`` and the run folders, without what swansync does not read and
without the ``.gitignore`` SwanLab writes, which ignores everything) and ``DIR/wandb`` (each
run folder's ``.wandb`` log and ``files/requirements.txt``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))  # the repository: the SDK pythons do not know it

from tests.wandb_offline.crosstracker import spec  # noqa: E402  (stdlib only)

CRASH_ERROR = "RuntimeError: the loss diverged (simulated)"


def _value(tracker: str, value: Any) -> Any:
    if isinstance(value, tuple) and value[0] == "text":
        if tracker == "swanlab":
            import swanlab  # type: ignore[import-not-found]  # only in the SDK venv

            return swanlab.Text(value[1])
        return value[1]
    return value


def child_swanlab(out: Path) -> None:
    import swanlab

    for index, run in enumerate(spec.RUNS):
        swanlab.init(
            mode="local",
            project=spec.PROJECT,
            log_dir=str(out),
            name=run["name"],
            id=spec.run_id(index),
            description=spec.notes(run),
            config=spec.config(run),
        )
        for step, values in spec.rows(run):
            swanlab.log({k: _value("swanlab", v) for k, v in values.items()}, step=step)
        if run["crash"]:
            swanlab.finish(state="crashed", error=CRASH_ERROR)
        else:
            swanlab.finish()


def child_wandb(out: Path) -> None:
    import wandb  # type: ignore[import-not-found]  # only in the SDK venv

    for index, run in enumerate(spec.RUNS):
        handle = wandb.init(
            mode="offline",
            project=spec.PROJECT,
            dir=str(out),
            name=run["name"],
            id=spec.run_id(index),
            notes=spec.notes(run),
            config=spec.config(run),
            settings=wandb.Settings(x_disable_stats=True),
        )
        for step, values in spec.rows(run):
            handle.log({k: _value("wandb", v) for k, v in values.items()}, step=step)
        handle.finish(exit_code=1 if run["crash"] else 0)


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(("WANDB", "SWANLAB"))}
    env.update(
        HOME=str(home),
        WANDB_MODE="offline",
        WANDB_CONFIG_DIR=str(home / "wandb-config"),
        WANDB_CACHE_DIR=str(home / "wandb-cache"),
        WANDB_DATA_DIR=str(home / "wandb-data"),
        WANDB_DISABLE_GIT="true",
        PYTHONIOENCODING="utf-8",
    )
    return env


def _child(python: Path, tracker: str, out: Path, work: Path) -> None:
    proc = subprocess.run(
        [str(python), __file__, "--child", tracker, "--out", str(out)],
        env=_env(work / "home"),
        cwd=work,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-20:]
        raise SystemExit(
            f"the {tracker} child failed (exit {proc.returncode}):\n" + "\n".join(tail)
        )


def _swanlab_unread(folder: str, names: list[str]) -> set[str]:
    """What swansync's log-folder source does not read: debug logs, media files, the per-run
    record log (``run-<id>.swanlab``), dated console logs (``console/error.log`` stays)."""
    skip = {n for n in names if n in ("debug", "media", ".gitignore")}
    skip |= {n for n in names if n.startswith("run-") and n.endswith(".swanlab")}
    if Path(folder).name == "console":
        skip |= {n for n in names if n != "error.log"}
    return skip


def _copy_swanlab(src: Path, dest: Path) -> None:
    shutil.copytree(src, dest, ignore=_swanlab_unread)


def _copy_wandb(src: Path, dest: Path) -> None:
    for run_dir in sorted((src / "wandb").glob("offline-run-*")):
        target = dest / "wandb" / run_dir.name
        (target / "files").mkdir(parents=True)
        for log in run_dir.glob("run-*.wandb"):
            shutil.copy2(log, target / log.name)
        requirements = run_dir / "files" / "requirements.txt"
        if requirements.is_file():
            shutil.copy2(requirements, target / "files" / requirements.name)


def parent(swanlab_python: Path, wandb_python: Path, out: Path) -> None:
    # absolute, not resolved: a venv's python is a symlink that must stay inside the venv
    swanlab_python, wandb_python = swanlab_python.absolute(), wandb_python.absolute()
    with tempfile.TemporaryDirectory(prefix="crosstracker-") as tmp:
        work = Path(tmp)
        (work / "home").mkdir()
        _child(swanlab_python, "swanlab", work / "swanlab", work)
        _child(wandb_python, "wandb", work / "wandb", work)
        for name in ("swanlab", "wandb"):
            shutil.rmtree(out / name, ignore_errors=True)
        out.mkdir(parents=True, exist_ok=True)
        _copy_swanlab(work / "swanlab", out / "swanlab")
        _copy_wandb(work / "wandb", out / "wandb")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--swanlab-python", type=Path)
    parser.add_argument("--wandb-python", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--child", choices=("swanlab", "wandb"))
    args = parser.parse_args()
    if args.child == "swanlab":
        child_swanlab(args.out)
    elif args.child == "wandb":
        child_wandb(args.out)
    else:
        parent(args.swanlab_python, args.wandb_python, args.out)


if __name__ == "__main__":
    main()

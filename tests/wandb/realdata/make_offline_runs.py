"""Write W&B offline runs with the real ``wandb`` SDK, and a manifest of what was logged.

Usage (``tests/wandb/realdata/regenerate.py`` builds the SDK venvs and calls this)::

    python make_offline_runs.py --sdk-python .venv-wandb-sdk/<v>/bin/python --out DIR

The parent (any python, stdlib only) starts this same file under the SDK's python with
``--child SCENARIO`` once per run, in a private HOME/cwd with ``WANDB_MODE=offline`` and no
inherited ``WANDB_*`` variables, then copies each run folder into ``DIR/sdk-<version>/wandb/``
trimmed to what the tests read (the log, ``files/output.log``, ``requirements.txt``,
``wandb-metadata.json``, ``wandb-summary.json`` and the small media files; no ``logs/``,
``tmp/`` or symlinks) and writes ``DIR/manifest-<version>.json``.

Scenarios:

- ``full``: nested config (dicts, lists, unicode and dotted keys, None, a dict shaped like a
  ``{value, desc}`` wrapper), a config update, keys logged in separate ``log`` calls on
  different step grids, NaN/±inf/-0.0/1e308/subnormal/large ints, nested dicts, an image, a
  histogram and a table, text and bools, explicit summary values, console lines, an exit code.
- ``killed`` (wandb-core SDKs only): logs rows in batches until wandb-core has written a first
  32 KiB block, then wandb-core and the python process each get SIGKILL (by pid) while rows
  are still buffered: the log ends at a block boundary, usually inside a record.
- ``growing`` (idem): the parent steps the child through a pipe ("log N" → "ok"), copies the
  log each time it has grown and finally lets it finish; the manifest keeps each copy's size,
  and the parent checks that every copy is a byte prefix of the final file (the log only ever
  grows by appending), so the tests can read those prefixes of the committed file.

wandb-core (0.18+) writes the log a 32 KiB block at a time, asynchronously, so the parent has
to wait for the file to grow; it polls the file size (bounded, 120 s) for that. Nothing else
waits on time.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PROJECT = "swansync-fixtures"
ENTITY = "fixture-entity"
BLOCK = 32 * 1024
WAIT_S = 120.0

CONFIG: dict[str, Any] = {
    "lr": 0.001,
    "epochs": 3,
    "one_float": 1.0,
    "model": {"name": "resnet", "layers": [64, 128], "opts": {"dropout": None, "bn": True}},
    "dotted.key": "x",
    "ünï": "çødé ☃",
    "none": None,
    "mixed_list": [1, "a", None, 2.5, {"k": "v"}],
    "wrapper_like": {"value": 1, "desc": "a user dict, not a W&B wrapper"},
}
CONFIG_UPDATE: dict[str, Any] = {"late": {"warmup": 5}, "epochs": 4}
SUMMARY_SET: dict[str, Any] = {"best_acc": 0.95, "final": {"x": 1, "y": [1, 2]}}
STDOUT_LINES = ["fixture line one", "ünïcode line two"]
MEDIA = {"media/image": "image-file", "media/hist": "histogram", "media/table": "table-file"}


def full_ops() -> list[tuple[int, dict[str, Any]]]:
    """The ``run.log(values, step=step)`` calls of the full scenario, in order."""
    ops: list[tuple[int, dict[str, Any]]] = []
    for step in range(40):
        ops.append((step, {"train/loss": 1.0 / (step + 1)}))
        if step % 5 == 0:
            ops.append((step, {"val/acc": 0.5 + step / 100}))
        if step % 8 == 3:
            ops.append((step, {"lr": 0.1 * 0.9**step}))
        if step == 7:
            ops.append(
                (
                    step,
                    {
                        "special/nan": math.nan,
                        "special/inf": math.inf,
                        "special/ninf": -math.inf,
                        "special/negzero": -0.0,
                        "special/big": 1e308,
                        "special/subnormal": 5e-324,
                        "special/int_float": 2.0,
                        "special/bigint": 2**53 + 1,
                        "special/negint": -7,
                    },
                )
            )
        if step == 9:
            ops.append((step, {"nested": {"a": {"b": 1.5}, "c": -2}, "ünï/metric": 3.25}))
        if step == 12:
            ops.append((step, {key: {"__media__": kind} for key, kind in MEDIA.items()}))
        if step == 20:
            ops.append((step, {"text": "ü multi\nline", "flag": True}))
    return ops


def formula_row(step: int) -> dict[str, Any]:
    """The row the killed and growing scenarios log at ``step`` (no explicit step)."""
    return {"loss": 1.0 / (step + 1), "acc": step / 1000}


# ---------------------------------------------------------------- manifest encoding


def enc(value: Any) -> Any:
    """JSON-safe and exact: floats as their repr (nan, inf, -0.0 survive), media by type."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return {"float": repr(value)}
    if isinstance(value, list):
        return [enc(v) for v in value]
    if isinstance(value, dict):
        if "__media__" in value:
            return {"media": value["__media__"]}
        return {"dict": {k: enc(v) for k, v in value.items()}}
    raise TypeError(f"cannot encode {type(value).__name__}")


def flatten(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict) and value and "__media__" not in value:
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def rows_of(ops: list[tuple[int, dict[str, Any]]]) -> list[dict[str, Any]]:
    """What W&B records: one row per step, the keys of every call at that step merged."""
    rows: dict[int, dict[str, Any]] = {}
    for step, values in ops:
        rows.setdefault(step, {}).update(flatten(values))
    return [{"step": s, "values": {k: enc(v) for k, v in rows[s].items()}} for s in sorted(rows)]


def expected_summary(ops: list[tuple[int, dict[str, Any]]]) -> dict[str, Any]:
    last: dict[str, Any] = {}
    for _, values in ops:
        last.update(flatten(values))
    last.update(flatten(SUMMARY_SET))
    return {k: enc(v) for k, v in last.items()}


# ---------------------------------------------------------------- child (SDK python)


def child(scenario: str, run_id: str) -> None:
    import wandb  # type: ignore[import-not-found]  # only in the SDK venv

    if scenario == "full":
        run = wandb.init(
            project=PROJECT,
            entity=ENTITY,
            id=run_id,
            name="full ü run",
            tags=["baseline", "ü-tag"],
            group="grp",
            job_type="train",
            notes="notes, with a comma",
            config=CONFIG,
        )
        run.config.update(CONFIG_UPDATE, allow_val_change=True)
        for line in STDOUT_LINES:
            print(line, flush=True)
        for step, values in full_ops():
            run.log({k: _media(wandb, v) for k, v in values.items()}, step=step)
        for key, value in SUMMARY_SET.items():
            run.summary[key] = value
        run.finish(exit_code=int(os.environ["FIXTURE_EXIT_CODE"]))
        return
    run = wandb.init(project=PROJECT, entity=ENTITY, id=run_id, name=scenario)
    step = 0
    for line in sys.stdin:  # "log N" or "finish"; the killed run is killed before it finishes
        command = line.split()
        if command[0] == "finish":
            run.finish()
            print("finished", flush=True)
            return
        for _ in range(int(command[1])):
            run.log(formula_row(step))
            step += 1
        print(f"ok {step}", flush=True)


def _media(wandb: Any, value: Any) -> Any:
    if not isinstance(value, dict) or "__media__" not in value:
        return value
    import numpy as np  # type: ignore[import-not-found]

    kind = value["__media__"]
    if kind == "image-file":
        return wandb.Image(np.arange(48, dtype=np.uint8).reshape(4, 4, 3))
    if kind == "histogram":
        return wandb.Histogram([1.0, 2.0, 2.5, 3.0], num_bins=4)
    return wandb.Table(columns=["a", "b"], data=[[1, "x"], [2, "y"]])


# ---------------------------------------------------------------- parent (any python)


class Sdk:
    def __init__(self, python: Path, work: Path) -> None:
        self.python = python
        self.version = subprocess.run(
            [str(python), "-c", "import wandb; print(wandb.__version__)"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        self.tag = self.version.replace(".", "")
        self.wandb_dir = work / f"sdk-{self.version}"
        self.wandb_dir.mkdir(parents=True)
        self.home = work / "home"
        self.home.mkdir(exist_ok=True)
        self.cwd = work / "cwd"
        self.cwd.mkdir(exist_ok=True)

    @property
    def has_core(self) -> bool:
        major, minor = (int(p) for p in self.version.split(".")[:2])
        return (major, minor) >= (0, 18)

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.upper().startswith("WANDB")}
        env.update(
            HOME=str(self.home),
            WANDB_MODE="offline",
            WANDB_DIR=str(self.wandb_dir),
            WANDB_CONFIG_DIR=str(self.home / "wandb-config"),
            WANDB_CACHE_DIR=str(self.home / "wandb-cache"),
            WANDB_DATA_DIR=str(self.home / "wandb-data"),
            WANDB_DISABLE_GIT="true",
            PYTHONIOENCODING="utf-8",
            **extra,
        )
        return env

    def start(self, scenario: str, run_id: str, **extra: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [str(self.python), __file__, "--child", scenario, "--run-id", run_id],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=self.env(**extra),
            cwd=self.cwd,
        )

    def log_path(self, run_id: str) -> Path:
        found = list((self.wandb_dir / "wandb").glob(f"offline-run-*-{run_id}/run-{run_id}.wandb"))
        return found[0] if found else self.wandb_dir / "missing"


def wait_for(condition: Any, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up after {WAIT_S:.0f} s waiting for {what}")
        time.sleep(0.02)


def size_of(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def run_full(sdk: Sdk) -> dict[str, Any]:
    run_id = f"full{sdk.tag}"
    exit_code = 0 if sdk.has_core else 3
    proc = sdk.start("full", run_id, FIXTURE_EXIT_CODE=str(exit_code))
    proc.communicate(timeout=300)
    if proc.returncode != 0:
        raise SystemExit(f"the full scenario failed (exit {proc.returncode})")
    ops = full_ops()
    return {
        "scenario": "full",
        "run_id": run_id,
        "entity": ENTITY,
        "project": PROJECT,
        "display_name": "full ü run",
        "tags": ["baseline", "ü-tag"],
        "group": "grp",
        "job_type": "train",
        "notes": "notes, with a comma",
        "config": enc({**CONFIG, **CONFIG_UPDATE})["dict"],
        "rows": rows_of(ops),
        "summary": expected_summary(ops),
        "media": MEDIA,
        "stdout_lines": STDOUT_LINES,
        "exit_code": exit_code,
    }


def children_of(pid: int) -> list[int]:
    """Pids whose parent is ``pid`` (wandb-core runs in a session of its own)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def step_child(proc: subprocess.Popen[str], command: str) -> int:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(command + "\n")
    proc.stdin.flush()
    return int(proc.stdout.readline().split()[1])


def tail_is_torn(data: bytes) -> bool:
    """Whether the log ends inside a record (a chunk cut short, or FIRST/MIDDLE without LAST).

    A few lines of framing, independent of the reader under test: walk the chunk headers."""
    pos, open_record = 7, False
    while pos < len(data):
        left = BLOCK - pos % BLOCK
        if left < 7:
            pos += left
            continue
        if pos + 7 > len(data):
            return True
        length, kind = int.from_bytes(data[pos + 4 : pos + 6], "little"), data[pos + 6]
        if pos + 7 + length > len(data):
            return True
        open_record = kind in (2, 3)
        pos += 7 + length
    return open_record


def run_killed(sdk: Sdk) -> dict[str, Any]:
    """Kill wandb-core, then python, mid-write; retried (new run id) until the log's tail is
    torn, since wandb-core sometimes flushes a partial block at a record boundary first."""
    for attempt in "abcdefgh":
        run_id = f"killed{sdk.tag}{attempt}"
        proc = sdk.start("killed", run_id)
        logged = step_child(proc, "log 40")
        log = sdk.log_path(run_id)
        while size_of(log) < BLOCK:
            if logged > 5000:
                raise SystemExit("wandb-core wrote no block after 5000 rows")
            logged = step_child(proc, "log 40")
        for pid in children_of(proc.pid):  # wandb-core first, while rows are still buffered
            os.kill(pid, signal.SIGKILL)
        proc.kill()
        proc.wait(timeout=60)
        if tail_is_torn(log.read_bytes()):
            break
    else:
        raise SystemExit("no killed run ended inside a record in 8 attempts")
    return {
        "scenario": "killed",
        "run_id": run_id,
        "rows": [
            {"step": s, "values": {k: enc(v) for k, v in formula_row(s).items()}}
            for s in range(logged)
        ],
        "killed_at": size_of(log),
        "attempts": "abcdefgh".index(attempt) + 1,
    }


def run_growing(sdk: Sdk) -> dict[str, Any]:
    run_id = f"growing{sdk.tag}"
    proc = sdk.start("growing", run_id)
    assert proc.stdin is not None and proc.stdout is not None
    snapshots: list[dict[str, Any]] = []
    copies: list[bytes] = []
    log = sdk.log_path(run_id)
    logged = 0
    for batch in (60, 120, 120):
        logged = step_child(proc, f"log {batch}")
        log = sdk.log_path(run_id)
        seen = len(copies[-1]) if copies else 0
        wait_for(lambda: size_of(log) > max(seen, 7), "the growing run's log to grow")  # noqa: B023
        copies.append(log.read_bytes())
        snapshots.append({"size": len(copies[-1]), "rows_logged": logged})
    proc.stdin.write("finish\n")
    proc.stdin.flush()
    proc.stdout.readline()
    proc.wait(timeout=120)
    final = log.read_bytes()
    for copy in copies:
        if not final.startswith(copy):
            raise SystemExit("a copy of the growing log is not a prefix of the final log")
    return {
        "scenario": "growing",
        "run_id": run_id,
        "rows": [
            {"step": s, "values": {k: enc(v) for k, v in formula_row(s).items()}}
            for s in range(logged)
        ],
        "snapshots": snapshots,
        "exit_code": 0,
    }


KEEP_FILES = ("output.log", "requirements.txt", "wandb-metadata.json", "wandb-summary.json")


def trim_copy(run_dir: Path, dest: Path) -> None:
    """The run folder minus logs/, tmp/ and symlinks: what the tests read."""
    dest.mkdir(parents=True)
    for log in run_dir.glob("run-*.wandb"):
        shutil.copy2(log, dest / log.name)
    files = run_dir / "files"
    for name in KEEP_FILES:
        if (files / name).is_file():
            (dest / "files").mkdir(exist_ok=True)
            shutil.copy2(files / name, dest / "files" / name)
    if (files / "media").is_dir():
        shutil.copytree(files / "media", dest / "files" / "media", symlinks=True)


def parent(sdk_python: Path, out: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="wandb-fixtures-") as tmp:
        sdk = Sdk(sdk_python, Path(tmp))
        runs = [run_full(sdk)]
        if sdk.has_core:
            runs += [run_killed(sdk), run_growing(sdk)]
        target = out / f"sdk-{sdk.version}"
        shutil.rmtree(target, ignore_errors=True)
        for entry in runs:
            run_dir = sdk.log_path(entry["run_id"]).parent
            entry["folder"] = f"sdk-{sdk.version}/wandb/{run_dir.name}"
            trim_copy(run_dir, out / entry["folder"])
        manifest = {"sdk": sdk.version, "python": sys.version.split()[0], "runs": runs}
        (out / f"manifest-{sdk.version}.json").write_text(dump(manifest), encoding="utf-8")


def dump(manifest: dict[str, Any]) -> str:
    """Indented JSON with each history row on one line (keeps the file small and diffable)."""
    rows: list[str] = []
    for run in manifest["runs"]:
        compact = [json.dumps(r, ensure_ascii=False, sort_keys=True) for r in run["rows"]]
        run["rows"] = [f"@@row{len(rows) + i}@@" for i in range(len(compact))]
        rows += compact
    text = json.dumps(manifest, indent=1, ensure_ascii=False, sort_keys=True)
    for i, row in enumerate(rows):
        text = text.replace(f'"@@row{i}@@"', row, 1)
    return text + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sdk-python", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--child")
    parser.add_argument("--run-id")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.run_id)
    else:
        parent(args.sdk_python, args.out)


if __name__ == "__main__":
    main()

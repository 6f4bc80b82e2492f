"""Find W&B run folders and the files in them, without writing anything.

The SDK writes one folder per run under ``<WANDB_DIR>/wandb/``: ``offline-run-<stamp>-<id>``
(``WANDB_MODE=offline``) or ``run-<stamp>-<id>`` (online; it keeps a local log too), where
``<stamp>`` is the local start time ``YYYYMMDD_HHMMSS``. Inside: ``run-<id>.wandb`` (the log,
see ``reader.py``), ``run-<id>.wandb.synced`` once ``wandb sync`` uploaded it,
``files/output.log`` (captured console), ``files/requirements.txt``, ``files/wandb-metadata.json``
(0.17.x; 0.31.0 puts that in environment records), ``logs/`` and media under ``files/media``.
``wandb/latest-run`` is a symlink to the newest run: symlinks are never followed, so each run
is found once.

:func:`find_runs` takes a run folder, a ``wandb/`` folder, or any folder above (run folders at
most ``MAX_DEPTH`` levels below it are found; hidden folders and virtualenv/package trees are
skipped).

**Run state.** A log ends with an exit record when the run finished (``exit_code`` 0) or
failed (non-zero; W&B calls it "failed"). A log without one is either still being written
(live) or its writer died (killed, out of memory, machine lost). The file cannot say which, so
the sync compares the file's size and mtime with those it saw last time (its bookmark, kept
with the byte offset): grown or touched since → RUNNING; unchanged → CRASHED. On the first
look there is no bookmark: the run counts as RUNNING until a later look finds it unchanged.
:func:`run_state` is that rule.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from swansync.errors import DataError

MAX_DEPTH = 6
RUN_DIR = re.compile(r"^(?P<kind>offline-run|run)-(?P<stamp>\d{8}_\d{6})-(?P<id>[^/\\]+)$")
_SKIP_DIRS = frozenset({"node_modules", "__pycache__", "site-packages", "venv"})


class WandbFolderError(DataError):
    """The path is not a folder, or holds no W&B run folder at all."""


@dataclass(frozen=True)
class RunFolder:
    """One run's folder and the files it has (None where absent)."""

    path: Path
    run_id: str
    offline: bool
    stamp: str
    log: Path
    synced: bool
    output_log: Path | None
    requirements: Path | None
    metadata: Path | None


@dataclass(frozen=True)
class Found:
    runs: tuple[RunFolder, ...]
    warnings: tuple[str, ...]


def find_runs(path: str | os.PathLike[str]) -> Found:
    """Every run folder at or under ``path`` (sorted by start stamp, then id).

    Raises :class:`WandbFolderError` when ``path`` is not a folder, or when it has neither a
    run folder nor a ``wandb`` folder (an empty ``wandb/`` is fine: no runs yet)."""
    root = Path(path)
    if not root.is_dir():
        raise WandbFolderError(f"{root}: not a folder (expected a W&B run folder or wandb/ dir)")
    runs: list[RunFolder] = []
    warnings: list[str] = []
    saw_wandb_dir = root.name == "wandb"
    match = RUN_DIR.match(root.name)
    if match:
        _add_run(root, match, runs, warnings)
    else:
        saw_wandb_dir |= _walk(root, 0, runs, warnings)
    if not runs and not saw_wandb_dir:
        raise WandbFolderError(
            f"{root}: no W&B runs here (looked for wandb/offline-run-*/run-*.wandb and "
            f"wandb/run-*/run-*.wandb up to {MAX_DEPTH} levels down)"
        )
    runs.sort(key=lambda r: (r.stamp, r.run_id, str(r.path)))
    return Found(tuple(runs), tuple(warnings))


def _walk(folder: Path, depth: int, runs: list[RunFolder], warnings: list[str]) -> bool:
    """Runs among the entries of ``folder`` (which is ``depth`` levels below the root) and
    below them; True if a ``wandb`` folder was looked into."""
    saw_wandb_dir = False
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        warnings.append(f"{folder}: cannot list: {exc.strerror or exc}")
        return False
    for entry in entries:
        if not entry.is_dir(follow_symlinks=False):
            continue
        match = RUN_DIR.match(entry.name)
        if match:
            _add_run(Path(entry.path), match, runs, warnings)
        elif depth + 1 < MAX_DEPTH and not _skipped(entry.name):
            saw_wandb_dir |= entry.name == "wandb"
            saw_wandb_dir |= _walk(Path(entry.path), depth + 1, runs, warnings)
    return saw_wandb_dir


def _skipped(name: str) -> bool:
    return name.startswith(".") or name in _SKIP_DIRS


def _add_run(
    folder: Path, match: re.Match[str], runs: list[RunFolder], warnings: list[str]
) -> None:
    run_id = match["id"]
    log = folder / f"run-{run_id}.wandb"
    if not log.is_file():
        others = sorted(p.name for p in folder.glob("*.wandb") if p.is_file())
        if len(others) != 1:
            warnings.append(f"{folder}: no run-{run_id}.wandb log here; skipped")
            return
        log = folder / others[0]
    files = folder / "files"
    runs.append(
        RunFolder(
            path=folder,
            run_id=run_id,
            offline=match["kind"] == "offline-run",
            stamp=match["stamp"],
            log=log,
            synced=log.with_name(log.name + ".synced").is_file(),
            output_log=_file(files / "output.log"),
            requirements=_file(files / "requirements.txt"),
            metadata=_file(files / "wandb-metadata.json"),
        )
    )


def _file(path: Path) -> Path | None:
    return path if path.is_file() else None


def read_metadata(run: RunFolder) -> tuple[dict[str, object] | None, str | None]:
    """``files/wandb-metadata.json`` as a dict, or (None, warning) when absent or unreadable."""
    if run.metadata is None:
        return None, None
    try:
        data = json.loads(run.metadata.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        return None, f"{run.metadata}: unreadable ({exc.__class__.__name__}); ignored"
    if not isinstance(data, dict):
        return None, f"{run.metadata}: not a JSON object; ignored"
    return data, None


def read_requirements(run: RunFolder) -> tuple[str, ...]:
    """The ``pip freeze`` lines of ``files/requirements.txt`` (blank lines dropped)."""
    if run.requirements is None:
        return ()
    try:
        text = run.requirements.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ()
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def run_state(
    *,
    has_exit: bool,
    exit_code: int | None,
    size: int,
    mtime_ns: int,
    previous: tuple[int, int] | None,
) -> str:
    """The module docstring's rule: FINISHED / CRASHED / RUNNING from the log's exit record
    and its (size, mtime_ns) now versus ``previous`` (None on the first look)."""
    if has_exit:
        return "FINISHED" if exit_code == 0 else "CRASHED"
    if previous is None or previous != (size, mtime_ns):
        return "RUNNING"
    return "CRASHED"

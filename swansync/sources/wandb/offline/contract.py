"""Contract records (projects, runs, metric keys, summaries) from what a run's log folded into.

The mapping is ``conventions.py``'s, shared with the cloud source; what only an offline folder
needs deciding is here:

- **project**: ``entity/project`` from the run record; a run logged without an entity (offline
  runs often are: W&B fills it in at ``wandb sync``) goes to ``local/<project>``, the form the
  SwanLab log-folder source uses, and a run without a project to W&B's own default,
  ``uncategorized``.
- **finished_at**: for a run with an exit record, its start time plus the exit record's
  runtime, or the latest time the log holds (a history ``_timestamp``, a system sample, a
  console line) if that is later; for a run found CRASHED without one, that latest time; NULL
  while RUNNING.
- **metadata**: the environment records (0.18+) with ``files/wandb-metadata.json`` (0.17.x)
  over them, plus the run record's host and git facts where those lack them.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from swansync.sources.base import (
    TERMINAL_STATES,
    MetricKeyRecord,
    ProjectRecord,
    RunRecord,
    SummaryRecord,
)
from swansync.sources.wandb.conventions import metric_class
from swansync.sources.wandb.offline.folder import RunFolder
from swansync.sources.wandb.offline.state import LogState
from swansync.sources.wandb.offline.values import flatten

LOCAL_ENTITY = "local"
DEFAULT_PROJECT = "uncategorized"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def project_path(run: dict[str, Any]) -> tuple[str, str, str]:
    """``(project, workspace, name)`` of a run record's entity and project."""
    entity = str(run.get("entity") or "") or LOCAL_ENTITY
    name = str(run.get("project") or "") or DEFAULT_PROJECT
    return f"{entity}/{name}", entity, name


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _from_ms(ms: int | None) -> datetime | None:
    return None if ms is None else _EPOCH + timedelta(milliseconds=ms)


def created_at(state: LogState) -> datetime | None:
    return _time((state.run or {}).get("start_time"))


def finished_at(state: LogState) -> datetime | None:
    """The module docstring's rule."""
    if state.state not in TERMINAL_STATES:
        return None
    last = _from_ms(state.last_ts)
    start = created_at(state)
    if state.exit is not None and start is not None:
        ended = start + timedelta(seconds=state.exit[1])
        return ended if last is None or ended >= last else last
    return last or start


def project_record(path: str, runs: list[LogState], root: str) -> ProjectRecord:
    workspace, _, name = path.partition("/")
    starts = [t for t in (created_at(s) for s in runs) if t is not None]
    lasts = [t for t in (_from_ms(s.last_ts) for s in runs) if t is not None]
    return {
        "project": path,
        "project_id": None,
        "workspace": workspace,
        "name": name,
        "description": None,
        "visibility": None,
        "labels": [],
        "run_count": len(runs),
        "created_at": min(starts) if starts else None,
        "updated_at": max(lasts) if lasts else None,
        "url": None,
        "raw": {"wandb_dir": root},
    }


def _hash(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def run_record(project: str, state: LogState, found: RunFolder, side_files: str) -> RunRecord:
    """The run without its profile; ``side_files`` is a stat marker of the files
    :func:`profile` reads (so the sync re-reads the detail when one of them changes)."""
    run = state.run or {}
    internal = state.config.get("_wandb")
    raw: dict[str, Any] = {
        **run,
        "folder": state.folder,
        "offline": found.offline,
        "synced": found.synced,
        "exit_code": None if state.exit is None else state.exit[0],
        "exit_runtime": None if state.exit is None else state.exit[1],
        "summary": {k: v for k, v in state.summary.items() if k != "_wandb"},
        "summary_wandb": state.summary.get("_wandb"),
        "config_wandb": internal,
        "sdk": state.sdk,
        "history_rows": state.rows,
        "log_offset": state.offset,
        "log_size": state.size,
    }
    config = {k: v for k, v in state.config.items() if k != "_wandb"}
    marker = f"{_hash(config)}:{_hash(state.env)}:{side_files}"
    return {
        "project": project,
        "run_id": str(run.get("run_id") or found.run_id),
        "slug": str(run.get("run_id") or found.run_id),
        "name": run.get("display_name") or None,
        "description": run.get("notes") or None,
        "state": state.state,
        "cluster": run.get("group") or None,
        "job": run.get("job_type") or None,
        "labels": [str(t) for t in run.get("tags") or []],
        "username": _username(state),
        "created_at": created_at(state),
        "finished_at": finished_at(state),
        "url": None,
        "config": None,
        "metadata": None,
        "requirements": None,
        "conda": None,
        "pinned": None,
        "project_id": None,
        "root_project_id": None,
        "root_run_id": None,
        "raw": raw,
        "has_profile": False,
        "change_marker": marker,
        "cursor": state.to_cursor(),
    }


def _username(state: LogState) -> str | None:
    name = state.env.get("username") or state.username
    return name if isinstance(name, str) and name else None


def profile(
    state: LogState, metadata_file: dict[str, Any] | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Config (``_wandb`` left out: it is in ``raw``) and metadata of the run's detail."""
    metadata: dict[str, Any] = {**state.env, **(metadata_file or {})}
    info = state.run or {}
    if info.get("host") and "host" not in metadata:
        metadata["host"] = info["host"]
    if (info.get("git_remote") or info.get("git_commit")) and "git" not in metadata:
        metadata["git"] = {"remote_url": info.get("git_remote"), "commit": info.get("git_commit")}
    config = {k: v for k, v in state.config.items() if k != "_wandb"}
    return config, metadata


def metric_keys(project: str, run_id: str, state: LogState) -> list[MetricKeyRecord]:
    return [
        {
            "project": project,
            "run_id": run_id,
            "key": key,
            "kind": "SCALAR" if stats.scalar else "MEDIA",
            "klass": metric_class(key),
        }
        for key, stats in state.keys.items()
    ]


def summaries(project: str, run_id: str, state: LogState) -> list[SummaryRecord]:
    """Per scalar key with points: last step/value and finite min/max over every point read;
    ``raw`` holds the value W&B's own summary keeps for the key (if any)."""
    flat = flatten({k: v for k, v in state.summary.items() if k != "_wandb"})
    out: list[SummaryRecord] = []
    for key, stats in state.keys.items():
        if not stats.scalar or not stats.n:
            continue
        out.append(
            {
                "project": project,
                "run_id": run_id,
                "key": key,
                "klass": metric_class(key),
                "last_step": stats.last_step,
                "last_value": stats.last_value,
                "min_value": stats.min_value,
                "min_step": stats.min_step,
                "max_value": stats.max_value,
                "max_step": stats.max_step,
                "raw": {"summary": flat[key]} if key in flat else None,
            }
        )
    return out

"""Truth export: what a perfect mirror of a world holds, as plain dicts and lists.

Computed from the world's own model, never from the HTTP layer. Tables are lists of row dicts:

``viewer``     ``{username, entity, teams}``
``projects``   ``path`` ("entity/name"), entity, name, id, internal_id, created_at, description,
               run_count (live runs)
``runs``       project (path), run_id (the wire ``name``), storage_id, display_name, state,
               created_at, heartbeat_at, updated_at, tags, group, job_type, sweep, user, host,
               notes, commit, ``config`` (unwrapped, without ``_wandb``/``wandb_version``),
               ``config_flat`` (leaf path -> value: dicts joined with ``.``, list items as
               ``[i]``), ``config_raw`` (the wire form), ``wandb_internal`` (``_wandb`` etc.),
               ``summary`` (as the server holds it), ``system_metrics`` (latest),
               history_line_count, last_step (None without history), ``history_keys``
               (key -> W&B type: number, string, image-file, table-file, histogram), deleted
``history``    one row per (run, key, step) of every logged key (numbers, strings and media
               objects alike): project, run_id, key, step, value, timestamp (the row's
               ``_timestamp``, epoch seconds), runtime; ``_step``/``_runtime``/``_timestamp``
               themselves are not keys
``system``     one row per (run, key, event): project, run_id, key, index, value, timestamp,
               runtime (the ``events`` stream, every ``system.*`` key)
``media``      the history rows whose value is a W&B ``_type`` object (media/tables/histograms)
``logs``       one row per console line (``output.log``) as the contract stores it: project,
               run_id, seq, ts/level/stream (None: the file says none), text (console.py)
``media_items`` one row per media file the history names: project, run_id, key, step, idx,
               kind (image, table), caption, sha256, bytes, name (the file's name, the value's
               ``path``), missing (listed, but its download answers 404)

Rules: deleted runs stay in ``runs`` with ``deleted=True`` and are absent from every other table;
datetimes are timezone-aware UTC (whole seconds, as the server sends them); values are Python
values, NaN and ±inf as floats (how the wire spells them is a server option, not truth).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from trackersim.wandb import console
from trackersim.wandb.history import is_media, type_name
from trackersim.wandb.model import Run, flatten, unwrap_config, utc

if TYPE_CHECKING:
    from trackersim.wandb.world import World

RESERVED = ("_step", "_runtime", "_timestamp")


def history_points(run: Run, rows: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    path = run.project.path
    for row in rows:
        for key, value in row.items():
            if key in RESERVED:
                continue
            yield {
                "project": path,
                "run_id": run.name,
                "key": key,
                "step": row["_step"],
                "value": value,
                "timestamp": row["_timestamp"],
                "runtime": row["_runtime"],
            }


def history_keys(run: Run) -> dict[str, str]:
    out: dict[str, str] = {}
    for spec in run.keys:
        off = run.last_offset(spec)
        if off is not None:
            out[spec.name] = type_name(spec.value(off))
    return out


def run_row(run: Run) -> dict[str, Any]:
    user_config, internal = unwrap_config(run.config)
    last = run.last_row()
    return {
        "project": run.project.path,
        "run_id": run.name,
        "storage_id": run.storage_id,
        "display_name": run.display_name,
        "state": run.state,
        "created_at": utc(run.created_s),
        "heartbeat_at": utc(run.heartbeat_s),
        "updated_at": utc(run.updated_s),
        "tags": list(run.tags),
        "group": run.group,
        "job_type": run.job_type,
        "sweep": run.sweep,
        "user": run.user,
        "host": run.host,
        "notes": run.notes,
        "commit": run.commit,
        "config": copy.deepcopy(user_config),
        "config_flat": dict(flatten(user_config)) if user_config else {},
        "config_raw": copy.deepcopy(run.config),
        "wandb_internal": copy.deepcopy(internal),
        "summary": copy.deepcopy(run.summary()),
        "system_metrics": run.system_metrics(),
        "history_line_count": run.line_count(),
        "last_step": None if last is None else last["_step"],
        "history_keys": history_keys(run),
        "deleted": run.deleted,
    }


def build_truth(world: World, history: bool = True) -> dict[str, Any]:
    projects: list[dict[str, Any]] = []
    runs: list[dict[str, Any]] = []
    points: list[dict[str, Any]] = []
    system: list[dict[str, Any]] = []
    for path, proj in world.project_map.items():
        projects.append(
            {
                "path": path,
                "entity": proj.entity,
                "name": proj.name,
                "id": proj.id,
                "internal_id": proj.internal_id,
                "created_at": utc(proj.created_s),
                "description": proj.description,
                "run_count": len(proj.live_runs()),
            }
        )
        for run in proj.runs:
            runs.append(run_row(run))
            if run.deleted:
                continue
            if history:
                points.extend(history_points(run, run.rows()))
                for i, event in enumerate(run.events()):
                    for key, value in event.items():
                        if not key.startswith("_"):
                            system.append(
                                {
                                    "project": path,
                                    "run_id": run.name,
                                    "key": key,
                                    "index": i,
                                    "value": value,
                                    "timestamp": event["_timestamp"],
                                    "runtime": event["_runtime"],
                                }
                            )
    out: dict[str, Any] = {
        "viewer": {
            "username": world.user.username,
            "entity": world.user.username,
            "teams": list(world.user.teams),
        },
        "projects": projects,
        "runs": runs,
    }
    if history:
        out["history"] = points
        out["system"] = system
        out["media"] = [p for p in points if is_media(p["value"])]
        live = [r for p in world.project_map.values() for r in p.runs if not r.deleted]
        quirks = world.options.console_quirks
        out["logs"] = [line for r in live for line in console.truth_lines(r, quirks)]
        out["media_items"] = [item for r in live for item in media_items(r, world)]
    return out


def media_items(run: Run, world: World) -> list[dict[str, Any]]:
    """One row per media file the run's history names (``name`` = the value's path; ``missing``:
    listed, but its download answers 404)."""
    out = []
    for name, (spec, off) in sorted(console.media_files(run).items()):
        value = spec.value(off)
        out.append(
            {
                "project": run.project.path,
                "run_id": run.name,
                "key": spec.name,
                "step": run.step_base + off,
                "idx": 0,
                "kind": spec.kind,
                "caption": None,
                "sha256": value["sha256"],
                "bytes": value["size"],
                "name": name,
                "missing": world.options.media_missing and console.missing(spec, off),
            }
        )
    return out

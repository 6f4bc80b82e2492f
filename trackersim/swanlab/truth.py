"""Truth export: the tables a perfect mirror of a world holds, computed from the world's own
model (not from the HTTP layer), columnar: table -> column -> list of values.

Rules (so tests can rely on them):
* Deleted runs stay in ``runs`` with ``deleted=True`` and are absent from every other table.
* ``run_config.value`` is compact JSON text (``json.dumps(v, ensure_ascii=False,
  separators=(",", ":"))``); NaN in a config would be written as ``NaN``.
* ``metric_keys`` lists scalar keys with at least one point (CUSTOM, or SYSTEM for
  ``__swanlab__``-prefixed keys) and media keys with at least one step (always CUSTOM).
* ``metrics`` has every scalar point; clones carry their root's points under their own run_id.
* ``summaries``: last point; min/max ignore NaN (±inf count), ties keep the lowest step; with the
  ``modern`` summary shape the server does not report steps of min/max, so those are None.
* ``logs``: every console line (``seq`` = its counter), text as a mirror keeps it (invalid
  bytes U+FFFD, over 1 MiB cut and marked; see :mod:`trackersim.swanlab.console`); no stream,
  an empty tag is None. Clones show their root's console.
* ``media``: every item of every media key at every step (``idx`` = position in the step's
  list), the kind its file name says, its caption (None when logged without), and the digest,
  size and Content-Type of its file (None for an item whose file is gone from storage).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from trackersim.swanlab import console
from trackersim.swanlab.model import dt_ms, flatten_config, json_text

if TYPE_CHECKING:
    from trackersim.swanlab.world import World

SYSTEM_PREFIX = "__swanlab__"


def _table(*cols: str) -> dict[str, list[Any]]:
    return {c: [] for c in cols}


def rows(table: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """The rows of one truth table (column -> values), as dicts."""
    cols = list(table)
    return [dict(zip(cols, values, strict=True)) for values in zip(*table.values(), strict=True)]


def build_truth(
    world: World, metrics: bool = True, logs: bool = True
) -> dict[str, dict[str, list[Any]]]:
    projects = _table(
        "project",
        "project_id",
        "workspace",
        "name",
        "description",
        "visibility",
        "labels",
        "run_count",
        "created_at",
        "updated_at",
    )
    runs = _table(
        "project",
        "run_id",
        "slug",
        "name",
        "description",
        "state",
        "cluster",
        "job",
        "labels",
        "username",
        "created_at",
        "finished_at",
        "config",
        "metadata",
        "requirements",
        "conda",
        "pinned",
        "root_project_id",
        "root_run_id",
        "deleted",
    )
    run_config = _table(
        "project", "run_id", "key", "value", "value_double", "value_text", "value_bool"
    )
    metric_keys = _table("project", "run_id", "key", "kind", "class")
    points = _table("project", "run_id", "key", "step", "value", "ts")
    summaries = _table(
        "project",
        "run_id",
        "key",
        "last_step",
        "last_value",
        "min_value",
        "min_step",
        "max_value",
        "max_step",
    )
    console_lines = _table("project", "run_id", "seq", "ts", "level", "stream", "text", "tag")
    media_items = _table(
        "project",
        "run_id",
        "key",
        "step",
        "idx",
        "kind",
        "caption",
        "sha256",
        "bytes",
        "content_type",
    )
    modern = world.options.summary_shape == "modern"

    for path, proj in world.project_map.items():
        row = {
            "project": path,
            "project_id": proj.cuid,
            "workspace": proj.workspace.username,
            "name": proj.name,
            "description": proj.description,
            "visibility": proj.visibility,
            "labels": list(proj.labels),
            "run_count": len(proj.live_runs()),
            "created_at": dt_ms(proj.created_ms),
            "updated_at": dt_ms(proj.updated_ms),
        }
        for col, val in row.items():
            projects[col].append(val)

        for run in proj.runs:
            root = run.root
            row = {
                "project": path,
                "run_id": run.cuid,
                "slug": run.slug,
                "name": run.name,
                "description": run.description,
                "state": run.state,
                "cluster": run.cluster,
                "job": run.job,
                "labels": list(run.labels),
                "username": run.username,
                "created_at": dt_ms(run.created_ms),
                "finished_at": dt_ms(run.finished_ms),
                "config": copy.deepcopy(run.config),
                "metadata": copy.deepcopy(run.metadata),
                "requirements": run.requirements,
                "conda": run.conda,
                "pinned": run.pinned,
                "root_project_id": root.project.cuid if root is not None else None,
                "root_run_id": root.cuid if root is not None else None,
                "deleted": run.deleted,
            }
            for col, val in row.items():
                runs[col].append(val)
            if run.deleted:
                continue

            for key, value in flatten_config(run.config):
                is_num = isinstance(value, int | float) and not isinstance(value, bool)
                for col, val in (
                    ("project", path),
                    ("run_id", run.cuid),
                    ("key", key),
                    ("value", json_text(value)),
                    ("value_double", float(value) if is_num else None),
                    ("value_text", value if isinstance(value, str) else None),
                    ("value_bool", value if isinstance(value, bool) else None),
                ):
                    run_config[col].append(val)

            for series in run.scalar_series():
                klass = "SYSTEM" if series.key.startswith(SYSTEM_PREFIX) else "CUSTOM"
                for col, val in (
                    ("project", path),
                    ("run_id", run.cuid),
                    ("key", series.key),
                    ("kind", "SCALAR"),
                    ("class", klass),
                ):
                    metric_keys[col].append(val)
                st = series.stats()
                if st is not None:
                    for col, val in (
                        ("project", path),
                        ("run_id", run.cuid),
                        ("key", series.key),
                        ("last_step", st.last_step),
                        ("last_value", st.last_value),
                        ("min_value", st.min_value),
                        ("min_step", None if modern else st.min_step),
                        ("max_value", st.max_value),
                        ("max_step", None if modern else st.max_step),
                    ):
                        summaries[col].append(val)
                if metrics:
                    n = series.count()
                    for step, value, ts in series.iter_points(n):
                        points["project"].append(path)
                        points["run_id"].append(run.cuid)
                        points["key"].append(series.key)
                        points["step"].append(step)
                        points["value"].append(value)
                        points["ts"].append(dt_ms(ts))
            for media in run.media_series():
                for col, val in (
                    ("project", path),
                    ("run_id", run.cuid),
                    ("key", media.key),
                    ("kind", "MEDIA"),
                    ("class", "CUSTOM"),
                ):
                    metric_keys[col].append(val)
                for step in media.steps():
                    for idx, item in enumerate(media.items(step)):
                        for col, val in (
                            ("project", path),
                            ("run_id", run.cuid),
                            ("key", media.key),
                            ("step", step),
                            ("idx", idx),
                            ("kind", item.kind),
                            ("caption", item.caption),
                            ("sha256", None if item.lost else item.sha256),
                            ("bytes", None if item.lost else len(item.content)),
                            ("content_type", None if item.lost else item.content_type),
                        ):
                            media_items[col].append(val)
            if logs:
                for i in range(run.log_count()):
                    ln = console.line(run, i)
                    console_lines["project"].append(path)
                    console_lines["run_id"].append(run.cuid)
                    console_lines["seq"].append(ln.epoch)
                    console_lines["ts"].append(dt_ms(ln.ts_ms))
                    console_lines["level"].append(ln.level)
                    console_lines["stream"].append(None)  # the cloud does not say
                    console_lines["text"].append(ln.text)
                    console_lines["tag"].append(ln.tag or None)

    out = {
        "projects": projects,
        "runs": runs,
        "run_config": run_config,
        "metric_keys": metric_keys,
        "summaries": summaries,
    }
    if metrics:
        out["metrics"] = points
    if logs:
        out["logs"] = console_lines
    out["media"] = media_items
    return out

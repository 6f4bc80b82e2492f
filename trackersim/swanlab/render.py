"""World objects -> the JSON objects the SwanLab API sends."""

from __future__ import annotations

from typing import Any

from trackersim.swanlab.model import Project, Run, iso_ms, wrap_config
from trackersim.swanlab.options import ProfileMode, WorldOptions


def project_path(proj: Project, options: WorldOptions) -> str:
    """The ``path`` field in the style chosen by option ``path_style`` (U5)."""
    prefix = {"plain": "", "slash": "/", "at": "@"}[options.path_style]
    return prefix + proj.path


def project_obj(proj: Project, options: WorldOptions, detail: bool = True) -> dict[str, Any]:
    ws = proj.workspace
    obj: dict[str, Any] = {
        "cuid": proj.cuid,
        "name": proj.name,
        "path": project_path(proj, options),
        "username": ws.username,
        "description": proj.description,
        "visibility": proj.visibility,
        "createdAt": iso_ms(proj.created_ms),
        "updatedAt": iso_ms(proj.updated_ms),
        "group": {"type": ws.type, "username": ws.username, "name": ws.name},
        "projectLabels": [
            {"cuid": f"lbl{i}", "name": name, "colors": ["#528d59", "#587ad2"]}
            for i, name in enumerate(proj.labels)
        ],
        "role": ws.role,
        "version": 1,
    }
    if detail:
        live = proj.live_runs()
        obj["_count"] = {
            "experiments": len(live),
            "contributors": len({r.username for r in live}) or 1,
            "collaborators": 1,
            "clones": sum(1 for r in live if r.root is not None),
        }
    return obj


def run_obj(run: Run, options: WorldOptions, profile: ProfileMode) -> dict[str, Any]:
    root = run.root
    obj: dict[str, Any] = {
        "cuid": run.cuid,
        "slug": run.slug,
        "name": run.name,
        "type": "SUMMARY",
        "description": run.description,
        "state": run.state,
        "show": True,
        "pin": run.pinned,
        "pinnedAt": iso_ms(run.pinned_ms),
        "baseline": False,
        "colors": list(run.colors),
        "labels": [{"name": name, "colors": ["#fff", "#fff"]} for name in run.labels],
        "cluster": run.cluster,
        "job": run.job,
        "user": {"username": run.username, "name": run.user_name},
        "createdAt": iso_ms(run.created_ms),
        "finishedAt": iso_ms(run.finished_ms),
        "rootProId": root.project.cuid if root is not None else "",
        "rootExpId": root.cuid if root is not None else "",
    }
    if options.run_updated_at:
        obj["updatedAt"] = iso_ms(run.updated_ms)
    if options.run_project_id:
        obj["project_id"] = run.project.cuid
    if profile == "config":
        obj["profile"] = {"config": wrap_config(run.config)}
    elif profile == "full":
        obj["profile"] = {
            "config": wrap_config(run.config),
            "metadata": run.metadata,
            "requirements": run.requirements,
            "conda": run.conda,
        }
    return obj


def page(items: list[Any], page_no: int, size: int) -> dict[str, Any]:
    """The page/size pagination object with a correct ``pages`` (>= 1)."""
    total = len(items)
    pages = max(1, (total + size - 1) // size)
    start = (page_no - 1) * size
    return {
        "list": items[start : start + size] if page_no >= 1 else [],
        "total": total,
        "pages": pages,
        "size": size,
    }

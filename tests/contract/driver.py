"""Contract driver: reads a SwanLab server with the REAL ``swanlab`` SDK and dumps what it saw.

Runs under the separate SDK venv (``swanlab==0.10.3``), never under the project venv, and uses
only the SDK's documented public API (``swanlab.Api`` and the entities it returns). It imports
nothing from swansync, so what it reports is the SDK's view of the server, not ours.

    SWANSYNC_CONTRACT_API_KEY=... python driver.py --host http://127.0.0.1:PORT --out dump.json
    SWANSYNC_CONTRACT_API_KEY=... python driver.py --host ... --out auth.json --mode auth

The key comes from the environment so it never shows up in a process listing. The SDK prints
its own log lines to stdout, so the dump goes to ``--out``. Non-finite floats the SDK produced
(from the CSV) are written as ``{"__float__": "nan" | "inf" | "-inf"}``; strings the server
sent (e.g. ``"NaN"`` inside a summary) stay strings, so the two can be told apart.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

KEY_ENV = "SWANSYNC_CONTRACT_API_KEY"


def encode(value: Any) -> Any:
    """JSON-safe copy: non-finite floats become tagged objects, tuples become lists."""
    if isinstance(value, float) and not math.isfinite(value):
        tag = "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
        return {"__float__": tag}
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    return value


def slug_from_url(url: str) -> str:
    """The run reference the SDK put into its web link: ``.../runs/<slug-or-cuid>/chart``."""
    parts = urlsplit(url).path.split("/")
    if "runs" in parts:
        i = parts.index("runs")
        if i + 1 < len(parts):
            return parts[i + 1]
    return ""


def dump_workspace(ws: Any) -> dict[str, Any]:
    return {
        "username": ws.username,
        "name": ws.name,
        "type": ws.workspace_type,
        "role": ws.role,
        "comment": ws.comment,
        "profile": ws.profile,
    }


def dump_project(project: Any) -> dict[str, Any]:
    return {
        "path": project.path,
        "project_id": project.project_id,
        "name": project.name,
        "description": project.description,
        "visibility": project.visibility,
        "created_at": project.created_at,
        "updated_at": project.updated_at,
        "labels": project.labels,
        "count": project.count,
        "url": project.url,
    }


def dump_list_item(exp: Any) -> dict[str, Any]:
    """Fields of a run as a list answer carried them (no property that triggers a re-fetch)."""
    return {
        "run_id": exp.run_id,
        "name": exp.name,
        "state": exp.state,
        "created_at": exp.created_at,
        "finished_at": exp.finished_at,
        "slug": slug_from_url(exp.url),
    }


def dump_run(api: Any, project_path: str, cuid: str) -> dict[str, Any]:
    """Everything the SDK can read about one run, fetched fresh by cuid."""
    exp = api.run(f"{project_path}/{cuid}")
    loaded = exp.wrapper()
    out: dict[str, Any] = {"project": project_path, "ref": cuid, "ok": loaded.ok}
    if not loaded.ok:
        out["error"] = loaded.errmsg
        return out
    out["detail"] = {
        "run_id": exp.run_id,
        "project_id": exp.project_id,
        "name": exp.name,
        "description": exp.description,
        "type": exp.type,
        "state": exp.state,
        "show": exp.show,
        "labels": exp.labels,
        "group": exp.group,
        "job_type": exp.job_type,
        "user": exp.user,
        "created_at": exp.created_at,
        "finished_at": exp.finished_at,
        "root_pro_id": exp.root_pro_id,
        "root_exp_id": exp.root_exp_id,
        "url": exp.url,
        "slug": slug_from_url(exp.url),
        "profile": exp.profile,
    }
    slug = out["detail"]["slug"]
    if slug and slug != cuid:
        by_slug = api.run(f"{project_path}/{slug}")
        out["by_slug"] = {"ok": by_slug.wrapper().ok, "run_id": by_slug.run_id}

    keys = {
        "CUSTOM": list(exp.series(metric_type="SCALAR", metric_class="CUSTOM").json()["keys"]),
        "SYSTEM": list(exp.series(metric_type="SCALAR", metric_class="SYSTEM").json()["keys"]),
        "MEDIA": list(exp.series(metric_type="MEDIA", metric_class="CUSTOM").json()["keys"]),
    }
    out["keys"] = keys
    scalar_keys = keys["CUSTOM"] + keys["SYSTEM"]
    series: dict[str, Any] = {}
    stats: dict[str, Any] = {}
    if scalar_keys:
        result = exp.metrics(keys=scalar_keys, all=True)
        for item in result.get("list", []):
            key = item.get("key", "")
            series[key] = [
                [p.get("step"), p.get("value"), p.get("timestamp")] for p in item.get("metrics", [])
            ]
            stats[key] = {f: item[f] for f in ("latest", "min", "max") if f in item}
        # The default (sampled, <= 1500 points per key) path too: POST /house/metrics/scalar.
        sampled_result = exp.metrics(keys=scalar_keys)
        out["sampled"] = {
            item.get("key", ""): [
                [p.get("index"), p.get("data"), p.get("timestamp")] for p in item.get("metrics", [])
            ]
            for item in sampled_result.get("list", [])
        }
    out["metrics"] = series
    out["stats"] = stats
    out["summary"] = exp.summary()
    return out


def dump_world(api: Any, workers: int) -> dict[str, Any]:
    started = time.monotonic()
    workspaces = [dump_workspace(ws) for ws in api.workspaces()]
    own = dump_workspace(api.workspace())
    names = [w["username"] for w in workspaces]
    if own["username"] and own["username"] not in names:
        names.insert(0, own["username"])

    projects: list[dict[str, Any]] = []
    for ws in names:
        # Page size 10 so that the SDK really walks several pages.
        for project in api.projects(ws, size=10, all=True):
            row = dump_project(project)
            row["workspace"] = ws
            projects.append(row)

    listed: dict[str, dict[str, Any]] = {}
    todo: list[tuple[str, str]] = []
    for row in projects:
        path = row["path"]
        project = api.project(path)
        shows = [dump_list_item(e) for e in api.runs(path)]
        paged = [dump_list_item(e) for e in project.runs_get(all=True)]
        listed[path] = {"shows": shows, "paged": paged}
        seen: set[str] = set()
        for item in shows + paged:
            if item["run_id"] and item["run_id"] not in seen:
                seen.add(item["run_id"])
                todo.append((path, item["run_id"]))

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        runs = list(pool.map(lambda pr: dump_run(api, pr[0], pr[1]), todo))

    return {
        "username": api.username,
        "own_workspace": own,
        "workspaces": workspaces,
        "projects": projects,
        "listed": listed,
        "runs": runs,
        "seconds": round(time.monotonic() - started, 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", required=True)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--mode", choices=("full", "auth"), default="full")
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args(argv)

    import swanlab  # type: ignore[import-not-found]
    from swanlab.exceptions import AuthenticationError  # type: ignore[import-not-found]

    api_key = os.environ.get(KEY_ENV, "")
    result: dict[str, Any] = {"sdk_version": swanlab.__version__}
    try:
        api = swanlab.Api(api_key=api_key, host=args.host)
    except AuthenticationError as exc:
        result.update(auth="failed", error_type=type(exc).__name__, message=str(exc))
    else:
        result.update(auth="ok", username=api.username)
        if args.mode == "full":
            result.update(dump_world(api, args.workers))
    args.out.write_text(json.dumps(encode(result), allow_nan=False, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

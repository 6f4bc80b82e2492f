"""Contract driver: reads a W&B server with the REAL ``wandb`` SDK and dumps what it saw.

Runs under the separate SDK venv (``wandb==0.31.0``), never under the project venv, and uses only
the SDK's public API (``wandb.Api`` and the objects it returns). It imports nothing from
swansync or trackersim, so what it reports is the SDK's view of the server.

    WANDB_API_KEY=... python driver.py --base-url http://127.0.0.1:P --plan plan.json --out d.json

The plan (JSON) says what to read:

``auth_only``   only construct ``wandb.Api`` (the key check) and read the viewer
``read_all``    every project of the default entity and the viewer's teams, every run of each
                (``project_page``/``run_page`` page sizes, ``lazy`` listing), and per run the
                metadata, config, summary, system metrics, last step, full ``scan_history``
                (``scan_page`` steps per window) and the system stream; ``only`` limits it
                to some projects
``listings``    ``[{"project", "filters", "order", "per_page", "lazy"}]``: run ids in order
``keyed``       ``[{"run", "keys", "page_size", "min_step", "max_step"}]``: keyed scan rows
``sampled``     ``[{"run", "samples", "keys", "stream"}]``: ``run.history(...)`` rows
``fetch``       ``["entity/project/run_id"]``: ``api.run(path)``, or the error it raised

Non-finite floats are written as ``{"__float__": "nan" | "inf" | "-inf"}``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path
from typing import Any


def encode(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        tag = "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
        return {"__float__": tag}
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    return value


def dump_run(run: Any, plan: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "run_id": run.id,
        "storage_id": run.storage_id,
        "display_name": run.name,
        "state": run.state,
        "created_at": run.created_at,
        "heartbeat_at": run.heartbeat_at,
        "tags": run.tags,
        "group": run.group,
        "job_type": run.job_type,
        "sweep": run.sweep_name,
        "user": run.user.username if run.user is not None else None,
        "notes": run.notes,
        "commit": run.commit,
        "config": run.config,
        "rawconfig": run.rawconfig,
        "history_keys": run.history_keys,
        "summary": run.summary_metrics,
        "system_metrics": run.system_metrics,
        "history_line_count": run.history_line_count,
        "last_step": run.lastHistoryStep,
    }
    out["history"] = list(run.scan_history(page_size=plan.get("scan_page", 1000)))
    out["events"] = run.history(stream="system", samples=1_000_000, pandas=False)
    return out


def guarded(fn: Any) -> dict[str, Any]:
    """{"rows": ...} or {"error": type, "message": ...}: the SDK's failure is data too."""
    try:
        return {"rows": fn()}
    except Exception as exc:
        return {"error": type(exc).__name__, "message": str(exc)[:500]}


def listing(api: Any, item: dict[str, Any]) -> dict[str, Any]:
    runs = api.runs(
        item["project"],
        filters=item.get("filters"),
        order=item.get("order", "+created_at"),
        per_page=item.get("per_page", 50),
        lazy=item.get("lazy", True),
    )
    return {"len": len(runs), "ids": [r.id for r in runs]}


def keyed(api: Any, item: dict[str, Any]) -> list[Any]:
    scan = api.run(item["run"]).scan_history(
        keys=item["keys"],
        page_size=item.get("page_size", 1000),
        min_step=item.get("min_step", 0),
        max_step=item.get("max_step"),
    )
    return list(scan)


def sampled(api: Any, item: dict[str, Any]) -> list[Any]:
    return list(
        api.run(item["run"]).history(
            samples=item.get("samples", 500),
            keys=item.get("keys"),
            stream=item.get("stream", "default"),
            pandas=False,
        )
    )


def read_all(api: Any, plan: dict[str, Any], result: dict[str, Any]) -> None:
    viewer = api.viewer
    entities = [api.default_entity, *viewer.teams]
    only = plan.get("only")
    result["projects"] = {}
    result["runs"] = {}
    for entity in entities:
        projects = list(api.projects(entity, per_page=plan.get("project_page", 200)))
        result["projects"][entity] = [
            {
                "id": p.id,
                "name": p.name,
                "entity": p.entity,
                "created_at": p.created_at,
            }
            for p in projects
        ]
        for p in projects:
            path = f"{entity}/{p.name}"
            if only is not None and path not in only:
                continue
            runs = api.runs(path, per_page=plan.get("run_page", 50), lazy=plan.get("lazy", True))
            result["runs"][path] = {
                "len": len(runs),
                "runs": [dump_run(run, plan) for run in runs],
            }


def files(api: Any, path: str) -> dict[str, Any]:
    """``run.files()`` (the SDK's ``RunFiles`` query, pages of 3): each file's facts."""
    listed = api.run(path).files(per_page=3)
    return {
        "count": len(listed),
        "files": [
            {
                "name": f.name,
                "size": f.size,
                "md5": f.md5,
                "mimetype": f.mimetype,
                "direct": bool(f.directUrl),
            }
            for f in listed
        ],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--plan", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args(argv)
    plan = json.loads(args.plan.read_text())

    import wandb  # type: ignore[import-not-found]

    result: dict[str, Any] = {"sdk_version": wandb.__version__}
    key = os.environ.pop("WANDB_API_KEY", "")
    try:
        api = wandb.Api(api_key=key, overrides={"base_url": args.base_url}, timeout=60)
    except Exception as exc:  # the contract: which exception the SDK raises for a bad key
        result.update(auth="failed", error_type=type(exc).__name__, message=str(exc))
        args.out.write_text(json.dumps(encode(result)))
        return 0
    result["auth"] = "ok"
    result["default_entity"] = api.default_entity  # GetDefaultEntity (before the viewer sets it)
    viewer = api.viewer
    result["viewer"] = {"username": viewer.username, "entity": viewer.entity, "teams": viewer.teams}
    if not plan.get("auth_only"):
        if plan.get("read_all"):
            read_all(api, plan, result)
        result["listings"] = [
            guarded(lambda i=i: listing(api, i)) for i in plan.get("listings", [])
        ]
        result["keyed"] = [guarded(lambda i=i: keyed(api, i)) for i in plan.get("keyed", [])]
        result["sampled"] = [guarded(lambda i=i: sampled(api, i)) for i in plan.get("sampled", [])]
        result["files"] = [guarded(lambda p=p: files(api, p)) for p in plan.get("files", [])]
        result["fetch"] = []
        for path in plan.get("fetch", []):
            try:
                run = api.run(path)
                result["fetch"].append({"ok": True, "run_id": run.id, "state": run.state})
            except Exception as exc:
                error = {"ok": False, "error_type": type(exc).__name__, "message": str(exc)[:300]}
                result["fetch"].append(error)
    args.out.write_text(json.dumps(encode(result), ensure_ascii=False, allow_nan=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

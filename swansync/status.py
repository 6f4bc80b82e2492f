"""What is in a warehouse: recent pulls, per-project counts, failures. Read-only."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from swansync.bookmarks import SYNC_LOG
from swansync.warehouse import open_warehouse

_RECENT = f"""
SELECT id, started_at, finished_at, status, targets, requests, bytes, rows, failures, error
FROM {SYNC_LOG} ORDER BY id DESC LIMIT ?
"""

_PROJECTS = """
SELECT p.source, p.project,
       count(r.run_id) FILTER (WHERE r.deleted_at IS NULL) AS runs,
       count(r.run_id) FILTER (WHERE r.state = 'RUNNING' AND r.deleted_at IS NULL) AS running,
       count(r.run_id) FILTER (WHERE r.deleted_at IS NOT NULL) AS deleted,
       (SELECT coalesce(sum(k.points), 0) FROM metric_keys k
         WHERE k.source = p.source AND k.project = p.project AND k.kind = 'SCALAR') AS points,
       p.synced_at
FROM projects p LEFT JOIN runs r ON r.source = p.source AND r.project = p.project
GROUP BY p.source, p.project, p.synced_at
ORDER BY p.source, p.project
"""


def warehouse_status(
    db: Path | str, *, recent: int = 5, env: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """A JSON-ready description of the warehouse at ``db`` (a file or a lake)."""
    with open_warehouse(db, read_only=True, env=env) as wh:
        wh.check_ours()
        version = wh.schema_version()
        if version == 0:
            return {"db": str(db), "schema_version": 0, "tables": {}, "projects": [], "pulls": []}
        wh.require_current()
        tables = wh.table_counts(
            [
                *("projects", "runs", "run_config", "metric_keys", "metrics", "summaries"),
                *("logs", "media"),
            ]
        )
        projects = [
            {
                "source": s,
                "project": p,
                "runs": int(n),
                "running": int(running),
                "deleted": int(deleted),
                "points": int(points),
                "synced_at": synced.isoformat() if synced else None,
            }
            for s, p, n, running, deleted, points, synced in wh.rows(_PROJECTS)
        ]
        pulls = []
        for row in wh.rows(_RECENT, [recent]):
            pid, started, finished, status, targets, reqs, nbytes, rows, failures, error = row
            pulls.append(
                {
                    "id": int(pid),
                    "started_at": started.isoformat(),
                    "finished_at": finished.isoformat() if finished else None,
                    "status": status,
                    "targets": list(targets or []),
                    "requests": reqs,
                    "bytes": nbytes,
                    "rows": json.loads(rows) if rows else {},
                    "failures": json.loads(failures) if failures else [],
                    "error": error,
                }
            )
    return {
        "db": str(db),
        "schema_version": version,
        "tables": tables,
        "projects": projects,
        "pulls": pulls,
    }

"""W&B GraphQL objects -> project and run records (the mapping is in
:mod:`swansync.sources.wandb.conventions`; what is cloud-only is said here).

Cloud-only rules: ``finished_at`` is the last heartbeat of a run in a terminal state (W&B keeps
no end time); ``metadata`` holds host, commit, sweep, the W&B summary keys and the latest system
metrics; ``raw`` is the run object as sent, with its JSON strings (config, summary, system
metrics) parsed. A JSON string may spell NaN/Infinity as bare tokens (Python's parser takes
them).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from swansync.errors import DataError
from swansync.sources.base import TERMINAL_STATES, ProjectRecord, RunRecord
from swansync.sources.wandb import conventions


def parse_time(value: Any) -> datetime | None:
    """W&B's ISO times (naive UTC, or with ``Z``/an offset) as aware UTC datetimes."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise DataError(f"time {value!r} is not a string")
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise DataError(f"time {value!r} is not ISO 8601") from None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def json_field(value: Any, what: str) -> Any:
    """A JSONString field (config, summaryMetrics, ...) parsed; objects pass through."""
    if value is None or isinstance(value, dict | list):
        return value
    if not isinstance(value, str):
        raise DataError(f"{what} is a {type(value).__name__}, not JSON text")
    if not value.strip():
        return None
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        raise DataError(f"{what} is not valid JSON") from None


def _str(node: dict[str, Any], key: str, what: str) -> str | None:
    value = node.get(key)
    if value is None or isinstance(value, str):
        return value
    raise DataError(f"{what}: {key} is a {type(value).__name__}, not a string")


def project_record(node: Any, app: str) -> ProjectRecord:
    if not isinstance(node, dict):
        raise DataError("a project that is not an object")
    entity, name = node.get("entityName"), node.get("name")
    if not isinstance(entity, str) or not isinstance(name, str) or not entity or not name:
        raise DataError(f"project {node.get('name')!r} has no entityName/name")
    count = node.get("runCount")
    return ProjectRecord(
        project=f"{entity}/{name}",
        project_id=_str(node, "id", f"project '{entity}/{name}'"),
        workspace=entity,
        name=name,
        description=_str(node, "description", f"project '{entity}/{name}'"),
        visibility=None,
        labels=[],
        run_count=count if isinstance(count, int) and not isinstance(count, bool) else None,
        created_at=parse_time(node.get("createdAt")),
        updated_at=None,
        url=f"{app}/{quote(entity)}/{quote(name)}",
        raw=node,
    )


def marker(node: dict[str, Any]) -> str:
    """A short digest of everything the run object says: it changes when anything does."""
    text = json.dumps(node, sort_keys=True, default=str, allow_nan=True)
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def run_record(node: Any, project: ProjectRecord, app: str) -> RunRecord:
    """A run record from a ``Runs`` node. The node holds every field, but the record says
    ``has_profile=False`` so that the sync rewrites config and metadata only of runs whose
    ``change_marker`` moved (its "detail" read is answered from the record, see
    ``WandbCloudSource.run_detail``)."""
    proj = project["project"]
    if not isinstance(node, dict):
        raise DataError("a run that is not an object")
    rid = node.get("name")
    if not isinstance(rid, str) or not rid:
        raise DataError("a run without a name (its run id)")
    what = f"run {rid!r}"
    raw_state = _str(node, "state", what)
    tags = node.get("tags")
    if tags is None:
        tags = []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise DataError(f"{what}: tags are not a list of strings")
    wire_config = json_field(node.get("config"), f"{what}: config")
    if wire_config is not None and not isinstance(wire_config, dict):
        raise DataError(f"{what}: config is not an object")
    config, internals = conventions.unwrap_config(wire_config)
    summary = json_field(node.get("summaryMetrics"), f"{what}: summaryMetrics")
    system = json_field(node.get("systemMetrics"), f"{what}: systemMetrics")
    keys = node.get("historyKeys")
    if keys is not None and not isinstance(keys, dict):
        raise DataError(f"{what}: historyKeys is not an object")
    user = node.get("user")
    username = user.get("username") if isinstance(user, dict) else None
    state = conventions.state(raw_state)
    heartbeat = parse_time(node.get("heartbeatAt"))
    raw = {
        **node,
        "config": wire_config,
        "summaryMetrics": summary,
        "systemMetrics": system,
        "_wandb": internals,
    }
    return RunRecord(
        project=proj,
        run_id=rid,
        slug=rid,
        name=_str(node, "displayName", what),
        description=_str(node, "notes", what),
        state=state,
        cluster=_str(node, "group", what),
        job=_str(node, "jobType", what),
        labels=list(tags),
        username=username if isinstance(username, str) else None,
        created_at=parse_time(node.get("createdAt")),
        finished_at=heartbeat if state in TERMINAL_STATES else None,
        url=f"{app}/{quote(project['workspace'])}/{quote(project['name'])}/runs/{quote(rid)}",
        config=config,
        metadata={
            "host": _str(node, "host", what),
            "commit": _str(node, "commit", what),
            "sweep": _str(node, "sweepName", what),
            "heartbeat_at": heartbeat.isoformat() if heartbeat else None,
            "history_line_count": node.get("historyLineCount"),
            "summary_keys": sorted(summary) if isinstance(summary, dict) else [],
            "system_metrics": system,
        },
        requirements=None,
        conda=None,
        pinned=None,
        project_id=project["project_id"],
        root_project_id=None,
        root_run_id=None,
        raw=raw,
        has_profile=False,
        change_marker=marker(node),
    )

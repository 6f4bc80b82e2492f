"""Projects and runs of W&B, listed with Relay paging: ``GetProject``, ``GetProjects`` (an
entity's projects) and ``Runs`` (the full run field set, ordered by creation time so pages do
not shift while runs come and go, filters pushed down where exact)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from swansync.errors import DataError, NotFoundError
from swansync.sources.base import ProjectRecord, Rejected, RunFilter, RunRecord
from swansync.sources.wandb.cloud import parse, queries
from swansync.sources.wandb.cloud.client import GraphQLClient, GraphQLError
from swansync.sources.wandb.cloud.filters import filter_document
from swansync.sources.wandb.cloud.paging import connection, iter_relay
from swansync.sources.wandb.cloud.state import Marker

log = logging.getLogger(__name__)

PROJECT_PAGE = 100
RUN_PAGE = 100
ORDER = "+created_at"  # immutable: pages never shift under a running listing


def _split(path: str) -> tuple[str, str]:
    entity, _, name = path.partition("/")
    return entity, name


def get_project(client: GraphQLClient, path: str, app: str) -> ProjectRecord:
    entity, name = _split(path)
    data = client.query(
        "GetProject",
        queries.GET_PROJECT,
        {"entity": entity, "name": name},
        what=f"project '{path}'",
    )
    node = data.get("project")
    if node is None:
        raise NotFoundError(
            f"W&B project '{path}' not found on {client.host}: check ENTITY/PROJECT and that "
            "this API key can see it"
        )
    return parse.project_record(node, app)


def entity_projects(client: GraphQLClient, entity: str, app: str) -> list[ProjectRecord]:
    what = f"projects of W&B entity '{entity}'"

    def fetch(cursor: str | None) -> dict[str, Any] | None:
        data = client.query(
            "GetProjects",
            queries.GET_PROJECTS,
            {"entity": entity, "cursor": cursor, "perPage": PROJECT_PAGE},
            what=what,
        )
        if data.get("entity") is None:
            raise NotFoundError(
                f"W&B entity '{entity}' not found on {client.host}: check the user or team "
                "name and that this API key can see it"
            )
        return connection(data, ("models",), what)

    out: dict[str, ProjectRecord] = {}
    for node in iter_relay(fetch, what=what, route="GetProjects"):
        rec = parse.project_record(node, app)
        out.setdefault(rec["project"], rec)
    return list(out.values())


@dataclass(frozen=True)
class Listed:
    """What the run list said about a run's history, for the planning of later steps."""

    marker: Marker
    last_step: int  # historyKeys.lastStep (-1: no history)
    lines: int  # historyLineCount
    scalar_keys: frozenset[str]  # historyKeys keys that hold numbers
    other_keys: frozenset[str]  # historyKeys keys that never did (media, text)
    has_system: bool  # the run reports system metrics
    summary: dict[str, Any] = field(default_factory=dict)
    system: dict[str, Any] = field(default_factory=dict)


_NUMERIC_TYPES = frozenset({"number", "boolean"})
_SKIP = frozenset({"_step", "_runtime", "_timestamp", "_wandb"})


def listed_facts(run: RunRecord) -> Listed:
    raw = run["raw"]
    keys = raw.get("historyKeys") or {}
    last = keys.get("lastStep")
    last = last if isinstance(last, int) and not isinstance(last, bool) else -1
    lines = raw.get("historyLineCount")
    lines = lines if isinstance(lines, int) and not isinstance(lines, bool) else 0
    scalar: set[str] = set()
    other: set[str] = set()
    for key, info in (keys.get("keys") or {}).items():
        if key in _SKIP:
            continue
        counts = info.get("typeCounts") if isinstance(info, dict) else None
        types = {c.get("type") for c in counts or [] if isinstance(c, dict)}
        (scalar if types & _NUMERIC_TYPES else other).add(key)
    summary = raw.get("summaryMetrics")
    system = raw.get("systemMetrics")
    return Listed(
        marker=(raw.get("state"), raw.get("heartbeatAt"), lines, last),
        last_step=last,
        lines=lines,
        scalar_keys=frozenset(scalar),
        other_keys=frozenset(other),
        has_system=bool(system),
        summary=summary if isinstance(summary, dict) else {},
        system=system if isinstance(system, dict) else {},
    )


def list_runs(
    client: GraphQLClient,
    project: ProjectRecord,
    filters: Sequence[RunFilter],
    app: str,
) -> Iterator[RunRecord | Rejected]:
    """Every run of ``project`` (deduplicated), then the items that could not be read."""
    doc = filter_document(list(filters))
    try:
        nodes = _nodes(client, project, doc)
    except GraphQLError as e:
        if not doc:
            raise
        log.warning("W&B refused the run filter (%s); listing every run instead", e)
        nodes = _nodes(client, project, {})
    proj = project["project"]
    seen: set[str] = set()
    rejected: list[Rejected] = []
    for node in nodes:
        try:
            rec = parse.run_record(node, project, app)
        except DataError as e:
            rid = node.get("name") if isinstance(node, dict) else None
            rejected.append(Rejected(proj, rid if isinstance(rid, str) else None, str(e)))
            continue
        if rec["run_id"] not in seen:
            seen.add(rec["run_id"])
            yield rec
    yield from rejected


def _nodes(client: GraphQLClient, project: ProjectRecord, doc: dict[str, Any]) -> list[Any]:
    what = f"runs of W&B project '{project['project']}'"
    variables: dict[str, Any] = {
        "entity": project["workspace"],
        "project": project["name"],
        "order": ORDER,
        "filters": json.dumps(doc),
        "perPage": RUN_PAGE,
    }

    def fetch(cursor: str | None) -> dict[str, Any] | None:
        data = client.query("Runs", queries.RUNS, {**variables, "cursor": cursor}, what=what)
        if data.get("project") is None:
            raise NotFoundError(f"W&B project '{project['project']}' vanished on {client.host}")
        return connection(data, ("project", "runs"), what)

    return list(iter_relay(fetch, what=what, route="Runs"))

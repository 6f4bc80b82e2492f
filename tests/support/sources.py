"""Driving a source by hand in tests, the way the sync does."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from swansync.sources.base import ProjectRecord, RunRecord, Source, SummaryRecord


def resolve_all(
    src: Source | Any, projects: Sequence[str] = (), workspaces: Sequence[str] = ()
) -> list[ProjectRecord]:
    """The projects of the given targets (default: the source's own), once each, in order."""
    targets = [*projects, *(f"workspace:{w}" for w in workspaces)] or list(src.targets)
    found: dict[str, ProjectRecord] = {}
    for target in targets:
        for project in src.resolve(target):
            found.setdefault(project["project"], project)
    return list(found.values())


def summaries_of(
    src: Source | Any, project: ProjectRecord, runs: Sequence[RunRecord] | Sequence[Any]
) -> dict[str, list[SummaryRecord]]:
    """One project's summaries keyed by run id."""
    return {rid: v for (_, rid), v in src.summaries([(project, runs)]).items()}

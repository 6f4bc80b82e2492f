"""What a pull did: its summary, failures and progress events (shared by the sync modules)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from swansync.errors import SwansyncError

TABLES = (
    "projects",
    "runs",
    "run_config",
    "metric_keys",
    "metrics",
    "summaries",
    "logs",
    "media",
)

ProgressFn = Callable[..., None]
"""``progress(event, **data)``, called on the pulling thread, in this order per source:

- ``targets`` (projects, source): how many projects this source will pull;
- ``phase`` (name="listing"), then ``listed`` (project, runs) per project;
- ``phase`` (name="summaries"), then ``phase`` (name="metrics");
- per project: ``project`` (project, runs, runs_to_fetch, points_expected): the runs whose
  metrics will be fetched and an estimate of their new points (from the summaries' last steps
  and the stored bookmarks: exact for series logged at every step); then ``bytes`` (total so
  far) and ``fetched`` (project, run_id, points, failed) as each run's metrics arrive,
  ``writing`` (project, runs, points) before each batch commits and ``committed`` (project,
  runs, points) after it; ``logs`` (project, run_id, lines) as console lines arrive; then
  ``project_done`` (project).

After every source: ``phase`` (name="views") and ``phase`` (name="publish") when they apply
(a successful pull), and ``phase`` (name="done") last."""


@dataclass
class Failure:
    target: str
    run_id: str | None
    reason: str

    def __str__(self) -> str:
        """One line: where, then why (where only once, when the reason already names it)."""
        where = f"{self.target} run {self.run_id}" if self.run_id else self.target
        return self.reason if self.reason.startswith(where) else f"{where}: {self.reason}"


@dataclass
class PullSummary:
    """What a pull did. ``status``: ok | partial (some runs failed) | failed | interrupted."""

    id: int
    status: str
    started_at: datetime
    finished_at: datetime | None = None
    targets: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    full: bool = False
    rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))
    requests: int = 0
    bytes: int = 0
    projects: int = 0
    runs: int = 0
    runs_fetched: int = 0
    media_files: int = 0  # local copies made (--media download)
    media_deferred: int = 0  # files left for the next pull by --media-max-total-bytes
    failures: list[Failure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    # Whether any row of the contract tables changed (synced_at aside): a pull that changed
    # nothing leaves the views and the serving copy as they were.
    changed: bool = False

    @property
    def duration_s(self) -> float:
        end = self.finished_at or datetime.now(UTC)
        return (end - self.started_at).total_seconds()

    @property
    def exit_code(self) -> int:
        return 0 if self.status == "ok" else 1

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["started_at"] = self.started_at.isoformat()
        d["finished_at"] = self.finished_at.isoformat() if self.finished_at else None
        d["duration_s"] = round(self.duration_s, 3)
        return d


def noop(event: str, **data: Any) -> None:
    return None


def reason(e: BaseException) -> str:
    """One line naming what went wrong (our errors already do; others get their type)."""
    if isinstance(e, SwansyncError):
        return str(e)
    return f"{type(e).__name__}: {e}"

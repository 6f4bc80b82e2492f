"""Facts shared by the two local SwanLab sources (log folder and offline dashboard).

Both read data written by swanboard's database and the SDK's local mode, so they share the status
codes, the time format, the spellings of non-finite values and the project naming.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from swansync.sources.base import ProjectRecord, RunRecord, SummaryRecord
from swansync.sources.swanlab.conventions import metric_class

LOCAL_WORKSPACE = "local"

# swanboard's experiment.status: 1 finished (also "aborted" in 0.10.3), -1 crashed (also "stopped
# from the UI"), 0 running -- which also means "the process died without finishing": there is no
# heartbeat, so a SIGKILLed run stays RUNNING upstream and we report it as such.
STATUS_STATES: dict[int, str] = {1: "FINISHED", -1: "CRASHED", 0: "RUNNING"}

_NONFINITE: dict[str, float] = {
    "nan": math.nan,
    "inf": math.inf,  # 0.7.x writes "INF" for +inf AND -inf (the sign is lost upstream)
    "+inf": math.inf,
    "-inf": -math.inf,
    "infinity": math.inf,
    "+infinity": math.inf,
    "-infinity": -math.inf,
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


@dataclass(frozen=True)
class Summary:
    """One series' summary as both local sources read it: last point, finite min/max and their
    steps, and what upstream said (``raw``)."""

    last_step: int | None
    last_value: float | None
    min_value: float | None
    min_step: int | None
    max_value: float | None
    max_step: int | None
    raw: dict[str, Any] | None

    def record(self, project: ProjectRecord, run: RunRecord, key: str) -> SummaryRecord:
        return {
            "project": project["project"],
            "run_id": run["run_id"],
            "key": key,
            "klass": metric_class(key),
            "last_step": self.last_step,
            "last_value": self.last_value,
            "min_value": self.min_value,
            "min_step": self.min_step,
            "max_value": self.max_value,
            "max_step": self.max_step,
            "raw": self.raw,
        }


def state_of(status: Any) -> str | None:
    """Warehouse state of a swanboard status code (None for a code we do not know)."""
    try:
        return STATUS_STATES.get(int(status))
    except (TypeError, ValueError):
        return None


def parse_time(value: Any) -> datetime | None:
    """swanboard's ISO-8601 times (``2026-11-23T07:22:55.979153+00:00``) as aware UTC datetimes.
    A naive time is taken as UTC; anything unparsable is None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def time_ms(value: Any) -> int | None:
    """Unix milliseconds of an ISO time string (None when missing or unparsable)."""
    dt = parse_time(value)
    return None if dt is None else (dt - _EPOCH) // _MS


def to_float(value: Any) -> float | None:
    """A metric value as a float: numbers and bools as such, the non-finite spellings of both
    on-disk formats (bare ``NaN``/``Infinity`` tokens already decoded by ``json``; 0.7.x strings
    ``"NaN"``/``"INF"``) as IEEE values, anything else (text payloads, null) as None."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        special = _NONFINITE.get(value.strip().lower())
        if special is not None:
            return special
        try:
            return float(value)
        except ValueError:
            return None
    return None


def project_path(default_name: str, override: str | None) -> tuple[str, str, str]:
    """``(project, workspace, name)`` for a local project.

    Local data has no workspace, so the project is ``local/<name>`` (the ``ws/name`` form every
    other source uses, so views that split on ``/`` keep working). ``override`` replaces it: a
    value with a ``/`` is taken whole (``team/proj``), a bare name gets the ``local/`` prefix.
    """
    if override:
        if "/" in override:
            ws, _, name = override.partition("/")
            return override, ws, name
        return f"{LOCAL_WORKSPACE}/{override}", LOCAL_WORKSPACE, override
    return f"{LOCAL_WORKSPACE}/{default_name}", LOCAL_WORKSPACE, default_name


def project_record(
    row: dict[str, Any], override: str | None, extra: dict[str, Any] | None = None
) -> ProjectRecord:
    """A ProjectRecord from swanboard's project row (same fields in the db and in ``/project``)."""
    project, ws, name = project_path(str(row.get("name") or "default"), override)
    raw = {k: v for k, v in row.items() if k != "experiments"}
    raw.update(extra or {})
    count = row.get("sum")
    return {
        "project": project,
        "project_id": None if row.get("id") is None else str(row["id"]),
        "workspace": ws,
        "name": name,
        "description": row.get("description") or None,
        "visibility": None,
        "labels": [],
        "run_count": int(count) if isinstance(count, int) else None,
        "created_at": parse_time(row.get("create_time")),
        "updated_at": parse_time(row.get("update_time")),
        "url": None,
        "raw": raw,
    }


def run_record(
    project: ProjectRecord,
    run_id: str,
    exp: dict[str, Any],
    *,
    slug: str | None,
    raw: dict[str, Any],
    marker: str,
) -> RunRecord:
    """A local run (a row of ``runs.swanlab`` or an experiment of the dashboard) as a record
    without its profile: local runs have no user, cluster, job, labels or web URL."""
    return {
        "project": project["project"],
        "run_id": run_id,
        "slug": slug,
        "name": exp.get("name"),
        "description": exp.get("description") or None,
        "state": state_of(exp.get("status")),
        "cluster": None,
        "job": None,
        "labels": [],
        "username": None,
        "created_at": parse_time(exp.get("create_time")),
        "finished_at": parse_time(exp.get("finish_time")),
        "url": None,
        "config": None,
        "metadata": None,
        "requirements": None,
        "conda": None,
        "pinned": None,
        "project_id": project["project_id"],
        "root_project_id": None,
        "root_run_id": None,
        "raw": raw,
        "has_profile": False,
        "change_marker": marker,
    }

"""``DashboardSource``: a running SwanLab offline dashboard (``swanlab watch``) read over HTTP.

Only the dashboard's read endpoints are ever requested -- the same server has data-changing routes,
one of them a GET (``/experiment/<id>/stop``) -- so every path goes through :func:`guard_path`,
an allow-list that refuses anything else before a request is made.

What the dashboard can and cannot give (``docs/protocols/swanlab-offline-dashboard.md``):

* ``/experiment/<id>/tag/<key>`` samples series above 1,500 points down to 1,499 with no paging;
  such series are yielded as ``SeriesPoints(complete=False)`` and the sync stores them as sampled.
  For full resolution read the folder itself
  (:class:`~swansync.sources.swanlab.logdir.LogDirSource`).
* ``/summary`` is stale past 9,000 points, has no steps and fails whole when a last value is NaN,
  so summaries come from each series' ``/tag`` answer (true count ``sum``, finite ``min``/``max``,
  the ``_last`` point). The dashboard has no cheaper "did it change" signal, so every pull reads
  each scalar series once; answers are kept (bounded) for the ``scalar_points`` of the same pull.
* On 0.10.x a series holding NaN/inf cannot be read at all (500 "Out of range float values"):
  that key gets no summary and an empty ``complete=False`` series, is logged, and is listed in
  the pull's warnings (:meth:`DashboardSource.warnings`); the other keys go on.
* Errors come as ``{"code": 3555, "message": ...}`` with HTTP 500 even for "not found", so
  errors are told apart by code and message; swanboard's 500s are deterministic and not retried.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from swansync.errors import DataError, FatalApiError
from swansync.sources.base import (
    Counters,
    MetricKeyRecord,
    ProjectRecord,
    RunFilter,
    RunRecord,
)
from swansync.sources.swanlab.conventions import unwrap_config
from swansync.sources.swanlab.dashboard.api import Tag, base_url
from swansync.sources.swanlab.dashboard.client import DashboardClient
from swansync.sources.swanlab.dashboard.files import DashboardFiles
from swansync.sources.swanlab.dashboard.series import DashboardSeries
from swansync.sources.swanlab.local import Problems, project_record, run_record

log = logging.getLogger(__name__)


class DashboardSource(DashboardSeries, DashboardFiles):
    """The one project a ``swanlab watch`` server serves, as a :class:`Source`.

    The project is ``local/<name>`` (or ``project_name``, as for log folders) and ``run_id`` is
    the run folder name, so a folder and its dashboard land on the same keys; ``slug`` is the
    experiment id used in the dashboard's routes. The warehouse ``source`` is
    ``dashboard:<host:port>`` unless ``name`` is given.
    """

    def __init__(
        self,
        url: str,
        *,
        name: str | None = None,
        project_name: str | None = None,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.5,
    ) -> None:
        self.base, netloc = base_url(url)
        self.name = name or f"dashboard:{netloc}"
        self.project_name = project_name
        self.counters = Counters()
        self._url = url
        self._unreadable_series: list[tuple[str, str, str]] = []  # (run_id, key, reason)
        self._client = DashboardClient(
            self.base, self.name, self.counters, timeout=timeout, retries=retries, backoff=backoff
        )
        self._session = self._client.session
        self._problems = Problems(self.name)
        self._lock = threading.Lock()
        self._chart_types: dict[tuple[str, str], str] = {}  # (run_id, key) -> chart type
        self._project_data: dict[str, Any] | None = None
        self._tags: OrderedDict[tuple[str, str], Tag] = OrderedDict()
        self._keys: dict[str, list[MetricKeyRecord]] = {}

    # -- HTTP ------------------------------------------------------------------------------

    def _get(self, path: str, route: str) -> Any:
        """GET ``path`` (below /api/v1): the envelope's ``data`` (see :class:`DashboardClient`)."""
        return self._client.get(path, route)

    # -- Source: projects and runs ---------------------------------------------------------

    def _project(self) -> dict[str, Any]:
        data = self._get("/project", "/project")
        if not isinstance(data, dict) or not isinstance(data.get("experiments", []), list):
            raise DataError(f"dashboard {self.name}: /project is not a project object")
        return data

    @property
    def targets(self) -> tuple[str, ...]:
        return (self._url,)

    def resolve(self, target: str) -> list[ProjectRecord]:
        """The dashboard's one project."""
        data = self._project()
        with self._lock:
            self._project_data = data
        return [project_record(data, self.project_name, {"url": self.base})]

    def resume(self, cursors: Mapping[str, Mapping[str, str]]) -> None:
        """Nothing to resume: every pull lists afresh."""

    def list_runs(
        self, project: ProjectRecord, filters: Sequence[RunFilter] = ()
    ) -> Iterator[RunRecord]:
        with self._lock:
            data, self._project_data = self._project_data, None
        if data is None:
            data = self._project()
        yield from self._runs(project, data)

    def _runs(self, project: ProjectRecord, data: dict[str, Any]) -> Iterator[RunRecord]:
        for exp in data.get("experiments") or []:
            if not isinstance(exp, dict) or not exp.get("run_id") or exp.get("id") is None:
                log.warning("dashboard %s: experiment without id/run_id skipped", self.name)
                continue
            run = self._run_record(project, exp)
            if run["state"] == "CRASHED":
                self._add_error(run)
            yield run

    def _run_record(self, project: ProjectRecord, exp: dict[str, Any]) -> RunRecord:
        marker = "|".join(
            str(exp.get(k)) for k in ("status", "update_time", "finish_time", "name", "description")
        )
        raw = {k: v for k, v in exp.items() if k != "config"}
        return run_record(
            project, str(exp["run_id"]), exp, slug=str(exp["id"]), raw=raw, marker=marker
        )

    def _add_error(self, run: RunRecord) -> None:
        """A crashed run's error text (``recent_log``'s ``error`` lines) into ``raw["error"]``;
        read with the list because the sync re-upserts the list's ``raw`` on every pull."""
        exp_id = self._exp_id(run)
        try:
            logs = self._get(f"/experiment/{exp_id}/recent_log", "/experiment/{id}/recent_log")
        except FatalApiError as e:  # no console files: nothing to add
            log.debug("run %s: no error log (%s)", run["run_id"], e)
            return
        error = logs.get("error") if isinstance(logs, dict) else None
        if isinstance(error, list):
            run["raw"]["error"] = "\n".join(str(line) for line in error)

    def _exp_id(self, run: RunRecord) -> str:
        slug = run["slug"]
        if slug is None or not slug.isdigit():
            raise DataError(f"run {run['run_id']!r}: no dashboard experiment id")
        return slug

    def run_detail(self, project: ProjectRecord, run: RunRecord) -> RunRecord:
        exp_id = self._exp_id(run)
        data = self._get(f"/experiment/{exp_id}", "/experiment/{id}")
        if not isinstance(data, dict):
            raise DataError(f"dashboard {self.name}: /experiment/{exp_id} is not an object")
        config = data.get("config")
        system = data.get("system")
        out: RunRecord = {**run}
        out["config"] = unwrap_config(config) if isinstance(config, dict) else {}
        out["metadata"] = system if isinstance(system, dict) else {}
        out["has_profile"] = True
        return out

    def warnings(self) -> list[str]:
        with self._lock:
            series = [
                f"{self.name} run {run_id} key {key!r}: {why}"
                for run_id, key, why in self._unreadable_series
            ]
        return series + self._problems.warnings()

    def close(self) -> None:
        with self._lock:
            self._tags.clear()
            self._keys.clear()
            self._chart_types.clear()
        self._client.close()

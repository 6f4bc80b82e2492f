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

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from swansync.errors import ApiError, DataError, FatalApiError, NotFoundError, RetriableApiError
from swansync.http import RETRY_STATUSES, Accounting, BadBody, HttpFault, make_session
from swansync.sources.base import (
    Counters,
    LogRecord,
    MediaBody,
    MediaRecord,
    MetricKeyRecord,
    Points,
    ProjectRecord,
    RunFilter,
    RunKey,
    RunRecord,
    SeriesPoints,
    SummaryRecord,
)
from swansync.sources.swanlab.conventions import metric_class, unwrap_config
from swansync.sources.swanlab.dashboard.api import API, Tag, guard_path
from swansync.sources.swanlab.local import project_record, run_record, time_ms, to_float

log = logging.getLogger(__name__)

_CACHE_SERIES = 512  # parsed /tag answers kept for one pull
# swanboard answers 500 for deterministic errors (missing experiment, NaN in a series): retrying
# those only wastes time; connection errors and 429/502-504 are still retried.
_RETRY_STATUSES = RETRY_STATUSES - {500}


def _envelope(resp: requests.Response, *, strict: bool = True) -> Any:
    """The parsed JSON of an answer labelled JSON (None for one labelled otherwise: that is a
    wrong base URL, reported by the caller). ``strict``: JSON that does not parse is
    :class:`BadBody` (a body cut short: retried); otherwise None."""
    if "json" not in resp.headers.get("content-type", ""):
        return None
    try:
        return json.loads(resp.content)
    except ValueError:
        if strict:
            raise BadBody(f"JSON that does not parse ({len(resp.content)} bytes)") from None
        return None


class DashboardSource:
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
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise FatalApiError(f"dashboard URL {url!r} must look like http://127.0.0.1:5092")
        base_path = parts.path.rstrip("/")
        if base_path.endswith(API):
            base_path = base_path[: -len(API)]
        self.base = f"{parts.scheme}://{parts.netloc}{base_path}{API}"
        self.name = name or f"dashboard:{parts.netloc}"
        self.project_name = project_name
        self.counters = Counters()
        self._url = url
        self._unreadable_series: list[tuple[str, str, str]] = []  # (run_id, key, reason)
        self._accounting = Accounting(self.counters)
        self._session = make_session(
            timeout=timeout,
            retries=retries,
            backoff=backoff,
            user_agent="swansync-dashboard",
            retry_statuses=_RETRY_STATUSES,
        )
        self._lock = threading.Lock()
        self._project_data: dict[str, Any] | None = None
        self._tags: OrderedDict[tuple[str, str], Tag] = OrderedDict()
        self._keys: dict[str, list[MetricKeyRecord]] = {}

    # -- HTTP ------------------------------------------------------------------------------

    def _get(self, path: str, route: str) -> Any:
        """GET ``path`` (below /api/v1) and return the envelope's ``data``. Every dashboard
        route is a read, so everything transient is retried under one budget: statuses,
        dropped connections, bodies cut short, and JSON answers that do not parse."""
        url = self.base + guard_path(path)
        parsed: list[Any] = []
        try:
            resp = self._session.request(
                "GET",
                url,
                hooks=self._accounting.hook(f"GET {route}"),
                idempotent=True,
                check=lambda r: parsed.append(_envelope(r)),
            )
        except HttpFault as e:
            where = f"cannot connect to {self.base}" if e.kind == "connect" else f"GET {route}"
            raise RetriableApiError(f"dashboard {self.name}: {where}: {e}", route=route) from None
        except requests.RequestException as e:
            raise FatalApiError(
                f"dashboard {self.name}: GET {route} failed: {type(e).__name__}", route=route
            ) from None
        ctype = resp.headers.get("content-type", "")
        if "json" not in ctype:
            if resp.status_code in _RETRY_STATUSES:
                raise RetriableApiError(
                    f"dashboard {self.name}: GET {route} failed with HTTP {resp.status_code} "
                    f"({ctype or 'no content type'}, not the dashboard's JSON)",
                    status=resp.status_code,
                    route=route,
                )
            raise FatalApiError(
                f"{self.base}{route} answered {resp.status_code} {ctype or 'without a type'}, "
                "not JSON: is this the base URL of a `swanlab watch` dashboard?",
                status=resp.status_code,
                route=route,
            )
        body = parsed[-1] if parsed else _envelope(resp, strict=False)
        if body is None:
            raise DataError(f"dashboard {self.name}: GET {route}: malformed JSON")
        if not isinstance(body, dict):
            raise DataError(f"dashboard {self.name}: GET {route}: expected an object")
        code, message = body.get("code"), str(body.get("message") or body.get("detail") or "")
        if code == 0 and resp.status_code < 400 and "data" in body:
            return body["data"]
        what = f"dashboard {self.name}: GET {route}: {resp.status_code} code={code} {message}"
        if code == 3500 and "uninitialized" in message.lower():
            raise NotFoundError(f"{what} (the dashboard serves a folder without runs.swanlab)")
        if resp.status_code in _RETRY_STATUSES:
            raise RetriableApiError(what, status=resp.status_code, route=route)
        raise FatalApiError(what, status=resp.status_code, route=route)

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

    def resume(self, project: ProjectRecord, cursors: Mapping[str, str]) -> None:
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

    # -- Source: metrics -------------------------------------------------------------------

    def metric_keys(self, project: ProjectRecord, run: RunRecord) -> list[MetricKeyRecord]:
        """Keys from ``/chart`` (each chart's ``source``); ``line`` charts are scalars. An answer
        read for :meth:`summaries` in the same pull is reused once."""
        with self._lock:
            cached = self._keys.pop(run["run_id"], None)
        return cached if cached is not None else self._chart_keys(project, run)

    def _chart_keys(self, project: ProjectRecord, run: RunRecord) -> list[MetricKeyRecord]:
        exp_id = self._exp_id(run)
        data = self._get(f"/experiment/{exp_id}/chart", "/experiment/{id}/chart")
        charts = data.get("charts") if isinstance(data, dict) else None
        if not isinstance(charts, list):
            raise DataError(f"dashboard {self.name}: /experiment/{exp_id}/chart has no charts")
        out: dict[str, MetricKeyRecord] = {}
        for chart in charts:
            if not isinstance(chart, dict) or not isinstance(chart.get("source"), list):
                continue
            for key in chart["source"]:
                if isinstance(key, str) and key not in out:
                    out[key] = {
                        "project": project["project"],
                        "run_id": run["run_id"],
                        "key": key,
                        "kind": "SCALAR" if chart.get("type") == "line" else "MEDIA",
                        "klass": metric_class(key),
                    }
        return list(out.values())

    def _tag(self, run: RunRecord, key: str) -> Tag:
        cache_key = (run["run_id"], key)
        with self._lock:
            hit = self._tags.pop(cache_key, None)
        if hit is not None:
            return hit
        exp_id = self._exp_id(run)
        data = self._get(f"/experiment/{exp_id}/tag/{quote(key, safe='')}", "/experiment/{id}/tag")
        items = data.get("list") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise DataError(f"dashboard {self.name}: series {key!r} of {run['run_id']}: no list")
        steps: list[int] = []
        values: list[float | None] = []
        ts: list[int | None] = []
        for item in items:
            step = item.get("index") if isinstance(item, dict) else None
            if not isinstance(step, int) or isinstance(step, bool):
                continue
            steps.append(step)
            values.append(to_float(item.get("data")))
            ts.append(time_ms(item.get("create_time")))
        total = data.get("sum")
        return Tag(
            steps,
            values,
            ts,
            total if isinstance(total, int) else None,
            to_float(data.get("min")),
            to_float(data.get("max")),
        )

    def _keep(self, run: RunRecord, key: str, tag: Tag) -> None:
        with self._lock:
            self._tags[(run["run_id"], key)] = tag
            while len(self._tags) > _CACHE_SERIES:
                self._tags.popitem(last=False)

    def _unreadable(self, run: RunRecord, key: str, e: ApiError | DataError) -> None:
        log.warning(
            "run %s: series %r cannot be read from the dashboard: %s", run["run_id"], key, e
        )
        with self._lock:
            if (run["run_id"], key, str(e)) not in self._unreadable_series:
                self._unreadable_series.append((run["run_id"], key, str(e)))

    def logs(
        self, project: ProjectRecord, run: RunRecord, after_seq: int | None
    ) -> Iterator[LogRecord]:
        return iter(())

    def media(
        self,
        project: ProjectRecord,
        run: RunRecord,
        keys: Sequence[str],
        after_step: Mapping[str, int] | None = None,
    ) -> Iterator[MediaRecord]:
        return iter(())

    def media_content(self, project: ProjectRecord, run: RunRecord, item: MediaRecord) -> MediaBody:
        raise NotFoundError(f"{item['key']} step {item['step']}: no media here")

    def warnings(self) -> list[str]:
        with self._lock:
            return [
                f"{self.name} run {run_id} key {key!r}: {why}"
                for run_id, key, why in self._unreadable_series
            ]

    def summaries(
        self, groups: Sequence[tuple[ProjectRecord, Sequence[RunRecord]]]
    ) -> Mapping[RunKey, list[SummaryRecord]]:
        out: dict[RunKey, list[SummaryRecord]] = {}
        for project, run in ((p, r) for p, runs in groups for r in runs):
            records: list[SummaryRecord] = []
            keys = self._chart_keys(project, run)
            with self._lock:
                self._keys[run["run_id"]] = keys
            for k in keys:
                if k["kind"] != "SCALAR":
                    continue
                try:
                    tag = self._tag(run, k["key"])
                except FatalApiError as e:  # NaN/inf in the series (0.10.x): unreadable
                    self._unreadable(run, k["key"], e)
                    continue
                self._keep(run, k["key"], tag)
                summary = tag.summary()
                if summary is not None:
                    records.append(summary.record(project, run, k["key"]))
            out[(project["project"], run["run_id"])] = records
        return out

    def scalar_points(
        self,
        project: ProjectRecord,
        run: RunRecord,
        keys: Sequence[str],
        after_step: Mapping[str, int] | None = None,
    ) -> Iterator[Points]:
        """Each key's series as the dashboard returns it: complete up to 1,500 points, else a
        sampled curve (``complete=False``). ``after_step`` cannot be sent; the sync filters."""
        for key in keys:
            try:
                tag = self._tag(run, key)
            except FatalApiError as e:
                self._unreadable(run, key, e)
                yield SeriesPoints(project["project"], run["run_id"], key, [], [], [], False)
                continue
            yield SeriesPoints(
                project["project"],
                run["run_id"],
                key,
                tag.steps,
                tag.values,
                tag.ts_ms,
                complete=tag.complete,
            )

    def close(self) -> None:
        with self._lock:
            self._tags.clear()
            self._keys.clear()
        self._session.close()

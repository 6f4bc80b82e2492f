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
from urllib.parse import quote

from swansync.errors import ApiError, DataError, FatalApiError, NotFoundError
from swansync.sources.base import (
    TERMINAL_STATES,
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
from swansync.sources.swanlab.dashboard import media as media_answers
from swansync.sources.swanlab.dashboard.api import Tag, base_url
from swansync.sources.swanlab.dashboard.client import DashboardClient
from swansync.sources.swanlab.dashboard.console import recent_lines
from swansync.sources.swanlab.local import (
    TEXT_CONTENT_TYPE,
    Problems,
    media_kind,
    project_record,
    run_record,
)

log = logging.getLogger(__name__)

_CACHE_SERIES = 512  # parsed /tag answers kept for one pull


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
                    with self._lock:
                        self._chart_types[(run["run_id"], key)] = str(chart.get("type"))
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
        tag = Tag.parse(data)
        if tag is None:
            raise DataError(f"dashboard {self.name}: series {key!r} of {run['run_id']}: no list")
        return tag

    def _keep(self, run: RunRecord, key: str, tag: Tag) -> None:
        with self._lock:
            self._tags[(run["run_id"], key)] = tag
            while len(self._tags) > _CACHE_SERIES:
                self._tags.popitem(last=False)

    def _unreadable(self, run: RunRecord, key: str, e: ApiError | DataError) -> None:
        """Record a series the dashboard cannot serve; warn once (a pull asks for it twice:
        for the summaries, then for the points)."""
        with self._lock:
            first = (run["run_id"], key, str(e)) not in self._unreadable_series
            if first:
                self._unreadable_series.append((run["run_id"], key, str(e)))
        if first:
            log.warning(
                "run %s: series %r cannot be read from the dashboard: %s", run["run_id"], key, e
            )

    def logs(
        self, project: ProjectRecord, run: RunRecord, after_seq: int | None
    ) -> Iterator[LogRecord]:
        """The run's console from ``recent_log`` (the whole console each time: the dashboard
        has no paging, so lines up to ``after_seq`` are read and dropped here; no levels,
        streams or times except ERROR for a crashed run's error; see :mod:`.console`)."""
        exp_id = self._exp_id(run)
        try:
            data = self._get(f"/experiment/{exp_id}/recent_log", "/experiment/{id}/recent_log")
        except FatalApiError as e:
            if e.status == 404:  # code 3404: no console files (yet)
                return
            self._problems.add(run["run_id"], "console unreadable from the dashboard", e)
            return
        ended = run["state"] in TERMINAL_STATES
        for seq, text, level, cut in recent_lines(data, after_seq, ended):
            if cut:
                self._problems.add(run["run_id"], "console lines over 1 MiB cut", seq)
            yield {
                "project": project["project"],
                "run_id": run["run_id"],
                "seq": seq,
                "ts": None,
                "level": level,
                "stream": None,
                "text": text,
            }

    def media(
        self,
        project: ProjectRecord,
        run: RunRecord,
        keys: Sequence[str],
        after_step: Mapping[str, int] | None = None,
    ) -> Iterator[MediaRecord]:
        """The items of each media key from its ``/tag`` answer (sampled above 1,500 steps:
        then a warning says how many steps the dashboard did not give); see :mod:`.media`."""
        exp_id = self._exp_id(run)
        for key in keys:
            with self._lock:
                chart = self._chart_types.get((run["run_id"], key))
            if chart is None:
                self._chart_keys(project, run)
                with self._lock:
                    chart = self._chart_types.get((run["run_id"], key))
            if chart is None or chart == "line":
                log.warning("run %s has no media key %r; skipped", run["run_id"], key)
                continue
            path = f"/experiment/{exp_id}/tag/{quote(key, safe='')}"
            try:
                data = self._get(path, "/experiment/{id}/tag")
            except FatalApiError as e:
                self._problems.add(run["run_id"], "media keys unreadable from the dashboard", e)
                continue
            total = media_answers.total_points(data)
            returned = media_answers.returned_points(data)
            if total is not None and total > returned:
                self._problems.add(
                    run["run_id"],
                    "media series sampled by the dashboard (read the folder for every step)",
                    f"{key}: {returned} of {total} steps",
                )
            for item in media_answers.media_items(
                data,
                project=project["project"],
                run_id=run["run_id"],
                exp_id=exp_id,
                key=key,
                kind=media_kind(chart),
                after_step=(after_step or {}).get(key),
                url_of=lambda name, k=key: self._client.media_url(name, k, exp_id),
            ):
                if isinstance(item, str):
                    self._problems.add(run["run_id"], "media items that name no plain file", item)
                else:
                    yield item

    def media_content(self, project: ProjectRecord, run: RunRecord, item: MediaRecord) -> MediaBody:
        """A text's bytes, or the file from the dashboard's media route, streamed."""
        ref = item["ref"] or ""
        if ref.startswith(media_answers.INLINE):
            raw = ref[len(media_answers.INLINE) :].encode("utf-8", errors="surrogatepass")
            return MediaBody(iter([raw]), TEXT_CONTENT_TYPE, len(raw))
        parsed = media_answers.parse_file_ref(ref)
        if parsed is None:
            raise NotFoundError(f"media {item['key']!r} step {item['step']}: no file to fetch")
        exp_id, key, name = parsed
        resp, pieces = self._client.open_file(name, key, exp_id)
        length = resp.headers.get("content-length", "")
        return MediaBody(
            pieces,
            resp.headers.get("content-type") or item["content_type"],
            int(length) if length.isdigit() else None,
        )

    def warnings(self) -> list[str]:
        with self._lock:
            series = [
                f"{self.name} run {run_id} key {key!r}: {why}"
                for run_id, key, why in self._unreadable_series
            ]
        return series + self._problems.warnings()

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
            self._chart_types.clear()
        self._client.close()

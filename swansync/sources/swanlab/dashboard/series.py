"""The metrics of a dashboard run (:class:`DashboardSeries`, a base of
:class:`~swansync.sources.swanlab.dashboard.source.DashboardSource`): keys from ``/chart``, and
summaries and points from each series' ``/tag`` answer, read once per pull and kept (bounded)
between the two."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from swansync.errors import ApiError, DataError, FatalApiError
from swansync.sources.base import (
    MetricKeyRecord,
    Points,
    ProjectRecord,
    RunKey,
    RunRecord,
    SeriesPoints,
    SummaryRecord,
)
from swansync.sources.swanlab.conventions import metric_class
from swansync.sources.swanlab.dashboard.api import Tag

log = logging.getLogger("swansync.sources.swanlab.dashboard.source")  # its name before the split

_CACHE_SERIES = 512  # parsed /tag answers kept for one pull


class DashboardSeries:
    """Metric keys, summaries and points of a dashboard's runs."""

    if TYPE_CHECKING:  # provided by DashboardSource
        name: str
        _lock: threading.Lock
        _chart_types: dict[tuple[str, str], str]
        _tags: OrderedDict[tuple[str, str], Tag]
        _keys: dict[str, list[MetricKeyRecord]]
        _unreadable_series: list[tuple[str, str, str]]

        def _get(self, path: str, route: str) -> Any: ...
        def _exp_id(self, run: RunRecord) -> str: ...

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

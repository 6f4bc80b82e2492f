"""The console and media of a dashboard run (:class:`DashboardFiles`, a base of
:class:`~swansync.sources.swanlab.dashboard.source.DashboardSource`): ``recent_log`` lines, media
items from each media key's ``/tag`` answer, and their files from the media route."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from swansync.errors import FatalApiError, NotFoundError
from swansync.sources.base import (
    TERMINAL_STATES,
    LogRecord,
    MediaBody,
    MediaRecord,
    MetricKeyRecord,
    ProjectRecord,
    RunRecord,
)
from swansync.sources.swanlab.dashboard import media as media_answers
from swansync.sources.swanlab.dashboard.console import recent_lines
from swansync.sources.swanlab.local import TEXT_CONTENT_TYPE, Problems, media_kind

if TYPE_CHECKING:
    from swansync.sources.swanlab.dashboard.client import DashboardClient

log = logging.getLogger("swansync.sources.swanlab.dashboard.source")  # its name before the split


class DashboardFiles:
    """Console lines and media items of a dashboard's runs."""

    if TYPE_CHECKING:  # provided by DashboardSource / DashboardSeries
        _lock: threading.Lock
        _chart_types: dict[tuple[str, str], str]
        _client: DashboardClient
        _problems: Problems

        def _get(self, path: str, route: str) -> Any: ...
        def _exp_id(self, run: RunRecord) -> str: ...
        def _chart_keys(self, project: ProjectRecord, run: RunRecord) -> list[MetricKeyRecord]: ...

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

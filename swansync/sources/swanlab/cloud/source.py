"""The SwanLab OpenAPI as a :class:`~swansync.sources.base.Source` (cloud or self-hosted)."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from swansync.errors import ConfigError, DataError, FatalApiError, NotFoundError
from swansync.http import PolicySession
from swansync.sources.base import (
    Counters,
    LogRecord,
    MediaBody,
    MediaRecord,
    MetricKeyRecord,
    Points,
    ProjectRecord,
    Rejected,
    RunFilter,
    RunKey,
    RunRecord,
    SummaryRecord,
)
from swansync.sources.swanlab.cloud import parse
from swansync.sources.swanlab.cloud.client import SwanLabClient
from swansync.sources.swanlab.cloud.credentials import normalize_host, web_host_for
from swansync.sources.swanlab.cloud.export import (
    EXPORT_KEYS,
    WIDE_KEYS,
    ExportMissing,
    WideExportRefused,
    chunks,
    export_points,
    legacy_points,
    seg,
)
from swansync.sources.swanlab.cloud.filters import to_swanlab
from swansync.sources.swanlab.cloud.keys import list_keys
from swansync.sources.swanlab.cloud.logs import ConsoleReader, Repairs
from swansync.sources.swanlab.cloud.media import MediaReader
from swansync.sources.swanlab.cloud.paging import iter_pages
from swansync.sources.swanlab.conventions import metric_class

log = logging.getLogger(__name__)

PAGE_SIZE = 100  # in the SDK's whitelist; the documented server maximum
SUMMARY_CHUNK = 500
_WORKSPACE = "workspace:"  # a target naming every project of a workspace


class SwanLabSource:
    """Projects, runs, summaries, metric keys and full-resolution scalars from SwanLab.

    Thread-safe: worker threads may call every method concurrently.
    """

    def __init__(
        self,
        api_host: str,
        api_key: str,
        *,
        web_host: str | None = None,
        name: str | None = None,
        projects: Sequence[str] = (),
        workspaces: Sequence[str] = (),
        timeout: float = 60,
        retries: int = 5,
        backoff: float = 0.5,
        session: PolicySession | None = None,
    ) -> None:
        self.api_host = normalize_host(api_host)
        self.web_host = normalize_host(web_host) if web_host else web_host_for(self.api_host)
        self.name = name or urlsplit(self.api_host).netloc
        self._projects = tuple(projects)
        self._workspaces = tuple(workspaces)
        self.counters = Counters()
        self.client = SwanLabClient(
            self.api_host,
            api_key,
            timeout=timeout,
            retries=retries,
            backoff=backoff,
            session=session,
            counters=self.counters,
        )
        self._legacy_export = False
        self._repairs = Repairs()
        self._export_width = WIDE_KEYS  # back to the SDK's EXPORT_KEYS if the server refuses

    def __repr__(self) -> str:
        return f"SwanLabSource(name={self.name!r}, api_host={self.api_host!r})"

    # -- projects --------------------------------------------------------------------------

    def _not_found(self, e: FatalApiError, kind: str, name: str) -> Exception:
        if e.status in (403, 404):
            why = "not found" if e.status == 404 else "not visible to this API key"
            return NotFoundError(
                f"{kind} '{name}' {why} on {self.api_host} (HTTP {e.status}): check the name "
                "and that the logged-in user can see it"
            )
        return e

    def project(self, path: str) -> ProjectRecord:
        """One project by ``ws/proj`` (a leading ``/`` or ``@`` is ignored)."""
        try:
            ws, pname = parse.split_path(path)
        except DataError:
            raise ConfigError(f"bad project {path!r}: expected 'workspace/project'") from None
        try:
            body = self.client.call(
                "GET",
                f"/project/{seg(ws)}/{seg(pname)}",
                route="GET /project/{ws}/{proj}",
                what=f"project '{ws}/{pname}'",
            )
        except FatalApiError as e:
            raise self._not_found(e, "project", f"{ws}/{pname}") from None
        if isinstance(body, dict) and not body.get("path"):
            body = {**body, "path": f"{ws}/{pname}"}
        return parse.project_record(body, self.web_host, fallback_ws=ws)

    def workspace_projects(self, workspace: str) -> list[ProjectRecord]:
        """Every project of a workspace (all pages, oldest first so pages do not shift)."""
        ws = parse.normalize_path(workspace)
        if not ws or "/" in ws:
            raise ConfigError(f"bad workspace {workspace!r}: expected a user or team name")

        def fetch(page: int) -> Any:
            return self.client.call(
                "GET",
                f"/project/{seg(ws)}",
                params={"page": page, "size": PAGE_SIZE, "sort": "create", "detail": "True"},
                route="GET /project/{ws}",
                what=f"projects of workspace '{ws}'",
            )

        try:
            items = list(
                iter_pages(
                    fetch, what=f"projects of '{ws}'", size=PAGE_SIZE, route="GET /project/{ws}"
                )
            )
        except FatalApiError as e:
            raise self._not_found(e, "workspace", ws) from None
        out: dict[str, ProjectRecord] = {}
        for item in items:
            rec = parse.project_record(item, self.web_host, fallback_ws=ws)
            out.setdefault(rec["project"], rec)
        return list(out.values())

    @property
    def targets(self) -> tuple[str, ...]:
        return (*self._projects, *(f"{_WORKSPACE}{w}" for w in self._workspaces))

    def resolve(self, target: str) -> list[ProjectRecord]:
        if target.startswith(_WORKSPACE):
            return self.workspace_projects(target.removeprefix(_WORKSPACE))
        return [self.project(target)]

    # -- runs ------------------------------------------------------------------------------

    def _runs_path(self, project: ProjectRecord) -> str:
        return f"/project/{seg(project['workspace'])}/{seg(project['name'])}/runs"

    def resume(self, cursors: Mapping[str, Mapping[str, str]]) -> None:
        """Nothing to resume: every pull lists afresh."""

    def list_runs(
        self, project: ProjectRecord, filters: Sequence[RunFilter] = ()
    ) -> Iterator[RunRecord | Rejected]:
        proj = project["project"]
        try:
            raw = self._shows(project, filters) if filters else list(self._paged_runs(project))
        except FatalApiError as e:
            raise self._not_found(e, "project", proj) from None
        seen: set[str] = set()
        runs: list[RunRecord] = []
        rejected: list[Rejected] = []
        for obj in raw:
            try:
                rec = parse.run_record(obj, project, self.web_host, detail=False)
            except DataError as e:
                cuid = obj.get("cuid") if isinstance(obj, dict) else None
                rejected.append(Rejected(proj, cuid if isinstance(cuid, str) else None, str(e)))
                continue
            if rec["run_id"] not in seen:
                seen.add(rec["run_id"])
                runs.append(rec)
        yield from runs
        yield from rejected

    def _paged_runs(self, project: ProjectRecord) -> Iterator[dict[str, Any]]:
        path = self._runs_path(project)

        def fetch(page: int) -> Any:
            return self.client.call(
                "GET",
                path,
                params={"page": page, "size": PAGE_SIZE},
                route="GET /project/{ws}/{proj}/runs",
                what=f"runs of project '{project['project']}'",
            )

        return iter_pages(
            fetch,
            what=f"runs of '{project['project']}'",
            size=PAGE_SIZE,
            route="GET /project/{ws}/{proj}/runs",
        )

    def _shows(self, project: ProjectRecord, filters: Sequence[RunFilter]) -> list[Any]:
        items = [item for item in (to_swanlab(f) for f in filters) if item is not None]
        body = self.client.call(
            "POST",
            self._runs_path(project) + "/shows",
            body={"filters": items, "groups": [], "sorts": []},
            route="POST /project/{ws}/{proj}/runs/shows",
            what=f"filtered runs of project '{project['project']}'",
        )
        return list(parse.flatten_runs(body))

    def run_detail(self, project: ProjectRecord, run: RunRecord) -> RunRecord:
        body = self.client.call(
            "GET",
            f"{self._runs_path(project)}/{seg(run['run_id'])}",
            route="GET /project/{ws}/{proj}/runs/{cuid}",
            what=f"run {run['run_id']!r} of project '{project['project']}'",
        )
        rec = parse.run_record(body, project, self.web_host, detail=True)
        # Keep the list's marker: the sync compares it with the next listing, not a detail.
        rec["change_marker"] = run["change_marker"]
        return rec

    # -- metric store refs -----------------------------------------------------------------

    def _ref(
        self, project: ProjectRecord, run: RunRecord, *, for_keys: bool = False
    ) -> dict[str, Any]:
        pid = run["project_id"] or project["project_id"]
        if not pid:
            raise DataError(f"project '{project['project']}' has no cuid; metric calls need it")
        ref: dict[str, Any] = {
            "projectId": pid,
            "experimentId": run["run_id"],
            "createdAt": parse.created_seconds(run),
        }
        if run["root_run_id"]:
            root_pid = run["root_project_id"] or pid
            if for_keys:  # cloned runs list keys under the original (spec 3.1 rule 5)
                ref["projectId"], ref["experimentId"] = root_pid, run["root_run_id"]
            else:
                ref["rootProId"], ref["rootExpId"] = root_pid, run["root_run_id"]
        return ref

    # -- summaries -------------------------------------------------------------------------

    def summaries(
        self, groups: Sequence[tuple[ProjectRecord, Sequence[RunRecord]]]
    ) -> Mapping[RunKey, list[SummaryRecord]]:
        """Summaries of runs of several projects in one request per chunk: each experiment ref
        names its own project, and run cuids are unique across projects."""
        out: dict[RunKey, list[SummaryRecord]] = {}
        usable: list[tuple[ProjectRecord, RunRecord, dict[str, Any]]] = []
        for project, runs in groups:
            for run in runs:
                try:
                    usable.append((project, run, self._ref(project, run)))
                except DataError as e:
                    log.warning("no summary for %s: %s", run["run_id"], e)
        names = sorted({p["project"] for p, _ in groups})
        label = f"project '{names[0]}'" if len(names) == 1 else f"{len(names)} projects"
        for chunk in chunks(usable, SUMMARY_CHUNK):
            body = self.client.call(
                "POST",
                "/house/metrics/summaries",
                body={"experiments": [ref for _, _, ref in chunk]},
                route="POST /house/metrics/summaries",
                what=f"summaries of {len(chunk)} run(s) of {label}",
            )
            if isinstance(body, list) and len(chunk) == 1 and body and isinstance(body[0], dict):
                only = chunk[0][1]["run_id"]
                body = body[0] if only in body[0] else {only: body[0]}
            if not isinstance(body, dict):
                raise DataError(
                    f"summaries of {label}: expected an object keyed by run id, "
                    f"got {type(body).__name__}"
                )
            for project, run, _ in chunk:
                out[(project["project"], run["run_id"])] = parse.summary_records(
                    project["project"], run["run_id"], body.get(run["run_id"])
                )
        return out

    # -- keys ------------------------------------------------------------------------------

    def _keys(self, project: ProjectRecord, run: RunRecord, kind: str) -> list[str]:
        return list_keys(self.client, self._ref(project, run, for_keys=True), kind, run["run_id"])

    def metric_keys(self, project: ProjectRecord, run: RunRecord) -> list[MetricKeyRecord]:
        proj, rid = project["project"], run["run_id"]
        out: list[MetricKeyRecord] = []
        for key in self._keys(project, run, "scalar"):
            out.append(
                MetricKeyRecord(
                    project=proj, run_id=rid, key=key, kind="SCALAR", klass=metric_class(key)
                )
            )
        try:
            media = self._keys(project, run, "media")
        except FatalApiError as e:
            if e.status != 404:
                raise
            log.debug("no media key route on %s; assuming no media keys", self.api_host)
            media = []
        for key in media:
            out.append(
                MetricKeyRecord(project=proj, run_id=rid, key=key, kind="MEDIA", klass="CUSTOM")
            )
        return out

    # -- points ----------------------------------------------------------------------------

    def scalar_points(
        self,
        project: ProjectRecord,
        run: RunRecord,
        keys: Sequence[str],
        after_step: Mapping[str, int] | None = None,
    ) -> Iterator[Points]:
        """Full series through the CSV export (no server-side range exists, U9: ``after_step``
        is left to the transform). Falls back to the legacy per-key CSV route on a 404."""
        if not keys:
            return
        if not self._legacy_export:
            try:
                yield from self._export(project, run, keys)
                return
            except ExportMissing:
                log.info(
                    "%s has no scalar export route; using the legacy per-key CSV", self.api_host
                )
                self._legacy_export = True
        yield from legacy_points(self.client, project, run, keys)

    def logs(
        self, project: ProjectRecord, run: RunRecord, after_seq: int | None
    ) -> Iterator[LogRecord]:
        """Console lines above ``after_seq`` (see :mod:`.logs`)."""
        warn = self._repairs.warner(project["project"], run["run_id"])
        reader = ConsoleReader(self.client, self._ref(project, run), project["project"], run, warn)
        return reader.lines(after_seq)

    def media(
        self,
        project: ProjectRecord,
        run: RunRecord,
        keys: Sequence[str],
        after_step: Mapping[str, int] | None = None,
    ) -> Iterator[MediaRecord]:
        """Media items of ``keys`` above each key's bookmark (see :mod:`.media`)."""
        if not keys:
            return iter(())
        reader = MediaReader(self.client, self._ref(project, run), project["project"], run)
        return reader.items(keys, after_step or {})

    def media_content(self, project: ProjectRecord, run: RunRecord, item: MediaRecord) -> MediaBody:
        reader = MediaReader(self.client, self._ref(project, run), project["project"], run)
        return reader.open(item)

    def _export(
        self, project: ProjectRecord, run: RunRecord, keys: Sequence[str]
    ) -> Iterator[Points]:
        ref = self._ref(project, run)
        if self._export_width > EXPORT_KEYS:
            try:
                yield from export_points(self.client, project, run, ref, keys, self._export_width)
                return
            except WideExportRefused as e:  # raised before any batch was yielded
                log.info(
                    "%s: %s; exporting %d keys at a time from now on", self.api_host, e, EXPORT_KEYS
                )
                self._export_width = EXPORT_KEYS
        yield from export_points(self.client, project, run, ref, keys, EXPORT_KEYS)

    def warnings(self) -> list[str]:
        """Console lines repaired this pull (invalid UTF-8, cut at 1 MiB)."""
        return self._repairs.drain()

    def close(self) -> None:
        self.client.close()

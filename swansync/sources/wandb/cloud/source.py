"""The W&B cloud (or a W&B server) as a :class:`~swansync.sources.base.Source`.

Per pull: ``resolve`` (``GetProject`` / ``GetProjects``), ``list_runs`` (``Runs`` pages with
the full field set: ``run_detail`` sends nothing), then ``summaries``: a run whose history
marker (state, heartbeat, line count, last step) equals the one in its cursor is answered from
the cursor with no request; a new or moved run has its new rows read here
(``HistoryPage`` windows from the last step mirrored + 1, and ``RunEvents`` when it reports
system metrics, unless the pull mirrors none: ``summaries_without_system``), parked in a
:class:`~.spool.Spool` for ``scalar_points``, and gets its new cursor. So a no-op pull sends
only listing requests, and a grown run costs the windows of its new steps. The same read takes
the new tail of its ``output.log`` and keeps the media values of its new rows for
``logs``/``media`` (:mod:`.extras`, :mod:`.logs`, :mod:`.media`).

The run's cursor is set on its record during ``summaries``: the sync commits the value a record
holds when the run's rows commit (``test_every_run_commits_its_cursor`` in tests/wandb_cloud
pins that).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from swansync.errors import ApiError, DataError
from swansync.http import PolicySession
from swansync.sources.base import (
    TERMINAL_STATES,
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
    SourceOptions,
    SummaryRecord,
)
from swansync.sources.wandb import conventions
from swansync.sources.wandb.cloud import extras, listing
from swansync.sources.wandb.cloud.answers import (
    covered,
    metric_key_records,
    series,
    summary_records,
)
from swansync.sources.wandb.cloud.client import GraphQLClient, GraphQLError
from swansync.sources.wandb.cloud.credentials import app_url, netloc, resolve_credentials
from swansync.sources.wandb.cloud.history import PAGE_ROWS, Batch, RunReader, fold
from swansync.sources.wandb.cloud.logs import read_logs
from swansync.sources.wandb.cloud.media import read_content, read_media
from swansync.sources.wandb.cloud.parquet import read_first
from swansync.sources.wandb.cloud.spool import Spool
from swansync.sources.wandb.cloud.state import RunState
from swansync.sources.wandb.console import Repairs

if TYPE_CHECKING:
    from swansync.sources.wandb.plugin import WandbCloud

log = logging.getLogger(__name__)

_ENTITY = "entity:"
READERS = 4  # runs whose history is read at once during summaries


class WandbCloudSource:
    """Projects, runs, summaries, metric keys and full-resolution history from W&B.

    Thread-safe: worker threads may call every method concurrently.
    """

    def __init__(
        self,
        host: str,
        api_key: str,
        *,
        name: str | None = None,
        projects: Sequence[str] = (),
        entities: Sequence[str] = (),
        timeout: float = 60,
        retries: int = 5,
        backoff: float = 0.5,
        session: PolicySession | None = None,
        page_rows: int = PAGE_ROWS,
        readers: int = READERS,
        parquet: bool = True,
    ) -> None:
        self.host = host
        self.app = app_url(host)
        self.name = name or f"wandb:{netloc(host)}"
        self._projects = tuple(projects)
        self._entities = tuple(entities)
        self.counters = Counters()
        self.client = GraphQLClient(
            host,
            api_key,
            timeout=timeout,
            retries=retries,
            backoff=backoff,
            session=session,
            counters=self.counters,
        )
        self.page_rows = page_rows
        self.readers = max(1, readers)
        self._parquet = parquet  # off once the server shows it has no parquet history
        self._lock = threading.Lock()
        self._stored: dict[str, dict[str, str]] = {}  # project -> run id -> cursor
        self._listed: dict[RunKey, listing.Listed] = {}
        self._states: dict[RunKey, RunState] = {}  # after this pull's reads
        self._bases: dict[RunKey, RunState | None] = {}  # what a read continued from
        self._failed: dict[RunKey, ApiError | DataError] = {}
        self._warnings: list[str] = []
        self._spool: Spool[Batch] = Spool()
        self._held: Spool[extras.Held] = Spool()  # consoles and media read ahead
        self._repairs = Repairs()

    @classmethod
    def from_config(cls, config: WandbCloud, options: SourceOptions) -> WandbCloudSource:
        creds = resolve_credentials(
            config.api_key.reveal() if config.api_key else None,
            config.host,
            env=options.env,
            home=options.home,
            config_host=config.config_host,
        )
        return cls(
            creds.host,
            creds.api_key,
            name=config.source_name,
            projects=config.projects,
            entities=config.entities,
            timeout=options.timeout,
            retries=options.retries,
            backoff=options.backoff,
        )

    def __repr__(self) -> str:
        return f"WandbCloudSource(name={self.name!r}, host={self.host!r})"

    # -- projects --------------------------------------------------------------------------

    @property
    def targets(self) -> tuple[str, ...]:
        return (*self._projects, *(f"{_ENTITY}{e}" for e in self._entities))

    def resolve(self, target: str) -> list[ProjectRecord]:
        if target.startswith(_ENTITY):
            return listing.entity_projects(self.client, target.removeprefix(_ENTITY), self.app)
        return [listing.get_project(self.client, target, self.app)]

    # -- runs ------------------------------------------------------------------------------

    def resume(self, cursors: Mapping[str, Mapping[str, str]]) -> None:
        """Remember the stored cursors: each listed run record carries its own."""
        with self._lock:
            self._stored = {project: dict(runs) for project, runs in cursors.items()}

    def list_runs(
        self, project: ProjectRecord, filters: Sequence[RunFilter] = ()
    ) -> Iterator[RunRecord | Rejected]:
        proj = project["project"]
        with self._lock:
            cursors = self._stored.get(proj, {})
        for item in listing.list_runs(self.client, project, filters, self.app):
            if not isinstance(item, Rejected):
                item["cursor"] = cursors.get(item["run_id"])
                facts = listing.listed_facts(item)
                with self._lock:
                    self._listed[(proj, item["run_id"])] = facts
            yield item

    def run_detail(self, project: ProjectRecord, run: RunRecord) -> RunRecord:
        """The listing already holds every field: the same record, with its profile."""
        return RunRecord(**{**run, "has_profile": True})

    # -- summaries -------------------------------------------------------------------------

    def summaries(
        self, groups: Sequence[tuple[ProjectRecord, Sequence[RunRecord]]]
    ) -> Mapping[RunKey, list[SummaryRecord]]:
        return self._summaries(groups, system=True)

    def summaries_without_system(
        self, groups: Sequence[tuple[ProjectRecord, Sequence[RunRecord]]]
    ) -> Mapping[RunKey, list[SummaryRecord]]:
        """The same, sending no ``RunEvents`` (``--no-system``; see :class:`SkipsSystem`)."""
        return self._summaries(groups, system=False)

    def _summaries(
        self, groups: Sequence[tuple[ProjectRecord, Sequence[RunRecord]]], *, system: bool
    ) -> Mapping[RunKey, list[SummaryRecord]]:
        todo: list[tuple[ProjectRecord, RunRecord]] = []
        for project, runs in groups:
            for run in runs:
                key = (project["project"], run["run_id"])
                with self._lock:
                    done = key in self._states or key in self._failed
                if not done and not self._unchanged(key, run, system):
                    todo.append((project, run))
        if todo:
            with ThreadPoolExecutor(min(self.readers, len(todo))) as pool:
                list(pool.map(lambda pr: self._read_ahead(pr[0], pr[1], system), todo))
        out: dict[RunKey, list[SummaryRecord]] = {}
        first_error: ApiError | DataError | None = None
        for project, runs in groups:
            for run in runs:
                key = (project["project"], run["run_id"])
                with self._lock:
                    state, error = self._states.get(key), self._failed.get(key)
                if error is not None:
                    first_error = first_error or error
                    continue
                if state is not None:
                    run["cursor"] = state.encode()
                    out[key] = summary_records(key, state, self._listed.get(key))
        if first_error is not None:
            raise first_error  # the sync splits the batch until the failing run stands alone
        return out

    def _unchanged(self, key: RunKey, run: RunRecord, system: bool) -> bool:
        """True (and the state remembered) when the run's cursor still describes it (with
        its system metrics, when the pull wants them)."""
        old = RunState.decode(run.get("cursor"))
        with self._lock:
            facts = self._listed.get(key)
            if old is None or facts is None or old.marker != facts.marker or old.console_failed:
                return False
            if system and old.system_skipped:
                return False
            self._states[key] = old
            self._bases[key] = None
            return True

    def _read_ahead(self, project: ProjectRecord, run: RunRecord, system: bool) -> None:
        key = (project["project"], run["run_id"])
        facts = self._facts(key, run)
        old = RunState.decode(run.get("cursor"))
        base = old
        if (
            old is None
            or old.history_to is None
            or facts.last_step < old.history_to
            or facts.lines < old.lines
        ):
            base = None  # new, never had history, or its history shrank (rewound): read it all
        start = None if base is None else base.history_to
        batch = Batch(base=start, history_to=start)
        reader = self._reader(project, run)
        try:
            expected = facts.lines - (base.lines if base else 0)
            first = None
            if base is None and run["state"] in TERMINAL_STATES and self._parquet:
                first = self._export(reader, batch)
            reader.history(batch, facts.last_step, expected, start=first)
            if not facts.has_system:
                batch.events = {}
            elif system:
                reader.events(batch)  # else left unread (None), and the state says so
        except (ApiError, DataError) as e:
            with self._lock:
                self._failed[key] = e
            return
        state = base.copy_history(facts.marker) if base else RunState(facts.marker)
        fold(state, batch)
        state.system_skipped = batch.events is None
        self._spool.put(key, batch)
        final = run["state"] in TERMINAL_STATES
        self._held.put(key, extras.read_ahead(self.client, reader, old, base, batch, state, final))
        with self._lock:
            self._states[key] = state
            self._bases[key] = base
            if batch.shortfall:
                self._warnings.append(batch.shortfall)

    def _export(self, reader: RunReader, batch: Batch) -> int | None:
        """See :func:`.parquet.read_first`; a server without parquet history is not asked again."""
        try:
            return read_first(reader, batch)
        except GraphQLError as e:
            log.info("%s offers no parquet history (%s); reading windows", self.host, e)
            self._parquet = False
            return None

    def _facts(self, key: RunKey, run: RunRecord) -> listing.Listed:
        with self._lock:
            facts = self._listed.get(key)
        return facts if facts is not None else listing.listed_facts(run)

    # -- keys and points -------------------------------------------------------------------

    def metric_keys(self, project: ProjectRecord, run: RunRecord) -> list[MetricKeyRecord]:
        key = (project["project"], run["run_id"])
        return metric_key_records(key, self._facts(key, run), self._state(key, run))

    def scalar_points(
        self,
        project: ProjectRecord,
        run: RunRecord,
        keys: Sequence[str],
        after_step: Mapping[str, int] | None = None,
    ) -> Iterator[Points]:
        """The points of ``keys``: from what ``summaries`` read ahead where that covers them,
        else read now from ``min(after_step) + 1`` (the sync's bookmarks) on. A run whose
        read-ahead failed (reported with its summary) is tried once more here."""
        key = (project["project"], run["run_id"])
        with self._lock:
            self._failed.pop(key, None)
            state = self._states.get(key)
            base = self._bases.get(key)
        after = dict(after_step or {})
        batch = self._spool.take(key)
        known = state or RunState.decode(run.get("cursor"))
        facts = self._facts(key, run)
        system_keys = {
            k
            for k in keys
            if (known is not None and k in known.system)
            or (k.startswith(conventions.SYSTEM_PREFIX) and k not in facts.scalar_keys)
        }
        hist = [k for k in keys if k not in system_keys]
        sysk = [k for k in keys if k in system_keys]
        missing = hist if batch is None else [k for k in hist if not covered(batch, base, k, after)]
        reader = self._reader(project, run)
        if missing:
            lows = [after.get(k) for k in missing]
            start = None if any(v is None for v in lows) else min(v for v in lows if v is not None)
            direct = Batch(base=start, history_to=None)
            reader.history(direct, facts.last_step, None)
            yield from series(key, direct.history, missing, True)
        if batch is not None:
            yield from series(key, batch.history, [k for k in hist if k not in missing], True)
        if sysk:
            if batch is None or batch.events is None:
                batch = batch or Batch(base=None, history_to=None)
                reader.events(batch)
            yield from series(key, batch.events or {}, sysk, batch.events_complete)

    def logs(
        self, project: ProjectRecord, run: RunRecord, after_seq: int | None
    ) -> Iterator[LogRecord]:
        """``output.log`` lines above ``after_seq`` (see :mod:`.logs`)."""
        key = (project["project"], run["run_id"])
        held = self._held.take(key)
        reader, state = self._reader(project, run), self._state(key, run)
        return read_logs(reader, key, state, held, after_seq, self._repairs.warner(*key))

    def media(
        self,
        project: ProjectRecord,
        run: RunRecord,
        keys: Sequence[str],
        after_step: Mapping[str, int] | None = None,
    ) -> Iterator[MediaRecord]:
        """File-backed media values of ``keys`` above each key's bookmark (see :mod:`.media`)."""
        key = (project["project"], run["run_id"])
        held = self._held.take(key)
        if held is not None:  # logs() reads its console part
            self._held.put(key, extras.Held(held.tail, held.console_error, 0, {}, []))
        reader, state = self._reader(project, run), self._state(key, run)
        return read_media(reader, key, state, held, keys, after_step or {})

    def media_content(self, project: ProjectRecord, run: RunRecord, item: MediaRecord) -> MediaBody:
        return read_content(self._reader(project, run), item)

    def _state(self, key: RunKey, run: RunRecord) -> RunState | None:
        """The run's state after this pull's read, else the one its cursor holds."""
        with self._lock:
            state = self._states.get(key)
        return state or RunState.decode(run.get("cursor"))

    def _reader(self, project: ProjectRecord, run: RunRecord) -> RunReader:
        return RunReader(
            self.client,
            project["workspace"],
            project["name"],
            run["run_id"],
            page_rows=self.page_rows,
        )

    def warnings(self) -> list[str]:
        with self._lock:
            return list(self._warnings) + self._repairs.drain()

    def close(self) -> None:
        self._spool.close()
        self._held.close()
        self.client.close()

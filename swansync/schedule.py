"""``swansync schedule``: run the ``[[jobs]]`` of the config on their triggers, one pull at a time.

* Each job has an interval (``every = "15m"``, first run at start-up) or a cron expression
  (``cron = "*/10 * * * *"``, in the machine's local time zone), with a little jitter so many
  daemons do not hit the API in the same second.
* All jobs share one worker thread: pulls into the warehouse never overlap (DuckDB allows one
  writer). A job that comes due while another pull runs waits for it; a job that came due several
  times while waiting runs once (coalesced).
* Every pull ends in one JSON log line (``swansync.schedule`` logger, event ``pull``). A failing
  pull is recorded in ``sync_log`` by the pull itself; the daemon logs it and carries on.
* SIGTERM/SIGINT set the stop event: the pull in progress finishes its current transaction and
  returns (status ``interrupted``), then the scheduler shuts down. Nothing is half-written.
* ``once=True`` runs every job once, in order, and exits: 0 when all pulls were ``ok``, else 1.

With a ``[maintenance]`` table (a lake only), the same worker also runs ``lake maintain``
every ``every`` (first at start-up, after the jobs due then; with ``once``, after the jobs);
one maintainer at a time across all workers (an advisory lock: a second one skips).

The serving copy is published by the pull itself (``settings.serving``) after each successful
pull, so readers always see the newest complete state.
"""

from __future__ import annotations

import json
import logging
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from traceback import format_exc
from types import FrameType
from typing import Any, Protocol

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from swansync.config import JobConfig, Settings, describe_targets, merged_targets
from swansync.errors import ConfigError, SwansyncError

log = logging.getLogger(__name__)

MAX_JITTER_SECONDS = 30.0
# How long a job may be late (the worker busy with another pull, the machine asleep) and still
# run; later runs are dropped in favour of the next one.
MISFIRE_GRACE_SECONDS = 3600


class PullResult(Protocol):
    """What a pull returns (``swansync.sync.PullSummary``)."""

    @property
    def id(self) -> int | None: ...

    @property
    def status(self) -> str: ...

    def to_dict(self) -> dict[str, Any]: ...


class PullFn(Protocol):
    def __call__(
        self, settings: Settings, /, *, stop: threading.Event | None = None
    ) -> PullResult: ...


TriggerFactory = Callable[[JobConfig], Any]


@dataclass
class JobOutcome:
    """The result of one scheduled pull, as logged."""

    job: str
    status: str  # ok | partial | failed | interrupted | error
    started_at: datetime
    duration_s: float
    sync_id: int | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def log_record(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "event": "pull",
            "job": self.job,
            "status": self.status,
            "sync_id": self.sync_id,
            "started_at": self.started_at.isoformat(),
            "duration_s": round(self.duration_s, 3),
        }
        for key in ("rows", "requests", "bytes"):
            if key in self.summary:
                record[key] = self.summary[key]
        failures = self.summary.get("failures")
        if isinstance(failures, list):
            record["failures"] = len(failures)
        if self.error is not None:
            record["error"] = self.error
        return record


def _default_jitter(job: JobConfig) -> float:
    if job.every is not None:
        return min(MAX_JITTER_SECONDS, job.every * 0.05)
    return MAX_JITTER_SECONDS / 3


def build_trigger(
    job: JobConfig, *, jitter: float | None = None, timezone: tzinfo | None = None
) -> Any:
    """The APScheduler trigger for a job: interval for ``every``, crontab for ``cron``.

    ``jitter`` (seconds) defaults to 5 % of the interval (at most 30 s), 10 s for cron jobs.
    """
    j = _default_jitter(job) if jitter is None else jitter
    jit = int(j) if j >= 1 else None  # APScheduler's jitter is whole seconds
    if job.every is not None:
        return IntervalTrigger(seconds=job.every, jitter=jit, timezone=timezone or UTC)
    if job.cron is None:  # JobConfig guarantees one of them; keep mypy and readers sure
        raise ConfigError(f"job {job.name!r} has neither every nor cron")
    try:
        return _cron_trigger(job.cron, timezone, jit)
    except ValueError as e:
        raise ConfigError(
            f"job {job.name!r}: invalid cron expression {job.cron!r} ({e}); "
            'use five fields, like "*/10 * * * *"'
        ) from e


_DOW_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_DOW_TOKEN = re.compile(r"^(\*|\d+(?:-\d+)?)(?:/(\d+))?$")


def crontab_day_of_week(field: str) -> str:
    """Translate a crontab day-of-week field (0 or 7 = Sunday) into APScheduler 3.x day names.

    APScheduler 3.x reads numbers as 0 = Monday, so ``1-5`` would silently mean Tuesday to
    Saturday; names are unambiguous. Fields that already use names pass through unchanged.
    """
    if any(c.isalpha() for c in field):
        return field
    days: set[int] = set()
    for part in field.split(","):
        m = _DOW_TOKEN.match(part.strip())
        if not m:
            raise ValueError(f"bad day-of-week {part!r}")
        span, step = m.group(1), int(m.group(2) or 1)
        if span == "*":
            lo, hi = 0, 6
        elif "-" in span:
            lo, hi = (int(x) for x in span.split("-"))
        else:
            lo = hi = int(span)
            if m.group(2):  # "1/2" means 1-7/2 in cron
                hi = 7
        if not (0 <= lo <= 7 and 0 <= hi <= 7 and lo <= hi and step >= 1):
            raise ValueError(f"bad day-of-week {part!r}")
        days.update(d % 7 for d in range(lo, hi + 1, step))
    if len(days) == 7:
        return "*"
    return ",".join(_DOW_NAMES[d] for d in sorted(days))


def _cron_trigger(expr: str, timezone: tzinfo | None, jitter: int | None) -> Any:
    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(f"expected 5 fields, got {len(fields)}")
    minute, hour, day, month, dow = fields
    return CronTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=crontab_day_of_week(dow),
        timezone=timezone,
        jitter=jitter,
    )


def _redact(text: str, settings: Settings) -> str:
    for secret in settings.secrets():
        text = text.replace(secret, "***")
    return text


def _resolve_pull_fn(pull_fn: PullFn | None) -> PullFn:
    if pull_fn is not None:
        return pull_fn
    from swansync.sync import pull  # imported late: sync is heavy and schedule is optional

    return pull  # type: ignore[return-value,unused-ignore]


def run_job(
    settings: Settings,
    job: JobConfig,
    *,
    pull_fn: PullFn | None = None,
    stop: threading.Event | None = None,
) -> JobOutcome:
    """Run one pull for ``job`` and log its outcome; never raises for a failed pull."""
    fn = _resolve_pull_fn(pull_fn)
    started = datetime.now(UTC)
    t0 = time.monotonic()
    job_settings = merged_targets(settings, job)
    log.debug("job %s: pulling %s", job.name, ", ".join(describe_targets(job_settings.sources)))
    sync_id: int | None = None
    summary: dict[str, Any] = {}
    error: str | None = None
    try:
        result = fn(job_settings, stop=stop)
    except Exception as e:  # the daemon outlives any one pull; the pull logged its own details
        if isinstance(e, SwansyncError):
            status = "failed"
        else:
            status = "error"
            log.debug("job %s: unexpected error\n%s", job.name, _redact(format_exc(), settings))
        error = _redact(f"{type(e).__name__}: {e}", settings)
    else:
        status, sync_id, summary = str(result.status), result.id, result.to_dict()
    outcome = JobOutcome(
        job.name,
        status,
        started,
        time.monotonic() - t0,
        sync_id=sync_id,
        summary=summary,
        error=error,
    )
    level = logging.INFO if outcome.ok or outcome.status == "interrupted" else logging.WARNING
    log.log(level, json.dumps(outcome.log_record(), default=str, sort_keys=True))
    return outcome


@contextmanager
def _signals_set(stop: threading.Event, install: bool) -> Iterator[None]:
    """SIGTERM/SIGINT set ``stop`` while the block runs (main thread only)."""
    if not install or threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        if not stop.is_set():
            log.info(
                "received %s: stopping after the current transaction", signal.Signals(signum).name
            )
        stop.set()

    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def _check_jobs(settings: Settings) -> None:
    if not settings.jobs:
        where = f" in {settings.config_file}" if settings.config_file else ""
        raise ConfigError(
            f"no [[jobs]] configured{where}: add a [[jobs]] table with projects and "
            'every = "15m" or cron = "*/10 * * * *" (see config.example.toml)'
        )
    names = [j.name for j in settings.jobs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError(f"job names must be unique; repeated: {', '.join(dupes)}")
    for job in settings.jobs:  # a bad schedule is refused by --once as by the daemon
        build_trigger(job, jitter=0)
    if settings.maintenance is not None and settings.lake is None:
        raise ConfigError(
            '[maintenance] needs a lake (db = "ducklake:postgres:..."); '
            "a file warehouse has nothing to maintain"
        )


def run_maintenance(settings: Settings) -> bool:
    """One lake maintenance pass for ``settings.maintenance``; logs one JSON line (event
    ``maintain``) and returns whether it went well. Never raises: the daemon carries on."""
    from datetime import timedelta

    from swansync.warehouse import open_warehouse
    from swansync.warehouse.lake import LakeWarehouse
    from swansync.warehouse.lake.maintain import maintain

    m = settings.maintenance
    assert m is not None
    record: dict[str, Any] = {"event": "maintain"}
    t0 = time.monotonic()
    try:
        with open_warehouse(settings.warehouse, env=settings.env) as wh:
            assert isinstance(wh, LakeWarehouse)
            wh.require_current()
            done = maintain(
                wh, keep=timedelta(seconds=m.keep), orphan_age=timedelta(seconds=m.orphan_age)
            )
    except Exception as e:  # logged; the next pass tries again
        record.update(status="failed", error=_redact(f"{type(e).__name__}: {e}", settings))
    else:
        record.update(status="ok" if done.ran else "skipped", **vars(done))
    record["seconds"] = round(time.monotonic() - t0, 3)
    ok: bool = record["status"] != "failed"
    log.log(logging.INFO if ok else logging.WARNING, json.dumps(record, sort_keys=True))
    return ok


def _run_once(settings: Settings, pull_fn: PullFn | None, stop: threading.Event) -> int:
    all_ok = True
    for job in settings.jobs:
        if stop.is_set():
            log.info("stopped before job %s", job.name)
            return 1
        outcome = run_job(settings, job, pull_fn=pull_fn, stop=stop)
        all_ok = all_ok and outcome.ok
    if settings.maintenance is not None and not stop.is_set():
        all_ok = run_maintenance(settings) and all_ok
    return 0 if all_ok else 1


def run_schedule(
    settings: Settings,
    *,
    once: bool = False,
    stop: threading.Event | None = None,
    pull_fn: PullFn | None = None,
    trigger_factory: TriggerFactory | None = None,
    install_signals: bool = True,
    timezone: tzinfo | None = None,
    on_outcome: Callable[[JobOutcome], None] | None = None,
) -> int:
    """Run ``settings.jobs`` until ``stop`` is set (or SIGTERM/SIGINT), or once with ``once``.

    ``pull_fn`` defaults to :func:`swansync.sync.pull`. ``trigger_factory(job)`` replaces
    :func:`build_trigger` (tests use sub-second intervals). ``timezone`` is the one cron
    expressions are read in (default: local). ``on_outcome`` is called after each pull.
    Returns the exit code: with ``once``, 0 when every pull was ``ok`` and 1 otherwise; as a
    daemon, 0 after a clean stop.
    """
    _check_jobs(settings)
    stop = stop or threading.Event()
    fn = _resolve_pull_fn(pull_fn)
    with _signals_set(stop, install_signals):
        if once:
            return _run_once(settings, fn, stop)
        return _run_daemon(settings, fn, stop, trigger_factory, timezone, on_outcome)


def _run_daemon(
    settings: Settings,
    fn: PullFn,
    stop: threading.Event,
    trigger_factory: TriggerFactory | None,
    timezone: tzinfo | None,
    on_outcome: Callable[[JobOutcome], None] | None,
) -> int:
    make_trigger: TriggerFactory = trigger_factory or (
        lambda job: build_trigger(job, timezone=timezone)
    )
    triggers = [(job, make_trigger(job)) for job in settings.jobs]
    scheduler = BackgroundScheduler(
        # One worker: pulls into one warehouse never overlap, whichever jobs come due.
        executors={"default": ThreadPoolExecutor(max_workers=1)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": MISFIRE_GRACE_SECONDS,
        },
        timezone=timezone or UTC,
    )

    def fire(job: JobConfig) -> None:
        if stop.is_set():
            return
        outcome = run_job(settings, job, pull_fn=fn, stop=stop)
        if on_outcome is not None:
            on_outcome(outcome)

    now = datetime.now(UTC)
    for job, trigger in triggers:
        # Interval jobs pull at start-up (in config order), then every N; cron jobs wait.
        start = {"next_run_time": now} if job.every is not None else {}
        scheduler.add_job(fire, trigger, args=[job], id=job.name, name=job.name, **start)
    m = settings.maintenance
    if m is not None:  # on the same worker: after the jobs due at start-up, never beside a pull

        def maintain_now() -> None:
            if not stop.is_set():
                run_maintenance(settings)

        every = IntervalTrigger(
            seconds=m.every, jitter=min(MAX_JITTER_SECONDS, m.every * 0.05), timezone=UTC
        )
        scheduler.add_job(maintain_now, every, id="[maintenance]", next_run_time=now)
    scheduler.start()
    started = {
        "event": "schedule_started",
        "jobs": [{"name": j.name, "every": j.every, "cron": j.cron} for j, _ in triggers],
    }
    log.info(json.dumps(started, default=str))
    try:
        while not stop.wait(1.0):  # the timeout keeps signal delivery prompt on every platform
            pass
    finally:
        log.info(json.dumps({"event": "schedule_stopping"}))
        scheduler.shutdown(wait=True)  # the running pull sees `stop` and ends after its txn
        log.info(json.dumps({"event": "schedule_stopped"}))
    return 0


__all__ = [
    "JobOutcome",
    "PullFn",
    "PullResult",
    "build_trigger",
    "run_job",
    "run_maintenance",
    "run_schedule",
]

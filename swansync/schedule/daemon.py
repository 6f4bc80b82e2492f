"""The scheduler: check the jobs, then run them once in order, or as a daemon until stopped."""

from __future__ import annotations

import json
import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, tzinfo
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from swansync.config import JobConfig, Settings
from swansync.errors import ConfigError
from swansync.schedule.jobs import JobOutcome, PullFn, TriggerFactory, resolve_pull_fn, run_job
from swansync.schedule.maintenance import run_maintenance
from swansync.schedule.triggers import MAX_JITTER_SECONDS, build_trigger
from swansync.schedule.worker import OneWorkerExecutor

log = logging.getLogger("swansync.schedule")  # one logger name for the whole package

# How long a job may be late (the worker busy with another pull, the machine asleep) and still
# run; later runs are dropped in favour of the next one.
MISFIRE_GRACE_SECONDS = 3600
# How long a stopped daemon waits for the pull in progress to end after its current
# transaction (a fetch in flight can take a request timeout) before it leaves the pull behind.
STOP_GRACE_SECONDS = 60.0


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
    stop_grace: float = STOP_GRACE_SECONDS,
) -> int:
    """Run ``settings.jobs`` until ``stop`` is set (or SIGTERM/SIGINT), or once with ``once``.

    ``pull_fn`` defaults to :func:`swansync.sync.pull`. ``trigger_factory(job)`` replaces
    :func:`build_trigger` (tests use sub-second intervals). ``timezone`` is the one cron
    expressions are read in (default: local). ``on_outcome`` is called after each pull.
    Once stopped, the daemon waits up to ``stop_grace`` seconds for the pull in progress (it
    ends after its current transaction), then leaves it behind, as a second signal does:
    what committed stays, and its ``running`` sync_log row is marked by the next pull.
    Returns the exit code: with ``once``, 0 when every pull was ``ok`` and 1 otherwise; as a
    daemon, 0 after a clean stop and 1 when a pull was left behind.
    """
    _check_jobs(settings)
    stop = stop or threading.Event()
    fn = resolve_pull_fn(pull_fn)
    with _signals_set(stop, install_signals):
        if once:
            return _run_once(settings, fn, stop)
        return _run_daemon(settings, fn, stop, trigger_factory, timezone, on_outcome, stop_grace)


def _run_daemon(
    settings: Settings,
    fn: PullFn,
    stop: threading.Event,
    trigger_factory: TriggerFactory | None,
    timezone: tzinfo | None,
    on_outcome: Callable[[JobOutcome], None] | None,
    stop_grace: float,
) -> int:
    make_trigger: TriggerFactory = trigger_factory or (
        lambda job: build_trigger(job, timezone=timezone)
    )
    triggers = [(job, make_trigger(job)) for job in settings.jobs]
    executor = OneWorkerExecutor()
    running: list[str] = []  # the job or pass in progress on the worker (at most one)
    scheduler = BackgroundScheduler(
        # One worker: pulls into one warehouse never overlap, whichever jobs come due.
        executors={"default": executor},
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
        running.append(job.name)
        try:
            outcome = run_job(settings, job, pull_fn=fn, stop=stop)
        finally:
            running.clear()
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
                running.append("[maintenance]")
                try:
                    run_maintenance(settings)
                finally:
                    running.clear()

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
    code = 0
    try:
        while not stop.wait(1.0):  # the timeout keeps signal delivery prompt on every platform
            pass
    finally:
        log.info(json.dumps({"event": "schedule_stopping"}))
        scheduler.shutdown(wait=False)
        # The running pull sees `stop` and ends after its current transaction; one that does
        # not within the grace is left on its daemon thread (the process can still exit).
        if not executor.worker.join(stop_grace):
            left = {"event": "schedule_abandoned", "stop_grace_s": stop_grace}
            left["job"] = next(iter(running), None)
            log.warning(json.dumps(left))
            code = 1
        log.info(json.dumps({"event": "schedule_stopped"}))
    return code

"""run_schedule / build_trigger: triggers, no overlap, coalescing, failures, stop, logging."""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest

from swansync.config import JobConfig, Secret
from swansync.errors import ConfigError, SwansyncError
from swansync.schedule import (
    build_trigger,
    crontab_day_of_week,
    run_job,
    run_schedule,
)
from swansync.sources.swanlab.plugin import SwanLabCloud

from .helpers import Daemon, FakePull, fast, job, settings, wait_for

SOURCES = (SwanLabCloud(projects=("w/p",)),)

NOW = datetime(2026, 3, 1, 12, 3, 30, tzinfo=UTC)


# -- triggers (fake clock: fire times computed from a fixed "now") ---------------------------


def test_interval_trigger_fires_every_n_seconds_with_bounded_jitter():
    before = datetime.now(UTC)
    trig = build_trigger(JobConfig(name="a", sources=SOURCES, every=900))
    # The first fire is one interval after the trigger was made (start-up pulls are separate).
    first = trig.get_next_fire_time(None, before)
    assert before + timedelta(seconds=900) <= first <= datetime.now(UTC) + timedelta(seconds=930)
    # Without jitter the next fire is exactly one interval after the previous one.
    exact = build_trigger(JobConfig(name="a", sources=SOURCES, every=900), jitter=0)
    prev = exact.get_next_fire_time(None, NOW)
    assert exact.get_next_fire_time(prev, prev) - prev == timedelta(seconds=900)
    # Jitter is spread, never more than the cap (5 % of 900 s = 45 s, capped at 30 s).
    fires = {trig.get_next_fire_time(prev, prev) for _ in range(40)}
    assert len(fires) > 1
    assert all(
        timedelta(0) <= f - prev - timedelta(seconds=900) <= timedelta(seconds=30) for f in fires
    )


def test_cron_trigger_follows_the_expression():
    trig = build_trigger(
        JobConfig(name="c", sources=SOURCES, cron="*/10 * * * *"), jitter=0, timezone=UTC
    )
    t1 = trig.get_next_fire_time(None, NOW)
    assert t1 == datetime(2026, 3, 1, 12, 10, tzinfo=UTC)
    t2 = trig.get_next_fire_time(t1, t1 + timedelta(seconds=1))
    assert t2 == datetime(2026, 3, 1, 12, 20, tzinfo=UTC)
    nightly = build_trigger(
        JobConfig(name="n", sources=SOURCES, cron="30 2 * * 1-5"), jitter=0, timezone=UTC
    )
    # 2026-03-01 is a Sunday: the next weekday 02:30 is Monday 2 March.
    assert nightly.get_next_fire_time(None, NOW) == datetime(2026, 3, 2, 2, 30, tzinfo=UTC)


def test_bad_cron_is_a_config_error():
    with pytest.raises(ConfigError, match="cron"):
        build_trigger(JobConfig(name="c", sources=SOURCES, cron="every tuesday"))


def test_once_refuses_a_bad_schedule_as_the_daemon_does(tmp_path):
    """`schedule --once` ignores the triggers, but a file the daemon would refuse is refused
    before any pull runs, whichever mode reads it."""
    s = settings(tmp_path, job("good"), JobConfig(name="bad", sources=SOURCES, cron="* * *"))
    for once in (True, False):
        pull = FakePull()
        with pytest.raises(ConfigError, match=r"'bad'.*cron"):
            run_schedule(s, once=once, pull_fn=pull, install_signals=False)
        assert pull.calls == []


def test_no_jobs_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match=r"\[\[jobs\]\]"):
        run_schedule(settings(tmp_path), once=True, pull_fn=FakePull())


# -- once --------------------------------------------------------------------------------


def test_once_runs_every_job_once_in_order(tmp_path):
    pull = FakePull()
    team = (SwanLabCloud(workspaces=("team",)),)
    s = settings(tmp_path, job("a"), job("b", sources=team), job("c"))
    assert run_schedule(s, once=True, pull_fn=pull, install_signals=False) == 0
    # Each pull got its own job's targets, not the top-level ones.
    assert pull.calls == [("ws/a",), ("workspace:team",), ("ws/c",)]


def test_once_exit_code_is_1_when_a_pull_fails_and_later_jobs_still_run(tmp_path):
    pull = FakePull(fail_every=2)
    s = settings(tmp_path, job("a"), job("b"), job("c"))
    assert run_schedule(s, once=True, pull_fn=pull, install_signals=False) == 1
    assert len(pull.calls) == 3


@pytest.mark.parametrize("status", ["partial", "failed", "interrupted"])
def test_once_exit_code_is_1_unless_ok(tmp_path, status):
    s = settings(tmp_path, job("a"))
    assert run_schedule(s, once=True, pull_fn=FakePull(status=status), install_signals=False) == 1


def test_once_passes_the_stop_event_and_honours_it(tmp_path):
    stop = threading.Event()
    pull = FakePull()

    def stopping(s, *, stop=None):
        result = pull(s, stop=stop)
        assert stop is not None
        stop.set()  # as SIGTERM would during the first pull
        return result

    s = settings(tmp_path, job("a"), job("b"))
    assert run_schedule(s, once=True, stop=stop, pull_fn=stopping, install_signals=False) == 1
    assert pull.calls == [("ws/a",)]
    assert pull.stops == [stop]


# -- daemon ------------------------------------------------------------------------------


def test_jobs_fire_repeatedly_and_never_overlap(tmp_path):
    pull = FakePull(delay=0.05)
    s = settings(tmp_path, job("a"), job("b"))
    with Daemon(s, pull, fast(0.1)) as d:
        wait_for(lambda: pull.count("ws/a") >= 4 and pull.count("ws/b") >= 4, what="4 pulls each")
    assert d.code == 0
    assert pull.max_active == 1
    assert all(o.ok for o in d.outcomes)


class _Count(logging.Handler):
    def __init__(self, needle: str) -> None:
        super().__init__()
        self.needle, self.n = needle, 0

    def emit(self, record: logging.LogRecord) -> None:
        if self.needle in record.getMessage():
            self.n += 1


def test_a_slow_pull_coalesces_missed_runs(tmp_path):
    release = threading.Event()
    pull = FakePull(release=release)
    s = settings(tmp_path, job("a"))
    skipped = _Count("maximum number of running instances")
    aps = logging.getLogger("apscheduler")
    aps.addHandler(skipped)
    try:
        with Daemon(s, pull, fast(0.02)) as d:
            wait_for(pull.started.is_set, what="first pull")
            # The trigger comes due again and again while the first pull is blocked...
            wait_for(lambda: skipped.n >= 10, what="ten fire times during one pull")
            blocked_calls = len(pull.calls)
            release.set()
            wait_for(lambda: d.n() >= 3, what="three pulls")
    finally:
        aps.removeHandler(skipped)
    # ...and none of them queued up a pull of its own: one pull at a time, missed runs dropped.
    assert blocked_calls == 1
    assert pull.max_active == 1
    assert len(pull.calls) <= 3 + 1


def test_a_failing_pull_does_not_kill_the_daemon(tmp_path, caplog):
    pull = FakePull(fail_every=2)
    s = settings(tmp_path, job("a"))
    with (
        caplog.at_level(logging.INFO, logger="swansync.schedule"),
        Daemon(s, pull, fast(0.05)) as d,
    ):
        wait_for(lambda: d.n() >= 5, what="five pulls")
    statuses = [o.status for o in d.outcomes[:5]]
    assert statuses == ["ok", "failed", "ok", "failed", "ok"]
    records = [json.loads(r.getMessage()) for r in caplog.records if r.getMessage().startswith("{")]
    pulls = [r for r in records if r.get("event") == "pull"]
    assert len(pulls) >= 5
    failed = [r for r in pulls if r["status"] == "failed"]
    assert failed
    assert "upstream broke" in failed[0]["error"]
    assert {"job", "status", "sync_id", "duration_s", "started_at"} <= set(pulls[0])
    assert [r["event"] for r in records][-2:] == ["schedule_stopping", "schedule_stopped"]


def test_unexpected_exception_is_logged_without_the_api_key(tmp_path, caplog):
    key = "sk-verysecretkey-1234567890"

    def leaky(s, *, stop=None):
        raise RuntimeError(f"connection to https://host?key={s.secrets()[0]} failed")

    keyed = (SwanLabCloud(projects=("w/p",), api_key=Secret(key)),)
    s = settings(tmp_path, job("a", sources=keyed))
    with caplog.at_level(logging.DEBUG, logger="swansync"):
        outcome = run_job(s, s.jobs[0], pull_fn=leaky)
    assert outcome.status == "error"
    assert key not in caplog.text
    assert key not in (outcome.error or "")
    assert "***" in (outcome.error or "")


def test_swansync_error_is_reported_as_failed(tmp_path):
    def refused(s, *, stop=None):
        raise SwansyncError("API key refused by https://example")

    s = settings(tmp_path, job("a"))
    outcome = run_job(s, s.jobs[0], pull_fn=refused)
    assert (outcome.status, outcome.ok) == ("failed", False)


def test_stop_mid_pull_lets_the_pull_finish_then_shuts_down(tmp_path):
    release = threading.Event()
    pull = FakePull(release=release)
    s = settings(tmp_path, job("a"))
    d = Daemon(s, pull, fast(0.05))
    with d:
        wait_for(pull.started.is_set, what="a pull in progress")
        d.stop.set()
        # The pull in progress got the same stop event (it ends after its current transaction)
        assert pull.stops[0] is d.stop
        assert d.thread.is_alive()  # shutdown waits for the running pull
        release.set()
    assert d.code == 0
    assert len(pull.calls) == 1  # nothing started after the stop
    assert d.outcomes[0].status == "ok"


def test_a_pull_that_ignores_stop_is_left_behind_after_the_grace(tmp_path, caplog):
    """SIGTERM ends the daemon even when the running pull never stops (stuck in a call that
    does not return): after ``stop_grace`` seconds the scheduler stops waiting for it, and the
    pull runs on a daemon thread, so it cannot hold the process at interpreter exit either."""
    release = threading.Event()
    started = threading.Event()
    threads: list[threading.Thread] = []

    def stuck(s, *, stop=None):
        threads.append(threading.current_thread())
        started.set()
        release.wait()  # ignores `stop`; only the test's clean-up lets it go
        raise AssertionError("released by the test's clean-up")

    s = settings(tmp_path, job("a"))
    d = Daemon(s, stuck, fast(0.05), stop_grace=0)
    try:
        with caplog.at_level(logging.WARNING, logger="swansync.schedule"):
            d.thread.start()
            wait_for(started.is_set, what="a pull in progress")
            d.stop.set()
            d.thread.join(30)  # a guard so a regression fails instead of hanging the suite
            assert not d.thread.is_alive(), "the scheduler still waits for the stuck pull"
        assert d.code == 1  # not a clean stop
        assert threads[0].daemon  # nothing for the interpreter to join at exit
        [left] = [json.loads(r.getMessage()) for r in caplog.records if "abandon" in r.getMessage()]
        assert left == {"event": "schedule_abandoned", "stop_grace_s": 0, "job": "a"}
    finally:
        release.set()


def test_interval_jobs_pull_at_start_up(tmp_path):
    pull = FakePull()
    s = settings(tmp_path, job("a", every=3600))
    with Daemon(s, pull, None, timezone=UTC):
        wait_for(lambda: len(pull.calls) == 1, what="start-up pull")


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("*", "*"),
        ("1-5", "mon,tue,wed,thu,fri"),
        ("0", "sun"),
        ("7", "sun"),
        ("0,6", "sun,sat"),
        ("*/2", "sun,tue,thu,sat"),
        ("1-5/2", "mon,wed,fri"),
        ("5-7", "sun,fri,sat"),
        ("mon-fri", "mon-fri"),
    ],
)
def test_crontab_weekdays_mean_what_cron_means(field, expected):
    # APScheduler 3.x reads 0 as Monday; cron reads 0 (and 7) as Sunday.
    assert crontab_day_of_week(field) == expected


@pytest.mark.parametrize("field", ["8", "5-2", "x-y/", "1-"])
def test_bad_weekday_fields_are_rejected(field):
    with pytest.raises(ConfigError):
        build_trigger(JobConfig(name="c", sources=SOURCES, cron=f"0 0 * * {field}"))

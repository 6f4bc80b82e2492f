"""When a job runs: an interval (``every``) or a crontab expression (``cron``), with jitter."""

from __future__ import annotations

import re
from datetime import UTC, tzinfo
from typing import Any

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from swansync.config import JobConfig
from swansync.errors import ConfigError

MAX_JITTER_SECONDS = 30.0


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

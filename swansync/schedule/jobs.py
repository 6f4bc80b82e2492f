"""One scheduled pull: run it, never let it raise, log its outcome as one JSON line."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from traceback import format_exc
from typing import Any, Protocol

from swansync.config import JobConfig, Settings, describe_targets, merged_targets
from swansync.errors import SwansyncError

log = logging.getLogger("swansync.schedule")  # one logger name for the whole package


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


def redact(text: str, settings: Settings) -> str:
    for secret in settings.secrets():
        text = text.replace(secret, "***")
    return text


def resolve_pull_fn(pull_fn: PullFn | None) -> PullFn:
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
    fn = resolve_pull_fn(pull_fn)
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
            log.debug("job %s: unexpected error\n%s", job.name, redact(format_exc(), settings))
        error = redact(f"{type(e).__name__}: {e}", settings)
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

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
  A pull still running ``stop_grace`` (60 s) after the stop is left behind on its daemon
  thread (logged as ``schedule_abandoned``; exit code 1).
* ``once=True`` runs every job once, in order, and exits: 0 when all pulls were ``ok``, else 1.

With a ``[maintenance]`` table (a lake only), the same worker also runs ``lake maintain``
every ``every`` (first at start-up, after the jobs due then; with ``once``, after the jobs);
one maintainer at a time across all workers (an advisory lock: a second one skips).

The serving copy is published by the pull itself (``settings.serving``) after each successful
pull, so readers always see the newest complete state.
"""

from swansync.schedule.daemon import run_schedule
from swansync.schedule.jobs import JobOutcome, PullFn, PullResult, TriggerFactory, run_job
from swansync.schedule.maintenance import run_maintenance
from swansync.schedule.triggers import build_trigger, crontab_day_of_week

__all__ = [
    "JobOutcome",
    "PullFn",
    "PullResult",
    "TriggerFactory",
    "build_trigger",
    "crontab_day_of_week",
    "run_job",
    "run_maintenance",
    "run_schedule",
]

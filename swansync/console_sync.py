"""The rest of a run -- its console and its media -- after a project's metric work.

Which runs: a run whose console and media were read whole while it was in the state it is listed
in now, and that state is terminal, is skipped without a request (``logs_state``). Every other
run (new, running, or changed state since) has its media listed above its bookmarks
(:mod:`swansync.media_sync`), then its console read above ``logs_seq``
(:mod:`swansync.log_sync`); the run's ``logs_state`` commits with its last console batch once
both were read whole. ``--full`` reads both whole again. With ``--media download`` the files of
listed items without a local copy (new ones, and those an earlier pull could not fetch) are
downloaded last (:mod:`swansync.media_download`).
"""

from __future__ import annotations

import threading
from datetime import datetime

from swansync import console_bookmarks
from swansync.log_sync import LogWork, pull_logs
from swansync.media_download import download_media
from swansync.media_store import MediaStore
from swansync.media_sync import pull_media
from swansync.options import PullOptions
from swansync.project_sync import Listing
from swansync.report import ProgressFn, PullSummary
from swansync.sources.base import TERMINAL_STATES, RunRecord, Source
from swansync.warehouse import Warehouse

# A logs_state written by a pull with --media none: the console is whole, the media was not read.
NO_MEDIA = " (no media)"


def needs_reading(
    options: PullOptions, run: RunRecord, state: console_bookmarks.ConsoleState | None
) -> bool:
    """False only for a terminal run whose console and media were read whole in this state."""
    listed = run["state"]
    if options.full or state is None or state.logs_state is None or listed is None:
        return True
    if listed not in TERMINAL_STATES:
        return True
    complete = {listed} if options.media != "none" else {listed, listed + NO_MEDIA}
    return state.logs_state not in complete


def pull_console(
    wh: Warehouse,
    options: PullOptions,
    source: Source,
    listing: Listing,
    summary: PullSummary,
    progress: ProgressFn,
    stop: threading.Event,
    now: datetime,
    store: MediaStore | None,
) -> None:
    project = listing.project
    src, proj = source.name, project["project"]
    states = console_bookmarks.load_states(wh, src, proj)
    runs = [r for r in listing.runs if needs_reading(options, r, states.get(r["run_id"]))]
    if runs and not stop.is_set():
        media_done = pull_media(wh, options, source, project, runs, summary, stop, now)
        works = [
            LogWork(
                run,
                None if options.full else getattr(states.get(run["run_id"]), "logs_seq", None),
                options.full,
                _done_state(options, run, run["run_id"] in media_done),
                getattr(states.get(run["run_id"]), "logs_state", None),
            )
            for run in runs
        ]
        pull_logs(wh, options, source, project, works, summary, progress, stop)
    if options.media == "download" and store is not None and not stop.is_set():
        download_media(wh, options, source, listing, summary, stop, now, store)


def _done_state(options: PullOptions, run: RunRecord, media_done: bool) -> str | None:
    """The ``logs_state`` a run gets once its console is read whole (None: not complete)."""
    if media_done:
        return run["state"]
    if options.media == "none":  # its media was left out on purpose: say so
        return None if run["state"] is None else run["state"] + NO_MEDIA
    return None

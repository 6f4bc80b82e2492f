"""Bounded concurrent fetching for the sync: many workers, results handed to one writer."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TypeVar

SIGNAL_POLL_S = 0.25  # longest a blocked wait delays a signal handler of the main thread

T = TypeVar("T")
R = TypeVar("R")


def concurrently(
    workers: int,
    items: Sequence[T],
    fn: Callable[[T], R],
    stop: threading.Event,
    *,
    window: int | None = None,
) -> Iterator[tuple[T, R | Exception]]:
    """Run ``fn`` over ``items`` on ``workers`` threads, yielding (item, result-or-exception) as
    they finish, with at most ``window`` (default ``2 * workers``) submitted and not yet yielded
    (bounded memory). A consumer that is busy between two results (a writer committing a batch)
    keeps the workers busy for as long as the window lasts. When ``stop`` is set, nothing more
    is submitted and queued items that have not started are cancelled (never yielded); the ones
    already running complete and are yielded."""
    if not items:
        return
    limit = max(1, window if window is not None else 2 * workers)
    pending: dict[Future[R], T] = {}
    it = iter(items)
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="swansync")
    try:
        exhausted = False
        while True:
            while not exhausted and not stop.is_set() and len(pending) < limit:
                try:
                    item = next(it)
                except StopIteration:
                    exhausted = True
                    break
                pending[pool.submit(fn, item)] = item
            if stop.is_set():
                for fut in [f for f in pending if f.cancel()]:
                    del pending[fut]
            if not pending:
                break
            # With a timeout: a signal the kernel hands to a worker thread does not wake a
            # main thread blocked for good, and its handler (Ctrl-C) would wait for a result.
            done, _ = wait(pending, timeout=SIGNAL_POLL_S, return_when=FIRST_COMPLETED)
            for fut in done:
                item = pending.pop(fut)
                try:
                    yield item, fut.result()
                except Exception as e:
                    yield item, e
    except BaseException:
        # Interrupted (a second Ctrl-C) or abandoned by the consumer: queued items are
        # cancelled and the ones running are not waited for (a request can take its timeout);
        # their results are dropped.
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)

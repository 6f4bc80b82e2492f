"""Bounded producer/consumer for per-item streams: worker threads turn items into batches (one
run's console, read page by page, however long), one consumer (the writer) takes them. A run's
batches arrive in order, each followed by one closing event, and at most ``depth`` batches wait
between the workers and the writer, so memory stays bounded whatever a stream's length.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from swansync.concurrency import SIGNAL_POLL_S

T = TypeVar("T")
B = TypeVar("B")

Kind = Literal["batch", "done", "error", "stopped"]


@dataclass(frozen=True)
class Event(Generic[T, B]):
    """``batch``: one more batch of ``item``; ``done``: its stream ended; ``error``: it failed
    (after the batches already delivered); ``stopped``: the pull is stopping, it did not end."""

    kind: Kind
    item: T
    batch: B | None = None
    error: Exception | None = None


class _Abandoned(Exception):
    """The consumer went away: producers stop at their next batch."""


def stream_concurrently(
    workers: int,
    items: Sequence[T],
    produce: Callable[[T], Iterator[B]],
    stop: threading.Event,
    depth: int | None = None,
) -> Iterator[Event[T, B]]:
    """Run ``produce`` over ``items`` on ``workers`` threads and yield their events. Stops
    starting new items once ``stop`` is set; items in progress end at their next batch with a
    ``stopped`` event. Leaving the loop early abandons the producers (without waiting for
    them). A BaseException raised by ``produce`` (not an Exception: an interrupt) is raised
    again here."""
    if not items:
        return
    events: queue.Queue[Event[T, B]] = queue.Queue(maxsize=max(1, depth or workers))
    abandoned = threading.Event()
    crashes: list[BaseException] = []

    def put(event: Event[T, B]) -> None:
        while True:  # a blocking put that notices an abandoning consumer
            if abandoned.is_set():
                raise _Abandoned
            try:
                events.put(event, timeout=0.1)
                return
            except queue.Full:
                continue

    def run(item: T) -> None:
        try:
            if stop.is_set():
                put(Event("stopped", item))
                return
            stream = produce(item)
            try:
                for batch in stream:
                    put(Event("batch", item, batch))
                    if stop.is_set():
                        put(Event("stopped", item))
                        return
            finally:
                close = getattr(stream, "close", None)
                if callable(close):
                    close()
            put(Event("done", item))
        except _Abandoned:
            return
        except Exception as e:
            try:
                put(Event("error", item, error=e))
            except _Abandoned:
                return
        except BaseException as e:  # an interrupt raised in a worker: the consumer re-raises it
            crashes.append(e)
            try:
                put(Event("stopped", item))
            except _Abandoned:
                return

    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="swansync-stream")
    try:
        for item in items:
            pool.submit(run, item)
        open_items = len(items)
        while open_items:
            try:  # with a timeout: see SIGNAL_POLL_S
                event = events.get(timeout=SIGNAL_POLL_S)
            except queue.Empty:
                continue
            if event.kind != "batch":
                open_items -= 1
            if crashes:
                raise crashes[0]
            yield event
    except BaseException:
        # Interrupted (a second Ctrl-C) or left early: producers stop at their next batch, but
        # one blocked in a request is not waited for (it can take the request's timeout).
        abandoned.set()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    abandoned.set()
    pool.shutdown(wait=True, cancel_futures=True)

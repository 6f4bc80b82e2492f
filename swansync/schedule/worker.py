"""The scheduler's one worker: a daemon thread, so a pull that does not stop cannot keep the
process alive after the daemon has given up waiting for it.

APScheduler's own thread pool uses :class:`concurrent.futures.ThreadPoolExecutor`, whose threads
the interpreter joins at exit: a stuck pull there keeps ``swansync schedule`` running after
SIGTERM however the daemon's loop ends. Here the scheduler waits for the running pull a bounded
time (:func:`swansync.schedule.daemon.run_schedule`'s ``stop_grace``), then leaves it, as a
second signal does for ``swansync pull``: what committed stays.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from apscheduler.executors.pool import BasePoolExecutor

_Call = tuple[Future[Any], Callable[..., Any], tuple[Any, ...], dict[str, Any]]


class DaemonWorker:
    """Runs submitted calls one at a time, in order, on one daemon thread (the pool interface
    APScheduler's :class:`BasePoolExecutor` needs: ``submit`` and ``shutdown``)."""

    def __init__(self, name: str = "swansync-schedule") -> None:
        self._calls: queue.SimpleQueue[_Call | None] = queue.SimpleQueue()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        if self._closed:
            raise RuntimeError("cannot schedule new calls after shutdown")
        self._calls.put((future, fn, args, kwargs))
        return future

    def _loop(self) -> None:
        while (call := self._calls.get()) is not None:
            future, fn, args, kwargs = call
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as e:  # handed to APScheduler, which logs it
                future.set_exception(e)

    def shutdown(self, wait: bool = True) -> None:
        """Drop the calls not started yet (their futures never resolve) and let the thread
        end after the running one; with ``wait``, wait for that without a bound."""
        self._closed = True
        while True:
            try:
                self._calls.get_nowait()
            except queue.Empty:
                break
        self._calls.put(None)
        if wait:
            self._thread.join()

    def join(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the running call to end (after :meth:`shutdown`);
        whether it did."""
        self._thread.join(max(0.0, timeout))
        return not self._thread.is_alive()


class OneWorkerExecutor(BasePoolExecutor):  # type: ignore[misc]
    """An APScheduler executor running every job on one :class:`DaemonWorker`."""

    def __init__(self) -> None:
        self.worker = DaemonWorker()
        super().__init__(self.worker)

"""Where a full pull spends its time: ``python -m bench.profile_pull URL PROJECT DB OUT.json``.

Runs ``swansync.sync.pull`` in this process (a child of the bench, so the simulator keeps its
own GIL) with two instruments, neither of which edits swansync's code:

- wall-clock timers wrapped around the pull's stages (download, CSV -> frame, metric keys,
  the writer's per-run transaction and its DuckDB append, the metadata phase, views), summed
  per thread kind; worker stages overlap each other, the writer runs on the main thread;
- cProfile in every thread (``threading.setprofile`` starts one profiler per new thread),
  merged, top functions by own time.
The key comes from ``SWANLAB_API_KEY``.
"""

from __future__ import annotations

import cProfile
import functools
import io
import json
import os
import pstats
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

_totals: dict[str, float] = defaultdict(float)
_calls: dict[str, int] = defaultdict(int)
_active: dict[str, int] = defaultdict(int)  # stages running right now (all threads)
_lock = threading.Lock()


def _timed(name: str, fn: Any) -> Any:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _lock:
            _active[name] += 1
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            dt = time.perf_counter() - t0
            with _lock:
                _totals[name] += dt
                _calls[name] += 1
                _active[name] -= 1

    return wrapper


class _MemorySampler(threading.Thread):
    """RSS of this process every few ms; remembers the peak and which stages were running."""

    def __init__(self, period_s: float = 0.005) -> None:
        super().__init__(daemon=True, name="rss-sampler")
        import psutil

        self._proc = psutil.Process()
        self._period = period_s
        self._done = threading.Event()
        self.peak_mb = 0.0
        self.peak_stages: list[str] = []

    def run(self) -> None:
        while not self._done.wait(self._period):
            rss = self._proc.memory_info().rss / (1024 * 1024)
            if rss > self.peak_mb:
                with _lock:
                    stages = sorted(k for k, n in _active.items() if n > 0)
                self.peak_mb, self.peak_stages = rss, stages

    def stop(self) -> None:
        self._done.set()
        self.join()


def _instrument() -> None:
    from swansync import bookmarks, metric_sync, sync, transform
    from swansync.sources.swanlab.cloud.client import SwanLabClient
    from swansync.sources.swanlab.cloud.source import SwanLabSource
    from swansync.warehouse import Warehouse

    SwanLabClient.download = _timed("worker: download CSV", SwanLabClient.download)  # type: ignore[method-assign]
    SwanLabClient.call = _timed("worker+main: API calls (JSON)", SwanLabClient.call)  # type: ignore[method-assign]
    SwanLabSource.metric_keys = _timed("worker: metric keys", SwanLabSource.metric_keys)  # type: ignore[method-assign]
    transform.series_rows = _timed("worker: CSV -> frame", transform.series_rows)
    metric_sync.fetch = _timed("worker: whole fetch of a run", metric_sync.fetch)
    metric_sync.write_batch = _timed("main: write a batch of runs (txn)", metric_sync.write_batch)
    Warehouse.append = _timed("main: Warehouse.append", Warehouse.append)  # type: ignore[method-assign]
    Warehouse.upsert = _timed("main: Warehouse.upsert", Warehouse.upsert)  # type: ignore[method-assign]
    bookmarks.forget_series = _timed("main: drop replaced points", bookmarks.forget_series)
    sync._publish = _timed("main: apply views (after pull)", sync._publish)


def main(argv: list[str]) -> int:
    url, project, db, out = argv[1], argv[2], Path(argv[3]), Path(argv[4])
    workers = int(argv[5]) if len(argv) > 5 else 4
    t_import = time.perf_counter()
    from swansync.config import Secret, Settings
    from swansync.sources.swanlab.plugin import SwanLabCloud
    from swansync.sync import pull

    import_s = time.perf_counter() - t_import
    _instrument()
    profiles: list[cProfile.Profile] = []

    def start_thread_profile(frame: Any, event: str, arg: Any) -> None:
        sys.setprofile(None)
        prof = cProfile.Profile()
        with _lock:
            profiles.append(prof)
        prof.enable()

    cloud = SwanLabCloud(
        projects=(project,), host=url, api_key=Secret(os.environ["SWANLAB_API_KEY"])
    )
    settings = Settings(db=db, sources=(cloud,), workers=workers, env=dict(os.environ))
    sampler = _MemorySampler()
    sampler.start()
    main_prof = cProfile.Profile()
    threading.setprofile(start_thread_profile)
    t0 = time.perf_counter()
    main_prof.enable()
    summary = pull(settings)
    main_prof.disable()
    wall = time.perf_counter() - t0
    threading.setprofile(None)
    sampler.stop()

    stream = io.StringIO()
    stats = pstats.Stats(main_prof, stream=stream)
    for prof in profiles:
        try:
            stats.add(prof)
        except (TypeError, ValueError):  # a thread's profile that never collected anything
            continue
    stats.sort_stats("tottime").print_stats(25)
    by_tottime = stream.getvalue()
    stream.seek(0)
    stream.truncate()
    stats.sort_stats("cumulative").print_stats(25)
    by_cumtime = stream.getvalue()
    result = {
        "wall_s": wall,
        "import_s": import_s,
        "status": summary.status,
        "rows": summary.rows,
        "threads_profiled": len(profiles),
        "stages_s": dict(_totals),
        "stage_calls": dict(_calls),
        "peak_rss_mb": sampler.peak_mb,
        "stages_at_peak_rss": sampler.peak_stages,
        "top_tottime": _trim(by_tottime),
        "top_cumtime": _trim(by_cumtime),
    }
    out.write_text(json.dumps(result, indent=1))
    return 0


def _trim(text: str) -> str:
    """pstats output without its preamble; paths shortened to the package."""
    lines = text.splitlines()
    start = next((i for i, ln in enumerate(lines) if ln.strip().startswith("ncalls")), 0)
    site = "site-packages/"
    stdlib = str(Path(os.__file__).parent) + "/"
    repo = str(Path(__file__).resolve().parents[1]) + "/"
    out = []
    for ln in lines[start:]:
        if not ln.strip():
            continue
        if site in ln:
            ln = ln[: ln.find("/")] + ln[ln.find(site) + len(site) :]
        out.append(ln.replace(stdlib, "stdlib/").replace(repo, ""))
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main(sys.argv))

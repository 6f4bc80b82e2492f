"""Baseline (b): the simulator's raw serve rate for the pull's CSVs, with plain ``requests``.

Run as a child process (``python -m bench.raw_serve JOB.json OUT.json``) so that the client
does not share a GIL with the in-process simulator. For every run: the export call(s) in the
same key batches as the pull (``WIDE_KEYS`` columns, which the simulator accepts), one presign
call, then every CSV downloaded and discarded, and its console read page by page (1,000 lines a
page at level DEBUG, as the pull asks: one page for a run with no console, since only the answer
says so), with the pull's concurrency (one run per worker at a time). The key comes from
``SWANLAB_API_KEY``.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

from swansync.sources.swanlab.cloud.export import WIDE_KEYS

_local = threading.local()
_opened: list[requests.Session] = []
_opened_lock = threading.Lock()


def _sessions(url: str, api_key: str) -> tuple[requests.Session, requests.Session]:
    """This thread's API session (logged in, sid cookie) and its cookie-less download session;
    both keep their connections alive, as the pull's pooled session does."""
    pair: tuple[requests.Session, requests.Session] | None = getattr(_local, "pair", None)
    if pair is None:
        api = requests.Session()
        resp = api.post(f"{url}/api/login/api_key", headers={"authorization": api_key}, timeout=60)
        resp.raise_for_status()
        api.headers["cookie"] = f"sid={resp.json()['sid']}"  # spec 2: the session cookie
        pair = (api, requests.Session())
        _local.pair = pair
        with _opened_lock:
            _opened.extend(pair)
    return pair


def _console(sess: requests.Session, url: str, ref: dict[str, Any]) -> tuple[int, int]:
    """Every console page of one run, discarded; (requests, bytes)."""
    requests_made = nbytes = 0
    page = 0
    while True:
        params = {
            "projectId": ref["projectId"],
            "experimentId": ref["experimentId"],
            "size": 1000,
            "epoch": page,
            "level": "DEBUG",
            "createdAt": ref["createdAt"],
        }
        resp = sess.get(f"{url}/api/house/metrics/log", params=params, timeout=60)
        resp.raise_for_status()
        requests_made += 1
        nbytes += len(resp.content)
        body = resp.json()
        if len(body.get("logs") or []) < 1000 or int(body.get("count") or 0) <= (page + 1) * 1000:
            return requests_made, nbytes
        page += 1


def _one_run(url: str, api_key: str, columns: list[dict[str, Any]]) -> tuple[int, int, int, int]:
    """Export, presign and download one run's CSVs, then read its console; (requests, CSV
    bytes, console pages, console bytes)."""
    sess, download = _sessions(url, api_key)
    cos: list[str] = []
    for i in range(0, len(columns), WIDE_KEYS):
        batch = columns[i : i + WIDE_KEYS]
        body = {"projectId": batch[0]["projectId"], "columns": batch}
        resp = sess.post(f"{url}/api/house/metrics/scalar/export", json=body, timeout=60)
        resp.raise_for_status()
        cos.append(resp.json()["cosKey"])
    resp = sess.post(f"{url}/api/files/presigned/get", json={"paths": cos}, timeout=60)
    resp.raise_for_status()
    nbytes = 0
    for link in resp.json()["urls"]:
        # Presigned links carry no cookie, like the pull's downloads.
        with download.get(link, stream=True, timeout=300) as got:
            got.raise_for_status()
            for block in got.iter_content(chunk_size=1 << 16):
                nbytes += len(block)
    pages, page_bytes = _console(sess, url, columns[0])
    return len(cos) + 1 + len(cos) + pages, nbytes, pages, page_bytes


def serve_rate(
    url: str, api_key: str, runs: list[list[dict[str, Any]]], workers: int
) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(lambda cols: _one_run(url, api_key, cols), runs))
        wall = time.perf_counter() - started
    finally:
        with _opened_lock:
            for sess in _opened:
                sess.close()
            _opened.clear()
    return {
        "wall_s": wall,
        "requests": sum(r[0] for r in results),
        "bytes": sum(r[1] for r in results),  # the CSVs
        "console_requests": sum(r[2] for r in results),
        "console_bytes": sum(r[3] for r in results),
        "runs": len(runs),
        "workers": workers,
    }


def main(argv: list[str]) -> int:
    job = json.loads(Path(argv[1]).read_text())
    result = serve_rate(job["url"], os.environ["SWANLAB_API_KEY"], job["runs"], job["workers"])
    Path(argv[2]).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

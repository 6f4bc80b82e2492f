"""Console-and-media contract driver: reads every run's console and media with the REAL
``swanlab`` SDK (0.10.3, its own venv) and dumps what it saw. Imports nothing from swansync.

Per run: ``run.logs(offset=p, level="DEBUG")`` page after page until an empty page (``offset``
is the page index, spec U11), the first page at the SDK's default level INFO, ``run.export_logs``
(the SDK returns a URL; the file is fetched here without any cookie, as object storage is), and
``run.medias(keys, all=True)`` plus ``run.medias(keys, step=s)`` at one step with media.

    SWANSYNC_CONTRACT_API_KEY=... python console_driver.py --host URL --out dump.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.request
from pathlib import Path
from typing import Any

KEY_ENV = "SWANSYNC_CONTRACT_API_KEY"
PAGE = 1000


def fetch(url: str) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(url, timeout=60) as resp:
            return {"status": resp.status, "text": resp.read().decode("utf-8", "replace")}
    except OSError as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}


def dump_console(exp: Any) -> dict[str, Any]:
    pages: list[list[dict[str, Any]]] = []
    counts: list[Any] = []
    while len(pages) < 50:
        res = exp.logs(offset=len(pages), level="DEBUG")
        lines = res.get("logs") or []
        counts.append(res.get("count"))
        pages.append(lines)
        if len(lines) < PAGE:
            break
    info = exp.logs(offset=0, level="INFO")
    export = exp.export_logs()
    url = (export.data or {}).get("url") if getattr(export, "ok", False) else None
    return {
        "pages": pages,
        "counts": counts,
        "info": {"count": info.get("count"), "lines": len(info.get("logs") or [])},
        "export_ok": bool(getattr(export, "ok", False)),
        "export": fetch(url) if url else None,
    }


def dump_media(exp: Any) -> dict[str, Any]:
    keys = list(exp.series(metric_type="MEDIA", metric_class="CUSTOM").json()["keys"])
    if not keys:
        return {"keys": []}
    every = exp.medias(keys, all=True)
    steps = sorted(
        {m.get("index") for item in every.get("list", []) for m in item.get("metrics") or []}
    )
    one = exp.medias(keys, step=steps[len(steps) // 2]) if steps else None
    return {
        "keys": keys,
        "all": every,
        "one": one,
        "one_step": steps[len(steps) // 2] if steps else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", required=True)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--mode", default="console")
    parser.add_argument("--projects", default="", help="comma-separated ws/proj (default: all)")
    args = parser.parse_args(argv)

    import swanlab  # type: ignore[import-not-found]

    api = swanlab.Api(api_key=os.environ.get(KEY_ENV, ""), host=args.host)
    wanted = [p for p in args.projects.split(",") if p]
    paths = wanted or [p.path for p in api.projects(api.username, size=100, all=True)]
    runs: list[dict[str, Any]] = []
    for path in paths:
        for item in api.project(path).runs_get(all=True):
            exp = api.run(f"{path}/{item.run_id}")
            runs.append(
                {
                    "project": path,
                    "run_id": item.run_id,
                    "console": dump_console(exp),
                    "media": dump_media(exp),
                }
            )
    args.out.write_text(json.dumps({"sdk_version": swanlab.__version__, "runs": runs}, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())

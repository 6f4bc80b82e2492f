"""Console lines and media items -> frames of the ``logs`` and ``media`` tables. Pure: no I/O.

The schemas are those of :mod:`swansync.transform` (``LOGS_SCHEMA``, ``MEDIA_SCHEMA``), declared,
never inferred, so a batch of lines without a timestamp still has a typed ``ts`` column.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import polars as pl

from swansync.sources.base import LogRecord, MediaRecord


def logs_frame(source: str, lines: Sequence[LogRecord], schema: dict[str, Any]) -> pl.DataFrame:
    """One row per line (columns built one by one: a batch holds up to tens of thousands)."""
    cols: dict[str, list[Any]] = {
        "source": [source] * len(lines),
        "project": [ln["project"] for ln in lines],
        "run_id": [ln["run_id"] for ln in lines],
        "seq": [ln["seq"] for ln in lines],
        "ts": [ln["ts"] for ln in lines],
        "level": [ln["level"] for ln in lines],
        "stream": [ln["stream"] for ln in lines],
        "text": [ln["text"] for ln in lines],
        "tag": [ln.get("tag") for ln in lines],
    }
    return pl.DataFrame(cols, schema=schema)


def media_frame(
    source: str, items: Iterable[MediaRecord], synced_at: datetime, schema: dict[str, Any]
) -> pl.DataFrame:
    """One row per media item, without a local copy (``path`` is the download's to set)."""
    rows = [
        {
            "source": source,
            "project": m["project"],
            "run_id": m["run_id"],
            "key": m["key"],
            "step": m["step"],
            "idx": m["idx"],
            "kind": m["kind"],
            "caption": m["caption"],
            "url": m["url"],
            "ref": m["ref"],
            "path": None,
            "sha256": m["sha256"],
            "bytes": m["bytes"],
            "content_type": m["content_type"],
            "synced_at": synced_at,
        }
        for m in items
    ]
    return pl.DataFrame(rows, schema=schema)

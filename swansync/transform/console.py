"""Console lines and media items -> frames of the ``logs`` and ``media`` tables. Pure: no I/O.

The schemas are those of :mod:`swansync.transform` (``LOGS_SCHEMA``, ``MEDIA_SCHEMA``), declared,
never inferred, so a batch of lines without a timestamp still has a typed ``ts`` column.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

from swansync.sources.base import LogRecord, MediaRecord

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


def _micros(ts: datetime | None) -> int | None:
    return None if ts is None else (ts - _EPOCH) // _US


def logs_frame(source: str, lines: Sequence[LogRecord], schema: dict[str, Any]) -> pl.DataFrame:
    """One row per line, built column by column (a batch holds tens of thousands of lines).
    Times travel as integer microseconds and are cast once: polars converts tz-aware Python
    datetimes one by one, some 40 us each, which dominated a large console's pull."""
    ts = pl.Series("ts", [_micros(ln["ts"]) for ln in lines], dtype=pl.Int64)
    frame = pl.DataFrame(
        {
            "source": pl.Series("source", [source] * len(lines), dtype=pl.String),
            "project": pl.Series("project", [ln["project"] for ln in lines], dtype=pl.String),
            "run_id": pl.Series("run_id", [ln["run_id"] for ln in lines], dtype=pl.String),
            "seq": pl.Series("seq", [ln["seq"] for ln in lines], dtype=pl.Int64),
            "ts": ts.cast(pl.Datetime("us", "UTC")),
            "level": pl.Series("level", [ln["level"] for ln in lines], dtype=pl.String),
            "stream": pl.Series("stream", [ln["stream"] for ln in lines], dtype=pl.String),
            "text": pl.Series("text", [ln["text"] for ln in lines], dtype=pl.String),
            "tag": pl.Series("tag", [ln.get("tag") for ln in lines], dtype=pl.String),
        }
    )
    return frame.cast(schema)  # type: ignore[arg-type]


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

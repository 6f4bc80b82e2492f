"""Console and media bookmarks, read from and written to the warehouse inside the transactions
that write the rows they describe (see :mod:`swansync.bookmarks` for the metric ones).

* ``_swansync.run_state.logs_seq``: the highest console ``seq`` stored for the run;
* ``_swansync.run_state.logs_state``: the run's state (as listed before reading) when its console
  and its media were last read whole: a terminal run whose ``logs_state`` equals its listed state
  costs no request;
* the MEDIA rows of ``_swansync.series``: ``last_step``/``points`` = highest step and items stored
  in ``media`` for that key, recomputed from ``media`` in the same transaction as the items;
* ``_swansync.media_skips``: items whose file was not downloaded (``gone``, ``too_big``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl

from swansync.bookmarks import RUN_STATE, SERIES
from swansync.warehouse import Warehouse

SKIPS = "_swansync.media_skips"
_RUN_KEY = ["source", "project", "run_id"]
ITEM_KEY = ["source", "project", "run_id", "key", "step", "idx"]


@dataclass(frozen=True)
class ConsoleState:
    logs_seq: int | None
    logs_state: str | None


def load_states(wh: Warehouse, source: str, project: str) -> dict[str, ConsoleState]:
    return {
        run_id: ConsoleState(None if seq is None else int(seq), state)
        for run_id, seq, state in wh.rows(
            f"SELECT run_id, logs_seq, logs_state FROM {RUN_STATE} "
            "WHERE source = ? AND project = ?",
            [source, project],
        )
    }


def media_keys(wh: Warehouse, source: str, project: str) -> dict[str, dict[str, int | None]]:
    """run_id -> MEDIA key -> highest step stored (None: nothing yet)."""
    out: dict[str, dict[str, int | None]] = {}
    for run_id, key, last_step in wh.rows(
        f"SELECT run_id, key, last_step FROM {SERIES} "
        "WHERE source = ? AND project = ? AND kind = 'MEDIA'",
        [source, project],
    ):
        out.setdefault(run_id, {})[key] = None if last_step is None else int(last_step)
    return out


def save_logs(
    wh: Warehouse,
    source: str,
    project: str,
    seqs: Mapping[str, int],
    states: Mapping[str, str | None],
) -> None:
    """Per run: its new highest console seq, and (runs read whole) its ``logs_state``."""
    if seqs:
        frame = pl.DataFrame(
            {
                "source": [source] * len(seqs),
                "project": [project] * len(seqs),
                "run_id": list(seqs),
                "logs_seq": list(seqs.values()),
            },
            schema={
                "source": pl.String,
                "project": pl.String,
                "run_id": pl.String,
                "logs_seq": pl.Int64,
            },
        )
        wh.upsert(RUN_STATE, frame, _RUN_KEY)
    if states:
        frame = pl.DataFrame(
            {
                "source": [source] * len(states),
                "project": [project] * len(states),
                "run_id": list(states),
                "logs_state": list(states.values()),
            },
            schema={
                "source": pl.String,
                "project": pl.String,
                "run_id": pl.String,
                "logs_state": pl.String,
            },
        )
        wh.upsert(RUN_STATE, frame, _RUN_KEY)


def write_media(wh: Warehouse, frame: pl.DataFrame) -> int:
    """Insert listed items; an item listed again keeps its local copy (and what the download
    learnt: a kind found from the content type, its digest and size) unless its content
    changed upstream (a new ``sha256``)."""
    if frame.height == 0:
        return 0
    return wh.upsert(
        "media",
        frame,
        ITEM_KEY,
        updates={
            "kind": "CASE WHEN excluded.kind = 'other' THEN media.kind ELSE excluded.kind END",
            "caption": "excluded.caption",
            "url": "excluded.url",
            "ref": "excluded.ref",
            "path": "CASE WHEN excluded.sha256 IS NOT NULL "
            "AND excluded.sha256 IS DISTINCT FROM media.sha256 THEN NULL ELSE media.path END",
            "sha256": "coalesce(excluded.sha256, media.sha256)",
            "bytes": "coalesce(excluded.bytes, media.bytes)",
            "content_type": "coalesce(excluded.content_type, media.content_type)",
            "synced_at": "excluded.synced_at",
        },
    )


def refresh_media_bookmarks(
    wh: Warehouse, source: str, project: str, run_ids: Sequence[str], at: datetime
) -> None:
    """The MEDIA series rows of ``run_ids`` from what ``media`` holds now."""
    if not run_ids:
        return
    # Only stored MEDIA series are refreshed (their rows exist: the metric work lists them).
    frame = wh.query(
        "SELECT source, project, run_id, key, max(step) AS last_step, count(*) AS points, "
        "CAST(? AS TIMESTAMPTZ) AS synced_at "
        "FROM media WHERE source = ? AND project = ? AND list_contains(?, run_id) "
        "GROUP BY source, project, run_id, key",
        [at, source, project, list(run_ids)],
    )
    key = ["source", "project", "run_id", "key"]
    wh.upsert(SERIES, wh.changed_rows(SERIES, frame, key), key)  # synced_at: when it changed


# -- downloads ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pending:
    """A listed item without a local copy, with what an earlier pull learnt about it."""

    run_id: str
    key: str
    step: int
    idx: int
    kind: str
    caption: str | None
    url: str | None
    ref: str | None
    content_type: str | None
    sha256: str | None
    bytes: int | None
    skip: str | None  # 'gone' / 'too_big' from _swansync.media_skips
    skip_bytes: int | None


def pending(wh: Warehouse, source: str, project: str, run_ids: Sequence[str]) -> list[Pending]:
    if not run_ids:
        return []
    rows = wh.rows(
        "SELECT m.run_id, m.key, m.step, m.idx, m.kind, m.caption, m.url, m.ref, "
        "m.content_type, m.sha256, m.bytes, s.status, s.bytes "
        f"FROM media m LEFT JOIN {SKIPS} s USING (source, project, run_id, key, step, idx) "
        "WHERE m.source = ? AND m.project = ? AND m.path IS NULL "
        "AND list_contains(?, m.run_id) ORDER BY m.run_id, m.key, m.step, m.idx",
        [source, project, list(run_ids)],
    )
    return [Pending(*r) for r in rows]


@dataclass(frozen=True)
class Downloaded:
    item: Pending
    path: str
    sha256: str
    bytes: int
    content_type: str | None
    kind: str | None  # a kind learnt from the content type, for items listed as 'other'


def save_downloads(
    wh: Warehouse,
    source: str,
    project: str,
    done: Iterable[Downloaded],
    skips: Iterable[tuple[Pending, str, int | None]],
    at: datetime,
) -> None:
    """Local copies of items (and the skips of those that could not be copied), one statement
    each, in the caller's transaction."""
    done = list(done)
    skips = list(skips)
    if done:
        frame = pl.DataFrame(
            [
                {
                    "source": source,
                    "project": project,
                    "run_id": d.item.run_id,
                    "key": d.item.key,
                    "step": d.item.step,
                    "idx": d.item.idx,
                    "path": d.path,
                    "sha256": d.sha256,
                    "bytes": d.bytes,
                    "content_type": d.content_type,
                    "kind": d.kind,
                }
                for d in done
            ],
            schema={
                "source": pl.String,
                "project": pl.String,
                "run_id": pl.String,
                "key": pl.String,
                "step": pl.Int64,
                "idx": pl.Int32,
                "path": pl.String,
                "sha256": pl.String,
                "bytes": pl.Int64,
                "content_type": pl.String,
                "kind": pl.String,
            },
        )
        wh.update_from(
            "media",
            frame,
            ITEM_KEY,
            {
                "path": "excluded.path",
                "sha256": "excluded.sha256",
                "bytes": "excluded.bytes",
                "content_type": "coalesce(excluded.content_type, media.content_type)",
                "kind": "CASE WHEN media.kind = 'other' AND excluded.kind IS NOT NULL "
                "THEN excluded.kind ELSE media.kind END",
            },
        )
        wh.delete_keys(SKIPS, frame.select(ITEM_KEY), ITEM_KEY)
    if skips:
        rows: list[dict[str, Any]] = [
            {
                "source": source,
                "project": project,
                "run_id": p.run_id,
                "key": p.key,
                "step": p.step,
                "idx": p.idx,
                "status": status,
                "bytes": size,
                "checked_at": at,
            }
            for p, status, size in skips
        ]
        frame = pl.DataFrame(
            rows,
            schema={
                "source": pl.String,
                "project": pl.String,
                "run_id": pl.String,
                "key": pl.String,
                "step": pl.Int64,
                "idx": pl.Int32,
                "status": pl.String,
                "bytes": pl.Int64,
                "checked_at": pl.Datetime("us", "UTC"),
            },
        )
        wh.upsert(SKIPS, frame, ITEM_KEY)

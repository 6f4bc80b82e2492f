"""What the source answers from what it read: points of a series and summary records."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from swansync.sources.base import RunKey, SeriesPoints, SummaryRecord
from swansync.sources.wandb import conventions
from swansync.sources.wandb.cloud.history import Batch, Columns
from swansync.sources.wandb.cloud.state import KeyState, RunState


def covered(batch: Batch, base: RunState | None, key: str, after: Mapping[str, int]) -> bool:
    """Whether the rows read ahead (steps after ``batch.base``) hold every point of ``key``
    the sync still lacks: all of them when the read started at the beginning, else when the
    sync's bookmark reaches the key's last step before the read (or the key is new since)."""
    if batch.base is None or base is None:
        return True
    prev = base.keys.get(key)
    if prev is None or prev.last_step is None:
        return True
    got = after.get(key)
    return got is not None and got >= prev.last_step


def series(
    key: RunKey, cols: Mapping[str, Columns], wanted: Sequence[str], complete: bool
) -> Iterator[SeriesPoints]:
    proj, rid = key
    for k in wanted:
        c = cols.get(k)
        if c is not None and c.steps:
            yield SeriesPoints(proj, rid, k, c.steps, c.values, c.ts_ms, complete=complete)


def summary_record(
    key: RunKey, name: str, s: KeyState, upstream: Mapping[str, object]
) -> SummaryRecord:
    proj, rid = key
    return SummaryRecord(
        project=proj,
        run_id=rid,
        key=name,
        klass=conventions.metric_class(name),
        last_step=s.last_step,
        last_value=s.last_value,
        min_value=s.min_value,
        min_step=s.min_step,
        max_value=s.max_value,
        max_step=s.max_step,
        raw={"value": upstream[name]} if name in upstream else None,
    )

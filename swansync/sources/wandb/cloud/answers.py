"""What the source answers from what it read: points of a series, summary records and metric
keys."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from swansync.sources.base import MetricKeyRecord, RunKey, SeriesPoints, SummaryRecord
from swansync.sources.wandb import conventions
from swansync.sources.wandb.cloud.history import Batch, Columns
from swansync.sources.wandb.cloud.listing import Listed
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


def summary_records(key: RunKey, state: RunState, facts: Listed | None) -> list[SummaryRecord]:
    """The summaries of every key the state knows, with the values the listing showed."""
    summary = facts.summary if facts else {}
    system = facts.system if facts else {}
    out = [summary_record(key, k, s, summary) for k, s in state.keys.items()]
    out += [summary_record(key, k, s, system) for k, s in state.system.items()]
    return out


def metric_key_records(key: RunKey, facts: Listed, state: RunState | None) -> list[MetricKeyRecord]:
    """Every key of the run: those the listing names and those read so far."""
    scalar = set(facts.scalar_keys) | (set(state.keys) if state else set())
    other = (set(facts.other_keys) | (state.other if state else set())) - scalar
    system = set(state.system) if state else set()
    proj, rid = key

    def rec(k: str, kind: str, klass: str) -> MetricKeyRecord:
        return MetricKeyRecord(project=proj, run_id=rid, key=k, kind=kind, klass=klass)  # type: ignore[typeddict-item]

    out = [rec(k, "SCALAR", conventions.metric_class(k)) for k in sorted(scalar)]
    out += [rec(k, "MEDIA", conventions.metric_class(k)) for k in sorted(other)]
    out += [rec(k, "SCALAR", "SYSTEM") for k in sorted(system - scalar)]
    return out

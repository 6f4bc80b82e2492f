"""Full-resolution history and the system-metrics stream of one run.

History is read through ``history(minStep, maxStep, samples)`` (operation ``HistoryPage``) in
step windows ``[lo, hi)`` (EXCLUSIVE upper bound) with ``samples = hi - lo``: a window can hold
at most one row per step, so the server never samples it (the SDK's ``scan_history`` relies on
the same). Window widths follow the run's density (``historyLineCount`` rows over the step
span) so a window holds about ``page_rows`` rows, whatever the step grid; the row count read is
checked against the line count, and a shortfall is re-read in SDK-sized windows.

System metrics come from ``events(samples)`` (no step window exists): one read, complete unless
the server returned as many events as asked for (then marked sampled, ``complete=False``).

Rows become columns per key (:class:`Batch`), by the rules of
:mod:`swansync.sources.wandb.conventions`; nested objects in a row are flattened with ``.`` as
the offline reader does.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from swansync.errors import DataError
from swansync.sources.wandb import conventions, media
from swansync.sources.wandb.cloud import queries
from swansync.sources.wandb.cloud.client import GraphQLClient
from swansync.sources.wandb.cloud.state import KeyState, RunState

log = logging.getLogger(__name__)

PAGE_ROWS = 1000  # rows per HistoryPage the windows aim at (the SDK's page size)
MAX_WIDTH = 1_000_000  # steps per window at most (sparse grids)
SAFE_WIDTH = 1000  # the SDK's window, used again when a read came back short
EVENTS_SAMPLES = 100_000


@dataclass
class Columns:
    steps: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    ts_ms: list[int | None] = field(default_factory=list)

    def add(self, step: int, value: float, ts: int | None) -> None:
        self.steps.append(step)
        self.values.append(value)
        self.ts_ms.append(ts)


@dataclass
class Batch:
    """What one read of a run gave: history rows with ``_step`` in ``(base, history_to]``
    (``base`` None: from the start) and, when ``events`` is not None, the whole event stream."""

    base: int | None
    history_to: int | None
    history: dict[str, Columns] = field(default_factory=dict)
    other: set[str] = field(default_factory=set)
    lines: int = 0
    events: dict[str, Columns] | None = None
    events_complete: bool = True
    event_count: int = 0
    shortfall: str | None = None  # a warning: fewer rows than the line count said
    media: list[tuple[str, int, media.Item]] = field(default_factory=list)  # file-backed items

    def restart(self) -> None:
        """Forget the rows read (they are read again)."""
        self.history, self.other, self.lines, self.media = {}, set(), 0, []


def _flat(row: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value and not conventions.is_media(value):
            yield from _flat(value, name + ".")
        else:
            yield name, value


def _step(row: dict[str, Any], what: str) -> int:
    step = row.get("_step")
    if isinstance(step, float) and step.is_integer():
        step = int(step)
    if not isinstance(step, int) or isinstance(step, bool):
        raise DataError(f"{what}: a history row without an integer _step")
    return step


def _row(text: Any, what: str) -> dict[str, Any]:
    if isinstance(text, dict):
        return text
    if not isinstance(text, str):
        raise DataError(f"{what}: a history row that is not JSON text")
    try:
        row = json.loads(text)
    except (ValueError, RecursionError):
        raise DataError(f"{what}: a history row that is not valid JSON") from None
    if not isinstance(row, dict):
        raise DataError(f"{what}: a history row that is not an object")
    return row


def add_history_row(batch: Batch, row: dict[str, Any], step: int) -> None:
    ts = conventions.ts_ms(row.get("_timestamp"))
    for key, value in _flat(row):
        if conventions.is_reserved(key) or value is None:
            continue
        number = None if conventions.is_media(value) else conventions.scalar_value(value)
        if number is None:
            batch.other.add(key)
            note_media(batch, key, step, value)
            continue
        cols = batch.history.get(key)
        if cols is None:
            cols = batch.history[key] = Columns()
        cols.add(step, number, ts)
    batch.lines += 1


def note_media(batch: Batch, key: str, step: int, value: Any) -> None:
    """Keep the file-backed media items of a value (a parquet export holds them as JSON)."""
    if isinstance(value, str) and value.startswith("{"):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            return
    if conventions.is_media(value):
        batch.media.extend((key, step, item) for item in media.items(value))


class RunReader:
    """Reads one run's history windows and events with a :class:`GraphQLClient`."""

    def __init__(
        self,
        client: GraphQLClient,
        entity: str,
        project: str,
        run: str,
        *,
        page_rows: int = PAGE_ROWS,
    ) -> None:
        self.client = client
        self.vars = {"entity": entity, "project": project, "run": run}
        self.what = f"run {run!r} of '{entity}/{project}'"
        self.page_rows = max(1, page_rows)

    def _window(self, lo: int, hi: int) -> list[dict[str, Any]]:
        data = self.client.query(
            "HistoryPage",
            queries.HISTORY_PAGE,
            {**self.vars, "minStep": lo, "maxStep": hi, "pageSize": hi - lo},
            what=f"history of {self.what}",
        )
        run = (data.get("project") or {}).get("run")
        if run is None:
            raise DataError(f"{self.what} vanished while its history was read")
        items = run.get("history") or []
        if not isinstance(items, list):
            raise DataError(f"history of {self.what}: not a list of rows")
        rows = [_row(t, self.what) for t in items]
        prev = lo - 1
        for r in rows:
            step = _step(r, self.what)
            if not lo <= step < hi or step <= prev:
                raise DataError(
                    f"history of {self.what}: step {step} outside the window [{lo}, {hi}) "
                    "or out of order"
                )
            prev = step
        return rows

    def history(
        self, batch: Batch, end: int, expected: int | None, start: int | None = None
    ) -> None:
        """Read rows with ``_step`` in ``(batch.base, end]`` into ``batch``; ``expected`` is how
        many rows the run's line count says are there (None: unknown). Fewer rows than that
        from wide windows (a server that caps ``samples``) are read again in the SDK's
        1000-step windows; still fewer is reported as ``batch.shortfall``. ``start`` overrides
        the first step (rows before it are in the batch already: a parquet export)."""
        first = start if start is not None else (0 if batch.base is None else batch.base + 1)
        widest = self._read(batch, first, end, expected, MAX_WIDTH)
        if expected is not None and batch.lines < expected and widest > SAFE_WIDTH:
            log.info(
                "%s: %d of %d rows; reading again in narrow windows",
                self.what,
                batch.lines,
                expected,
            )
            batch.restart()
            first = 0 if batch.base is None else batch.base + 1
            self._read(batch, first, end, expected, SAFE_WIDTH)
        if expected is not None and batch.lines < expected:
            batch.shortfall = (
                f"history of {self.what}: read {batch.lines} rows, the run's line count "
                f"says {expected}"
            )

    def _read(self, batch: Batch, start: int, end: int, expected: int | None, cap: int) -> int:
        lo, stop, widest = start, end + 1, 0
        while lo < stop:
            span = stop - lo
            if expected is None:
                width = self.page_rows
            else:
                remaining = max(1, expected - batch.lines)
                width = max(self.page_rows, span * self.page_rows // remaining)
            width = max(1, min(span, width, cap))
            widest = max(widest, width)
            for r in self._window(lo, lo + width):
                add_history_row(batch, r, _step(r, self.what))
            lo += width
        if end >= start:
            batch.history_to = end
        return widest

    def events(self, batch: Batch) -> None:
        data = self.client.query(
            "RunEvents",
            queries.RUN_EVENTS,
            {**self.vars, "samples": EVENTS_SAMPLES},
            what=f"system metrics of {self.what}",
        )
        run = (data.get("project") or {}).get("run")
        if run is None:
            raise DataError(f"{self.what} vanished while its system metrics were read")
        items = run.get("events") or []
        if not isinstance(items, list):
            raise DataError(f"system metrics of {self.what}: not a list of events")
        cols: dict[str, Columns] = {}
        for i, text in enumerate(items):
            row = _row(text, self.what)
            ts = conventions.ts_ms(row.get("_timestamp"))
            for key, value in _flat(row):
                if not key.startswith(conventions.SYSTEM_PREFIX):
                    continue
                number = conventions.scalar_value(value)
                if number is not None:
                    cols.setdefault(key, Columns()).add(i, number, ts)
        batch.events = cols
        batch.event_count = len(items)
        batch.events_complete = len(items) < EVENTS_SAMPLES


def fold(state: RunState, batch: Batch) -> None:
    """Add a batch's points to the state's per-key summaries (in place)."""
    for key, cols in batch.history.items():
        ks = state.keys.get(key)
        if ks is None:
            ks = state.keys[key] = KeyState()
        for step, value in zip(cols.steps, cols.values, strict=True):
            ks.add(step, value)
    for key, step, _ in batch.media:
        if step >= state.media_last.get(key, step):
            state.media_last[key] = step
    state.other |= batch.other - set(state.keys)
    state.other -= set(state.keys)
    state.lines += batch.lines
    state.history_to = batch.history_to
    if batch.events is not None:
        state.system = {}
        for key, cols in batch.events.items():
            ks = state.system[key] = KeyState()
            for step, value in zip(cols.steps, cols.values, strict=True):
                ks.add(step, value)
        state.events = batch.event_count

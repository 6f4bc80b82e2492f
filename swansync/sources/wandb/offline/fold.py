"""Fold a run's records, in order, into its current config, summary and facts.

The log holds *updates*: config records (the run record carries the first config), summary
records (0.31.0 writes two per history row; 0.17.x one at the end), each with items to set and
paths to remove. Folding applies them in file order, path by path, into nested objects: the
config and summary as W&B shows them. The ``_wandb`` key of each (SDK internals: runtime,
telemetry, code path, ...) is kept apart from the user's keys.

The ``.wandb`` file holds config values as logged: no ``{"value": ..., "desc": ...}`` wrappers
(those belong to ``config.yaml`` and the cloud API; measured absent in 0.17.9 and 0.31.0). A
user's own dict that happens to look like a wrapper therefore stays as logged here.

:class:`RunFold` is mutable and can go on folding the records of a later (resumed) read; the
records themselves are never changed (values are copied in).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from swansync.sources.wandb.offline.records import (
    ConfigRecord,
    EnvironmentRecord,
    ExitRecord,
    HeaderRecord,
    HistoryRecord,
    MetricRecord,
    Record,
    RunRecord,
    StatsRecord,
    SummaryRecord,
    TelemetryRecord,
    UpdateRecord,
)
from swansync.sources.wandb.offline.values import JsonValue, flatten, remove_path, set_path

INTERNAL_KEY = "_wandb"


def apply_update(tree: dict[str, JsonValue], record: UpdateRecord) -> None:
    """Apply one summary/config update to a nested object: its items in order, then its
    removals (values are copied in, the record is left as it was)."""
    for item in record.update:
        value = copy.deepcopy(item.value) if isinstance(item.value, dict | list) else item.value
        set_path(tree, item.path, value)
    for path in record.remove:
        remove_path(tree, path)


class RunFold:
    """The state of one run after the records applied so far."""

    def __init__(self) -> None:
        self._config: dict[str, JsonValue] = {}
        self._summary: dict[str, JsonValue] = {}
        self.run: RunRecord | None = None
        self.exit: ExitRecord | None = None
        self.header: HeaderRecord | None = None
        self.telemetry: TelemetryRecord | None = None
        self.environment: dict[str, JsonValue] = {}
        self.metrics: dict[str, MetricRecord] = {}
        self.history_rows = 0
        self.last_step: int | None = None
        self.stats_records = 0

    def apply(self, record: Record) -> None:
        if isinstance(record, HistoryRecord):
            self.history_rows += 1
            if record.step is not None:
                self.last_step = record.step
        elif isinstance(record, SummaryRecord | ConfigRecord):
            apply_update(
                self._summary if isinstance(record, SummaryRecord) else self._config, record
            )
        elif isinstance(record, RunRecord):
            self.run = record
            if record.config is not None:
                apply_update(self._config, record.config)
            if record.summary is not None:
                apply_update(self._summary, record.summary)
        elif isinstance(record, ExitRecord):
            self.exit = record
        elif isinstance(record, StatsRecord):
            self.stats_records += 1
        elif isinstance(record, EnvironmentRecord):
            self.environment.update(copy.deepcopy(dict(record.values)))
        elif isinstance(record, MetricRecord):
            self.metrics[record.name or record.glob_name] = record
        elif isinstance(record, TelemetryRecord):
            self.telemetry = record
        elif isinstance(record, HeaderRecord):
            self.header = record

    def extend(self, records: Iterable[Record]) -> RunFold:
        for record in records:
            self.apply(record)
        return self

    @property
    def config(self) -> dict[str, JsonValue]:
        """The user's config, nested as logged (``_wandb`` left out)."""
        return {k: copy.deepcopy(v) for k, v in self._config.items() if k != INTERNAL_KEY}

    @property
    def config_internal(self) -> dict[str, Any]:
        """The config's ``_wandb`` object (SDK internals), or ``{}``."""
        value = self._config.get(INTERNAL_KEY)
        return copy.deepcopy(value) if isinstance(value, dict) else {}

    @property
    def summary(self) -> dict[str, JsonValue]:
        """The summary, nested (``_wandb`` left out); see :meth:`flat_summary`."""
        return {k: copy.deepcopy(v) for k, v in self._summary.items() if k != INTERNAL_KEY}

    @property
    def summary_internal(self) -> dict[str, Any]:
        value = self._summary.get(INTERNAL_KEY)
        return copy.deepcopy(value) if isinstance(value, dict) else {}

    def flat_summary(self) -> dict[str, JsonValue]:
        """The summary with nested keys joined by ``.`` (media objects whole), as history."""
        return flatten(self.summary)

    @property
    def has_exit(self) -> bool:
        return self.exit is not None

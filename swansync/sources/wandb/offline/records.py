"""The records of a ``.wandb`` log that swansync uses, as frozen dataclasses.

``decode.py`` builds them from the protobuf payloads; every record keeps ``num``, the number
the SDK gave it (1, 2, 3, ... in write order; 0 when absent).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, NamedTuple

from swansync.sources.wandb.offline.values import JsonValue

Path = tuple[str, ...]


class Item(NamedTuple):
    """One ``key``/``nested_key`` + ``value_json`` item, its value parsed. (A named tuple, not
    a dataclass: a log holds hundreds of thousands of them and this is the cheapest immutable
    record Python has.)"""

    path: Path
    value: JsonValue


@dataclass(frozen=True)
class HistoryRecord:
    """One history row. ``values`` holds every item flattened (``_step``, ``_runtime``,
    ``_timestamp`` and each logged key; media objects whole). ``step`` is ``_step`` when it is an
    integer, else the record's own step field, else None."""

    num: int
    step: int | None
    values: Mapping[str, JsonValue]


@dataclass(frozen=True)
class UpdateRecord:
    """A summary or config update: items to set (in order) and paths to remove."""

    num: int
    update: tuple[Item, ...]
    remove: tuple[Path, ...]


@dataclass(frozen=True)
class SummaryRecord(UpdateRecord):
    pass


@dataclass(frozen=True)
class ConfigRecord(UpdateRecord):
    pass


@dataclass(frozen=True)
class RunRecord:
    num: int
    run_id: str
    entity: str
    project: str
    display_name: str
    tags: tuple[str, ...]
    group: str
    job_type: str
    notes: str
    host: str
    sweep_id: str
    start_time: datetime | None
    starting_step: int
    resumed: bool
    runtime: int
    git_remote: str
    git_commit: str
    config: ConfigRecord | None
    summary: SummaryRecord | None


@dataclass(frozen=True)
class ExitRecord:
    num: int
    exit_code: int
    runtime: int


@dataclass(frozen=True)
class StatsRecord:
    """System metrics sampled at ``timestamp`` (``cpu``, ``memory_percent``, ``disk.*``, ...)."""

    num: int
    timestamp: datetime | None
    values: Mapping[str, JsonValue]


@dataclass(frozen=True)
class OutputRecord:
    """A piece of console output as the program wrote it (``output`` or ``output_raw`` records:
    0.17.9 and 0.31.0 both write ``output_raw``; 0.31.0 writes ``files/output.log`` too). A
    line may span several records; ``swansync.sources.wandb.console`` joins them."""

    num: int
    stream: Literal["stdout", "stderr"]
    timestamp: datetime | None
    line: str
    raw: bool


@dataclass(frozen=True)
class EnvironmentRecord:
    """The machine and program (0.31.0 writes this; 0.17.x wrote ``wandb-metadata.json``).
    Only set fields are kept; several records may each carry a part."""

    num: int
    values: Mapping[str, JsonValue]


@dataclass(frozen=True)
class MetricRecord:
    """``define_metric``: a metric's name (or glob), its step metric and summary choices."""

    num: int
    name: str
    glob_name: str
    step_metric: str
    hidden: bool
    summary: tuple[str, ...]
    goal: int


@dataclass(frozen=True)
class TelemetryRecord:
    num: int
    python_version: str
    cli_version: str
    core_version: str
    platform: str


@dataclass(frozen=True)
class HeaderRecord:
    """First record of 0.31.0 logs: ``producer`` is the writing SDK's version."""

    num: int
    producer: str
    min_consumer: str


@dataclass(frozen=True)
class OtherRecord:
    """A record kind we do not decode (files, artifact, final, footer, ...)."""

    num: int
    kind: str


Record = (
    HistoryRecord
    | SummaryRecord
    | ConfigRecord
    | RunRecord
    | ExitRecord
    | StatsRecord
    | OutputRecord
    | EnvironmentRecord
    | MetricRecord
    | TelemetryRecord
    | HeaderRecord
    | OtherRecord
)

"""Read W&B offline run folders (``wandb/offline-run-*``, ``wandb/run-*``) without the SDK.

- :func:`find_runs` finds run folders (``folder.py``; also the run-state rule).
- :func:`read_log` reads a ``run-<id>.wandb`` log from a byte offset, to its last complete
  record, never raising on a cut tail (``reader.py``, framing in ``framing.py``).
- The records are frozen dataclasses (``records.py``), decoded by a small protobuf reader of
  our own (``decode.py``, ``proto.py``); values and keys as W&B writes them (``values.py``).
- :class:`RunFold` folds config and summary updates in order (``fold.py``).
"""

from swansync.sources.wandb.offline.fold import RunFold
from swansync.sources.wandb.offline.folder import (
    Found,
    RunFolder,
    WandbFolderError,
    find_runs,
    read_metadata,
    read_requirements,
    run_state,
)
from swansync.sources.wandb.offline.reader import LogRead, ReadResult, WandbFileError, read_log
from swansync.sources.wandb.offline.records import (
    ConfigRecord,
    EnvironmentRecord,
    ExitRecord,
    HeaderRecord,
    HistoryRecord,
    Item,
    MetricRecord,
    OtherRecord,
    OutputRecord,
    Record,
    RunRecord,
    StatsRecord,
    SummaryRecord,
    TelemetryRecord,
)

__all__ = [
    "ConfigRecord",
    "EnvironmentRecord",
    "ExitRecord",
    "Found",
    "HeaderRecord",
    "HistoryRecord",
    "Item",
    "LogRead",
    "MetricRecord",
    "OtherRecord",
    "OutputRecord",
    "ReadResult",
    "Record",
    "RunFold",
    "RunFolder",
    "RunRecord",
    "StatsRecord",
    "SummaryRecord",
    "TelemetryRecord",
    "WandbFileError",
    "WandbFolderError",
    "find_runs",
    "read_log",
    "read_metadata",
    "read_requirements",
    "run_state",
]

"""SwanLab 0.7.x's record stream ``run-*/backup.swanlab``, read without the SDK.

The file is a record log (:mod:`.recordlog`, header version 1) whose records are JSON objects
and a newline: ``{"model_type": "Log" | "Column" | "Scalar" | "Media" | ..., "data": {...}}``.
(0.10.x writes ``run-<id>.swanlab`` instead, with protobuf records: :mod:`.stream`.)

What swansync takes from it:

* ``Column`` records name every series, including the ones the ``tag`` table of
  ``runs.swanlab`` does not list: the hardware monitor's ``logs/<n>/`` folders and the media
  types the dashboard cannot show (ECharts, ...), with their folder (``kid``), class and type;
* ``Log`` records are the console with the SDK's own line counter (``epoch``, from 1), level
  (``INFO`` for stdout, ``WARN`` for stderr, ``ERROR`` for the error a crashed run finished
  with) and time; the console files hold the same lines as bare text.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from swansync.sources.swanlab.local import parse_time
from swansync.sources.swanlab.logdir.recordlog import StreamLine, payloads

log = logging.getLogger(__name__)

NAME = "backup.swanlab"
# the SDK logs stdout as INFO and stderr as WARN (ERROR is the error a crashed run ended with)
_STREAM_OF_LEVEL = {"INFO": "stdout", "WARN": "stderr"}
_LOG_PREFIX = b'{"model_type": "Log"'
_COLUMN_PREFIX = b'{"model_type": "Column"'


@dataclass(frozen=True)
class Column:
    """One series the SDK declared: ``kid`` is its ``logs/<kid>/`` folder."""

    key: str
    kid: str
    cls: str  # CUSTOM | SYSTEM
    column_type: str  # FLOAT, IMAGE, AUDIO, TEXT, ECHARTS, VIDEO, OBJECT3D, MOLECULE, ...


def _record(payload: bytes) -> dict[str, Any] | None:
    try:
        obj = json.loads(payload)
    except ValueError:
        return None
    data = obj.get("data") if isinstance(obj, dict) else None
    return data if isinstance(data, dict) else None


def columns(run_dir: Path) -> dict[str, Column]:
    """kid -> the series the SDK declared in ``backup.swanlab`` (``{}`` without one)."""
    path = run_dir / NAME
    out: dict[str, Column] = {}
    try:
        for payload in payloads(path):
            if not payload.startswith(_COLUMN_PREFIX):
                continue
            rec = _record(payload)
            if rec is None or not isinstance(rec.get("key"), str) or rec.get("kid") is None:
                continue
            kid = str(rec["kid"])
            out.setdefault(
                kid,
                Column(
                    rec["key"], kid, str(rec.get("cls") or "CUSTOM"), str(rec.get("column_type"))
                ),
            )
    except FileNotFoundError:
        return {}
    return out


def has_stream(run_dir: Path) -> bool:
    """Whether the run was written by an SDK that keeps ``backup.swanlab`` (0.7.x)."""
    return (run_dir / NAME).is_file()


def log_lines(run_dir: Path) -> Iterator[StreamLine]:
    """The console records of ``backup.swanlab``, in stream order."""
    path = run_dir / NAME
    try:
        for payload in payloads(path):
            if not payload.startswith(_LOG_PREFIX):
                continue
            rec = _record(payload) or {}
            epoch, message, level = rec.get("epoch"), rec.get("message"), rec.get("level")
            if (
                not isinstance(epoch, int)
                or isinstance(epoch, bool)
                or not isinstance(message, str)
            ):
                log.warning("%s: a console record without epoch/message skipped", path)
                continue
            level = level.upper() if isinstance(level, str) else None
            yield StreamLine(
                epoch,
                level,
                _STREAM_OF_LEVEL.get(level or ""),
                message,
                parse_time(rec.get("create_time")),
            )
    except FileNotFoundError:
        return

"""SwanLab 0.7.x's record stream ``run-*/backup.swanlab``, read without the SDK.

The file is a LevelDB-style log: a 7-byte header (``:SWL``, magic ``0xE1D6`` little-endian, a
version byte), then 32 KiB blocks of chunks, each with a 7-byte header (CRC-32 of the type byte
and the data, 4 bytes LE; data length, 2 bytes LE; type 1 FULL, 2 FIRST, 3 MIDDLE, 4 LAST).
Each record is one JSON object and a newline: ``{"model_type": "Log" | "Column" | "Scalar" |
"Media" | ..., "data": {...}}``. (0.10.x writes ``run-<id>.swanlab`` instead, with protobuf
records; it is not read here.)

What swansync takes from it:

* ``Column`` records name every series, including the ones the ``tag`` table of
  ``runs.swanlab`` does not list: the hardware monitor's ``logs/<n>/`` folders and the media
  types the dashboard cannot show (ECharts, ...), with their folder (``kid``), class and type;
* ``Log`` records are the console with the SDK's own line counter (``epoch``, from 1), level
  (``INFO`` for stdout, ``WARN`` for stderr, ``ERROR`` for the error a crashed run finished
  with) and time; the console files hold the same lines as bare text.

The scan stops quietly at a record that is not complete yet (a live writer) and stops with a
warning at one no writer produces (a bad checksum), so what is read is always a prefix of the
stream. It never reads past the size the file had when the scan started.
"""

from __future__ import annotations

import json
import logging
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

NAME = "backup.swanlab"
_HEADER = b":SWL" + (0xE1D6).to_bytes(2, "little")
_HEADER_LEN = 7
_BLOCK = 32 * 1024
_CHUNK_HEADER = 7
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4
_LOG_PREFIX = b'{"model_type": "Log"'
_COLUMN_PREFIX = b'{"model_type": "Column"'


@dataclass(frozen=True)
class Column:
    """One series the SDK declared: ``kid`` is its ``logs/<kid>/`` folder."""

    key: str
    kid: str
    cls: str  # CUSTOM | SYSTEM
    column_type: str  # FLOAT, IMAGE, AUDIO, TEXT, ECHARTS, VIDEO, OBJECT3D, MOLECULE, ...


@dataclass(frozen=True)
class LogLine:
    """One console record: ``message`` has no newline except in the final ERROR record."""

    epoch: int
    level: str | None
    message: str
    create_time: str | None


def _payloads(path: Path) -> Iterator[bytes]:
    """Every complete record of the stream, in order (see the module docstring)."""
    with path.open("rb") as f:
        size = f.seek(0, 2)
        f.seek(0)
        head = f.read(_HEADER_LEN)
        if len(head) < _HEADER_LEN:
            return
        if head[:6] != _HEADER:
            log.warning("%s: not a SwanLab record stream (starts %r); ignored", path, head)
            return
        pos = _HEADER_LEN
        parts: list[bytes] = []
        block_start, block = -1, b""
        while True:
            offset = pos % _BLOCK
            if _BLOCK - offset < _CHUNK_HEADER:  # block trailer
                pos += _BLOCK - offset
                offset = 0
            if pos + _CHUNK_HEADER > size:
                return  # the end, or a chunk header not written yet
            if pos - offset != block_start:
                block_start = pos - offset
                f.seek(block_start)
                block = f.read(min(_BLOCK, size - block_start))
            header = block[offset : offset + _CHUNK_HEADER]
            length = int.from_bytes(header[4:6], "little")
            kind = header[6]
            start, end = offset + _CHUNK_HEADER, offset + _CHUNK_HEADER + length
            if end > len(block) or header == bytes(_CHUNK_HEADER):
                return  # chunk data not written yet (or a zeroed, unwritten tail)
            data = block[start:end]
            if zlib.crc32(data, zlib.crc32(bytes([kind]))) != int.from_bytes(header[:4], "little"):
                log.warning("%s: bad checksum at byte %d; read up to there", path, pos)
                return
            pos = block_start + end
            if kind == _FULL and not parts:
                yield data
            elif kind == _FIRST and not parts:
                parts = [data]
            elif kind == _MIDDLE and parts:
                parts.append(data)
            elif kind == _LAST and parts:
                yield b"".join([*parts, data])
                parts = []
            else:
                log.warning(
                    "%s: chunk type %d out of place at byte %d; read up to there", path, kind, pos
                )
                return


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
        for payload in _payloads(path):
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


def log_lines(run_dir: Path) -> Iterator[LogLine]:
    """The console records of ``backup.swanlab``, in stream order."""
    path = run_dir / NAME
    try:
        for payload in _payloads(path):
            if not payload.startswith(_LOG_PREFIX):
                continue
            rec = _record(payload)
            epoch = None if rec is None else rec.get("epoch")
            message = None if rec is None else rec.get("message")
            if (
                not isinstance(epoch, int)
                or isinstance(epoch, bool)
                or not isinstance(message, str)
            ):
                log.warning("%s: a console record without epoch/message skipped", path)
                continue
            level = rec.get("level") if rec is not None else None
            created = rec.get("create_time") if rec is not None else None
            yield LogLine(
                epoch,
                level if isinstance(level, str) else None,
                message,
                created if isinstance(created, str) else None,
            )
    except FileNotFoundError:
        return

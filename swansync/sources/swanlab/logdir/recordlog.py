"""SwanLab's record logs (``backup.swanlab`` of 0.7.x, ``run-<id>.swanlab`` of 0.10.x), framed
as LevelDB logs, read without the SDK.

A file is a 7-byte header (``:SWL``, magic ``0xE1D6`` little-endian, a version byte: 1 in 0.7.x,
2 in 0.10.x), then 32 KiB blocks of chunks, each with a 7-byte header (CRC-32 of the type byte
and the data, 4 bytes LE; data length, 2 bytes LE; type 1 FULL, 2 FIRST, 3 MIDDLE, 4 LAST); a
record is one FULL chunk or FIRST, MIDDLE..., LAST. Fewer than 7 bytes left in a block are
zero padding.

A scan stops quietly at a record that is not complete yet (a live writer; both SDKs buffer their
writes, so the newest records reach the file late) and stops with a warning at one no writer
produces (a bad checksum, a chunk out of place), so what is read is always a prefix of the log.
It never reads past the size the file had when the scan started.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

log = logging.getLogger(__name__)

_HEADER = b":SWL" + (0xE1D6).to_bytes(2, "little")
_HEADER_LEN = 7
_BLOCK = 32 * 1024
_CHUNK_HEADER = 7
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4


@dataclass(frozen=True)
class StreamLine:
    """One console record of a stream: the SDK's counter (``epoch``, from 1), the level it gave
    the line, its stream where the level says (0.7.x), the text and the time."""

    epoch: int
    level: str | None
    stream: str | None
    message: str
    ts: datetime | None


def payloads(path: Path) -> Iterator[bytes]:
    """Every complete record of the log at ``path``, in order (see the module docstring).
    FileNotFoundError when there is no such file."""
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

"""The framing of a ``.wandb`` file: a 7-byte W&B header, then a LevelDB-style log.

Layout (measured with wandb 0.17.9 and 0.31.0; the SDK's Go writer documents the same):

- bytes 0..6: ``:W&B``, magic ``0xBEE1`` little-endian, version byte ``0``;
- the file is cut into 32 KiB blocks counted from offset 0 (the header takes the first 7 bytes
  of block 0). Each block holds chunks: a 7-byte chunk header (CRC-32 of type + data, 4 bytes
  LE; data length, 2 bytes LE; type: 1 FULL, 2 FIRST, 3 MIDDLE, 4 LAST) then the data. A chunk
  never crosses a block end; when fewer than 7 bytes are left in a block the writer pads them
  with zeros (the "trailer") and goes on at the next block. A record is one FULL chunk or
  FIRST, MIDDLE..., LAST. The CRC is IEEE CRC-32 (``zlib.crc32``).

How a scan ends (``Scan.end``):

- ``"clean"``: the file ends right after a complete record (or after a block trailer).
- ``"incomplete"``: the bytes after the last complete record are a cut-off record: a chunk
  header or chunk data running past the end of the file, a FIRST/MIDDLE chunk whose LAST is not
  there yet, or zeros to the end of the file. A live writer leaves exactly this (wandb-core
  appends whole 32 KiB blocks, so a record often spans the visible end), and so does a killed
  one. It is not an error: reading again later from ``Scan.end_offset`` picks the record up
  once it is complete.
- ``"corrupt"``: a chunk that no writer produces: a checksum mismatch, an unknown chunk type, a
  length running past its block, chunks out of order (MIDDLE/LAST without FIRST, FIRST while a
  record is open), or a zeroed chunk header with data after it. The scan stops there and
  reports the offset. It does **not** skip to the next block to go on, as LevelDB's own readers
  do: that drops the damaged record and any record starting in the rest of the block without a
  trace, so the rows after it would be mirrored with a silent hole before them (and summary
  and config updates folded out of order). Stopping keeps what we mirror an exact prefix of
  the run; the warning tells the user which file and where.

The scan reads the file a block at a time (a record spanning many blocks is assembled in
memory; a resumed scan reads its first block from ``start``, so it reads only bytes after it)
and never past the size it saw when it opened the file, so a writer appending at the
same time cannot make it see half a record as whole. A resumed scan (``start`` > 0) yields
exactly the records a scan from 0 yields after ``start`` when ``start`` is an ``end_offset``
that an earlier scan returned.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Literal

BLOCK_SIZE = 32 * 1024
CHUNK_HEADER_SIZE = 7
FILE_HEADER = b":W&B" + (0xBEE1).to_bytes(2, "little") + b"\x00"
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4

End = Literal["clean", "incomplete", "corrupt"]


@dataclass(frozen=True)
class Frame:
    """One complete record: its payload and where its chunks start and end in the file."""

    offset: int
    end: int
    payload: bytes


class HeaderError(ValueError):
    """The first bytes are not a W&B log header (message says what was found)."""


def check_header(head: bytes) -> None:
    """Raise :class:`HeaderError` unless ``head`` (up to 7 bytes) starts a version-0 log.

    Fewer than 7 bytes that agree with the header are fine: the writer may not have written
    the rest yet."""
    n = min(len(head), len(FILE_HEADER))
    if head[:n] == FILE_HEADER[:n]:
        return
    if head[:6] == FILE_HEADER[:6]:
        raise HeaderError(f"unsupported .wandb format version {head[6]} (this reader knows 0)")
    raise HeaderError(
        f"not a W&B run log: starts with {bytes(head[:7])!r}, expected {FILE_HEADER!r}"
    )


class Scan:
    """The complete records of one log from ``start`` up to ``size`` bytes.

    Iterate it for :class:`Frame` objects; afterwards ``end``, ``end_offset`` (where a later
    scan resumes: just after the last complete record) and ``problem`` (for ``"corrupt"``:
    offset and reason) describe how it ended. ``fp`` must be positioned nowhere in particular;
    the scan seeks. ``start`` must be 0 or a previous ``end_offset``; the header is checked by
    the caller."""

    def __init__(self, fp: BinaryIO, start: int, size: int) -> None:
        self._fp = fp
        self._size = size
        self._start = max(start, len(FILE_HEADER))
        self.end: End = "clean"
        self.end_offset = self._start if size >= len(FILE_HEADER) else 0
        self.problem: tuple[int, str] | None = None
        self.bytes_read = 0  # what the scan read from ``fp`` (a resumed scan: the new bytes)

    def __iter__(self) -> Iterator[Frame]:
        size = self._size
        if size < len(FILE_HEADER):
            self.end = "incomplete" if size else "clean"
            return
        pos = self._start
        parts: list[bytes] = []
        record_start = pos
        block_start = -1
        base = 0  # file offset of block[0]: the block's start, or ``start`` in the first block
        block = b""
        while True:
            in_block = pos % BLOCK_SIZE
            if BLOCK_SIZE - in_block < CHUNK_HEADER_SIZE:  # trailer: skip to the next block
                pos += BLOCK_SIZE - in_block
                in_block = 0
            if pos >= size:
                self.end = "incomplete" if parts else "clean"
                return
            if pos - in_block != block_start:
                # A new block, read from ``pos`` on: a resumed scan reads no byte before its
                # start, and each byte of the file at most once.
                block_start, base = pos - in_block, pos
                wanted = min(block_start + BLOCK_SIZE, size) - pos
                self._fp.seek(pos)
                block = self._fp.read(wanted)
                self.bytes_read += len(block)
                if len(block) < wanted:  # the file shrank
                    size = pos + len(block)
                    continue
            rel = pos - base
            if rel + CHUNK_HEADER_SIZE > len(block):
                self.end = "incomplete"  # a chunk header cut by the end of the file
                return
            header = block[rel : rel + CHUNK_HEADER_SIZE]
            length = int.from_bytes(header[4:6], "little")
            kind = header[6]
            data_start = rel + CHUNK_HEADER_SIZE
            data_end = data_start + length
            if header == b"\x00" * CHUNK_HEADER_SIZE:
                self._zeroed(pos, size)
                return
            if in_block + CHUNK_HEADER_SIZE + length > BLOCK_SIZE:
                self._corrupt(pos, f"chunk length {length} runs past the end of its block")
                return
            if data_end > len(block):
                self.end = "incomplete"  # chunk data cut by the end of the file
                return
            data = block[data_start:data_end]
            if zlib.crc32(header[6:7] + data) != int.from_bytes(header[0:4], "little"):
                self._corrupt(pos, "chunk checksum mismatch")
                return
            if kind in (FULL, FIRST):
                if parts:
                    self._corrupt(pos, "a record starts before the previous one ended")
                    return
                record_start = pos
            elif kind in (MIDDLE, LAST):
                if not parts:
                    self._corrupt(pos, "a record continues that never started")
                    return
            else:
                self._corrupt(pos, f"unknown chunk type {kind}")
                return
            pos = base + data_end
            if kind in (FULL, LAST):
                payload = data if not parts else b"".join([*parts, data])
                parts.clear()
                self.end_offset = pos
                yield Frame(record_start, pos, payload)
            else:
                parts.append(data)

    def _corrupt(self, offset: int, reason: str) -> None:
        self.end = "corrupt"
        self.problem = (offset, reason)

    def _zeroed(self, offset: int, size: int) -> None:
        """Zeros to the end of the file are an unwritten tail; zeros then data are damage."""
        self._fp.seek(offset)
        remaining = size - offset
        while remaining > 0:
            piece = self._fp.read(min(remaining, BLOCK_SIZE))
            self.bytes_read += len(piece)
            if not piece:
                break
            if piece.count(0) != len(piece):
                self._corrupt(offset, "zeroed chunk header followed by data")
                return
            remaining -= len(piece)
        self.end = "incomplete"

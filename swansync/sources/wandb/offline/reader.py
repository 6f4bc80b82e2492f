"""Read a ``.wandb`` run log: complete records from a byte offset, never raising on a cut tail.

``read_log(path)`` reads from the start; ``read_log(path, start=result.end_offset)`` later
reads only what was appended since, and yields exactly the records a read from 0 would yield
after that point. What can happen:

- the file is still being written, or its writer was killed: the records up to the last
  complete one come back, ``end`` is ``"incomplete"`` and ``pending_bytes`` counts the bytes
  after ``end_offset`` that do not (yet) form a record. No warning: that is a normal state.
- a damaged chunk (see ``framing.py``): the records before it come back, ``end`` is
  ``"corrupt"`` and ``warnings`` names the file and the offset; reading stops there.
- a record whose framing and checksum are intact but whose content does not decode (not a
  protobuf message, a value that is not JSON): that one record is skipped and named in
  ``warnings``; the records after it are read (the framing proves where they start).
- the file does not start with the W&B header, or is shorter than ``start`` (it was replaced
  or truncated since that offset was saved): :class:`WandbFileError` naming the file.

``stop`` (a record boundary an earlier read returned as ``end_offset``) ends a read there even
if the file has grown since: reading ``[start, stop)`` again gives the same records as the read
that returned ``stop``. ``bytes_read`` counts what a read took from the disk: the 7-byte header
check plus the bytes from ``start`` on (never a byte before ``start``).

Nothing is written: the file is opened read-only and no side file is made.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from swansync.errors import DataError
from swansync.sources.wandb.offline.decode import RecordError, decode_record
from swansync.sources.wandb.offline.framing import (
    FILE_HEADER,
    End,
    HeaderError,
    Scan,
    check_header,
)
from swansync.sources.wandb.offline.records import Record


class WandbFileError(DataError):
    """A file that cannot be read as a W&B run log at all (wrong header, bad resume offset)."""


@dataclass(frozen=True)
class ReadResult:
    """What one read of a log returned and where the next read starts.

    ``file_size``/``file_mtime_ns`` are the stat taken when the file was opened (the read
    stops at that size); a sync can keep them with ``end_offset`` as its bookmark and tell a
    growing file from a still one (see ``folder.py`` for the run-state rule)."""

    path: Path
    start: int
    records: tuple[Record, ...]
    end: End
    end_offset: int
    file_size: int
    file_mtime_ns: int
    warnings: tuple[str, ...]
    bytes_read: int = 0

    @property
    def pending_bytes(self) -> int:
        """Bytes after ``end_offset``: a record being written, a cut tail or damage."""
        return self.file_size - self.end_offset


class LogRead:
    """An open read: iterate for records; ``result()`` after the iteration is exhausted."""

    def __init__(self, path: Path, start: int = 0, stop: int | None = None) -> None:
        if start < 0 or 0 < start < len(FILE_HEADER):
            raise ValueError(f"start offset {start} is not 0 or a record boundary")
        if stop is not None and stop < start:
            raise ValueError(f"stop offset {stop} is before the start offset {start}")
        self.path = path
        self.start = start
        self.stop = stop
        self._header_bytes = 0
        self._records: list[Record] = []
        self._warnings: list[str] = []
        self._scan: Scan | None = None
        self._size = 0
        self._mtime_ns = 0

    def __iter__(self) -> Iterator[Record]:
        self._warnings = []
        self._scan = None
        self._header_bytes = 0
        try:
            fp = self.path.open("rb")
        except OSError as exc:
            raise WandbFileError(f"{self.path}: cannot open: {exc.strerror or exc}") from None
        with fp:
            stat = os.fstat(fp.fileno())
            self._size, self._mtime_ns = stat.st_size, stat.st_mtime_ns
            head = fp.read(len(FILE_HEADER))
            self._header_bytes = len(head)
            try:
                check_header(head)
            except HeaderError as exc:
                raise WandbFileError(f"{self.path}: {exc}") from None
            if self.start > self._size:
                raise WandbFileError(
                    f"{self.path}: the file has {self._size} bytes, fewer than the saved "
                    f"offset {self.start}; it was replaced or truncated, read it again from 0"
                )
            limit = self._size if self.stop is None else min(self.stop, self._size)
            self._scan = scan = Scan(fp, self.start, limit)
            for frame in scan:
                try:
                    record = decode_record(frame.payload)
                except RecordError as exc:
                    self._warnings.append(
                        f"{self.path}: skipped the record at byte {frame.offset}: {exc}"
                    )
                    continue
                yield record
            if scan.problem is not None:
                offset, reason = scan.problem
                self._warnings.append(
                    f"{self.path}: stopped at byte {offset} of {self._size}: {reason}; "
                    "the records before it were read"
                )

    @property
    def bytes_read(self) -> int:
        """Bytes taken from the disk so far (also after a :class:`WandbFileError`)."""
        return self._header_bytes + (self._scan.bytes_read if self._scan is not None else 0)

    def result(self, records: tuple[Record, ...] = ()) -> ReadResult:
        if self._scan is None:
            raise RuntimeError("LogRead.result() before the records were read")
        return ReadResult(
            path=self.path,
            start=self.start,
            records=records,
            end=self._scan.end,
            end_offset=self._scan.end_offset,
            file_size=self._size,
            file_mtime_ns=self._mtime_ns,
            warnings=tuple(self._warnings),
            bytes_read=self.bytes_read,
        )


def read_log(path: str | os.PathLike[str], start: int = 0, stop: int | None = None) -> ReadResult:
    """Every complete record of the log at ``path`` from byte ``start`` (0 or an earlier
    ``end_offset``) up to ``stop`` (an earlier ``end_offset``; default: the end of the file).
    Raises :class:`WandbFileError` only for a file that is not a W&B log or that is shorter
    than ``start``."""
    read = LogRead(Path(path), start, stop)
    records = tuple(read)
    return read.result(records)

"""SwanLab 0.10.x's record stream ``run-*/run-<id>.swanlab``, read without the SDK.

The file is a record log (:mod:`.recordlog`, header version 2) of protobuf ``Record`` messages
(``swanlab.record.v1``), kept for ``swanlab sync``. Only three of its fields are read here, with
a small wire-format decoder (field numbers from the SDK's published ``.proto`` descriptors):

* ``log`` (16): ``LogRecord`` -- ``line`` (1), ``level`` (2: 0 INFO, 1 ERROR), ``timestamp``
  (3: seconds, nanos), ``epoch`` (4, the SDK's line counter from 1, which is the line number of
  the console files). Every console line is INFO, stderr too: 0.10.x does not keep the stream.
* ``media`` (14): ``MediaRecord`` -- ``key`` (1), ``step`` (2), ``type`` (3, a ``ColumnType``:
  2 image, 3 audio, 4 text, 5 video, 6 echarts, 7 object3d, 8 molecule, 9 html) and
  ``value.items`` (5.1, ``MediaItem``: ``filename`` (1), ``sha256`` (2), ``size`` (3),
  ``caption`` (4)). Local mode registers only image, audio and text series in ``runs.swanlab``;
  the others (ECharts, HTML, ...) have their ``logs/<kid>/`` folder and files but no name
  anywhere else, so their file names are matched here to a key and type.

The SDK does not flush this file as it writes, so a live run's newest records are missing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from swansync.sources.swanlab.logdir.recordlog import StreamLine, payloads

log = logging.getLogger(__name__)

_LOG, _MEDIA = 16, 14
_LEVELS = {0: "INFO", 1: "ERROR"}
_TYPES = {
    2: "image",
    3: "audio",
    4: "text",
    5: "video",
    6: "echarts",
    7: "object3d",
    8: "molecule",
    9: "html",
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class WireError(ValueError):
    """Bytes that are not protobuf wire format."""


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if i >= len(buf) or shift > 63:
            raise WireError("varint runs past the message")
        byte = buf[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def fields(buf: bytes) -> Iterator[tuple[int, int | bytes]]:
    """``(field number, value)`` of one message: varints as ints, length-delimited fields as
    bytes (fixed 32/64-bit fields as their raw bytes)."""
    i = 0
    while i < len(buf):
        tag, i = _varint(buf, i)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            value, i = _varint(buf, i)
            yield number, value
            continue
        if wire == 2:
            size, i = _varint(buf, i)
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
        else:
            raise WireError(f"wire type {wire}")
        if i + size > len(buf):
            raise WireError("field runs past the message")
        yield number, buf[i : i + size]
        i += size


def _message(buf: int | bytes) -> dict[int, int | bytes]:
    """The last value of each field of a sub-message (what proto3 keeps for singular fields)."""
    return dict(fields(buf)) if isinstance(buf, bytes) else {}


def _text(value: int | bytes | None) -> str | None:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else None


def path_of(run_dir: Path) -> Path | None:
    """The run's stream, ``run-<id>.swanlab`` (None without one)."""
    found = sorted(run_dir.glob("run-*.swanlab"))
    return found[0] if found else None


def _records(run_dir: Path, wanted: int) -> Iterator[dict[int, int | bytes]]:
    path = path_of(run_dir)
    if path is None:
        return
    try:
        for payload in payloads(path):
            try:
                for number, value in fields(payload):
                    if number == wanted:
                        yield _message(value)
            except WireError as e:
                log.warning("%s: a record that is not protobuf (%s); skipped", path, e)
    except FileNotFoundError:
        return


def log_lines(run_dir: Path) -> Iterator[StreamLine]:
    """The console records of the stream, in stream order."""
    for rec in _records(run_dir, _LOG):
        epoch, line = rec.get(4), _text(rec.get(1, b""))  # proto3 leaves out an empty line
        if not isinstance(epoch, int) or line is None:
            continue
        level = rec.get(2, 0)
        stamp = _message(rec.get(3, b""))
        secs, nanos = stamp.get(1, 0), stamp.get(2, 0)
        ts = None
        if isinstance(secs, int) and isinstance(nanos, int) and secs:
            ts = _EPOCH + timedelta(seconds=secs, microseconds=nanos // 1000)
        yield StreamLine(
            epoch, _LEVELS.get(level) if isinstance(level, int) else None, None, line, ts
        )


@dataclass(frozen=True)
class MediaName:
    """What the stream says of a media file: its key and the warehouse kind of its type."""

    key: str
    kind: str


def media_names(run_dir: Path) -> dict[str, MediaName]:
    """File name -> key and kind, for every media item in the stream."""
    out: dict[str, MediaName] = {}
    for rec in _records(run_dir, _MEDIA):
        key, typ = _text(rec.get(1)), rec.get(3)
        if key is None:
            continue
        kind = _TYPES.get(typ, "other") if isinstance(typ, int) else "other"
        value = rec.get(5)
        try:
            for number, item in fields(value) if isinstance(value, bytes) else ():
                name = _text(_message(item).get(1)) if number == 1 else None
                if name:
                    out.setdefault(name, MediaName(key, kind))
        except WireError as e:
            log.warning("%s: media record of %r is not protobuf (%s); skipped", run_dir, key, e)
    return out

"""A minimal protobuf wire-format decoder: just enough to walk the fields of a message.

The ``.wandb`` log holds ``wandb_internal.Record`` messages. We read the handful of fields we
need by number (see ``records.py``) and skip the rest, so a record from a newer SDK with fields
we do not know still decodes. Every malformed input raises :class:`ProtoError` (a
``ValueError``); nothing else escapes, whatever the bytes.

Wire types: 0 varint, 1 fixed 64-bit, 2 length-delimited, 5 fixed 32-bit. Groups (3, 4) are
deprecated and never written by W&B: they are an error here.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

VARINT, FIXED64, BYTES, FIXED32 = 0, 1, 2, 5
_MAX_VARINT_BYTES = 10
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Field = tuple[int, int, int | bytes]
"""(field number, wire type, value): an int for varint/fixed fields, bytes for wire type 2."""


class ProtoError(ValueError):
    """The bytes are not a well-formed protobuf message (or a field has the wrong type)."""


def read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    """The unsigned varint at ``pos`` and the position after it."""
    result = 0
    shift = 0
    end = len(buf)
    for i in range(_MAX_VARINT_BYTES):
        if pos >= end:
            raise ProtoError("truncated varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            if i == _MAX_VARINT_BYTES - 1 and byte > 1:
                raise ProtoError("varint does not fit in 64 bits")
            return result, pos
        shift += 7
    raise ProtoError("varint longer than 10 bytes")


def iter_fields(buf: bytes) -> Iterator[Field]:
    """Every field of one message, in the order written."""
    pos = 0
    end = len(buf)
    while pos < end:
        key = buf[pos]  # one-byte keys (fields 1..15) and lengths < 128 are the common case
        if key < 0x80:
            pos += 1
        else:
            key, pos = read_varint(buf, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ProtoError("field number 0")
        if wire == BYTES:
            if pos < end and buf[pos] < 0x80:
                length = buf[pos]
                pos += 1
            else:
                length, pos = read_varint(buf, pos)
            if length > end - pos:
                raise ProtoError(f"field {number} claims {length} bytes, {end - pos} left")
            yield number, wire, buf[pos : pos + length]
            pos += length
        elif wire == VARINT:
            value, pos = read_varint(buf, pos)
            yield number, wire, value
        elif wire == FIXED64:
            if pos + 8 > end:
                raise ProtoError("truncated fixed64")
            yield number, wire, int.from_bytes(buf[pos : pos + 8], "little")
            pos += 8
        elif wire == FIXED32:
            if pos + 4 > end:
                raise ProtoError("truncated fixed32")
            yield number, wire, int.from_bytes(buf[pos : pos + 4], "little")
            pos += 4
        else:
            raise ProtoError(f"unsupported wire type {wire} (field {number})")


def as_bytes(number: int, wire: int, value: int | bytes) -> bytes:
    if wire != BYTES or not isinstance(value, bytes):
        raise ProtoError(f"field {number}: expected a length-delimited value")
    return value


def as_str(number: int, wire: int, value: int | bytes) -> str:
    try:
        return as_bytes(number, wire, value).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtoError(f"field {number}: string is not UTF-8") from exc


def as_uint(number: int, wire: int, value: int | bytes) -> int:
    if wire != VARINT or not isinstance(value, int):
        raise ProtoError(f"field {number}: expected a varint")
    return value


def as_int64(number: int, wire: int, value: int | bytes) -> int:
    """int64/int32 fields: two's complement over 64 bits (negative int32s are sign-extended)."""
    raw = as_uint(number, wire, value)
    return raw - (1 << 64) if raw >= 1 << 63 else raw


def as_int32(number: int, wire: int, value: int | bytes) -> int:
    raw = as_uint(number, wire, value) & 0xFFFFFFFF
    return raw - (1 << 32) if raw >= 1 << 31 else raw


def as_bool(number: int, wire: int, value: int | bytes) -> bool:
    return as_uint(number, wire, value) != 0


def as_double(number: int, wire: int, value: int | bytes) -> float:
    if wire != FIXED64 or not isinstance(value, int):
        raise ProtoError(f"field {number}: expected a fixed64 double")
    result: float = struct.unpack("<d", value.to_bytes(8, "little"))[0]
    return result


def as_timestamp(number: int, wire: int, value: int | bytes) -> datetime:
    """A ``google.protobuf.Timestamp`` (seconds = 1, nanos = 2) as an aware UTC datetime.

    Nanoseconds below the microsecond are dropped (datetime's resolution)."""
    seconds = 0
    nanos = 0
    for n, w, v in iter_fields(as_bytes(number, wire, value)):
        if n == 1:
            seconds = as_int64(n, w, v)
        elif n == 2:
            nanos = as_int32(n, w, v)
    if not 0 <= nanos < 1_000_000_000:
        raise ProtoError(f"field {number}: timestamp nanos {nanos} out of range")
    try:
        return _EPOCH + timedelta(seconds=seconds, microseconds=nanos // 1000)
    except OverflowError as exc:
        raise ProtoError(f"field {number}: timestamp {seconds}s out of range") from exc

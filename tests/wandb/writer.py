"""A test-side writer of ``.wandb`` logs, written from the format description alone.

It shares no code with ``swansync.sources.wandb.offline`` on purpose: the reader is checked
against an independent encoder (protobuf wire format + LevelDB log framing with the W&B
header), so a misunderstanding of the format would have to be made twice, the same way, to go
unnoticed.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterable, Sequence
from typing import Any

BLOCK = 32768
HEADER = b":W&B\xe1\xbe\x00"

# Record field numbers (wandb_internal.proto).
HISTORY, SUMMARY, OUTPUT, CONFIG, STATS, TELEMETRY, METRIC, OUTPUT_RAW = 2, 3, 4, 5, 7, 11, 12, 13
RUN, EXIT, HEADER_RECORD, ENVIRONMENT, FILES, FINAL = 17, 18, 21, 26, 6, 20


# ------------------------------------------------------------------ protobuf wire format


def varint(n: int) -> bytes:
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while True:
        low = n & 0x7F
        n >>= 7
        if n:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def f_bytes(number: int, payload: bytes | str) -> bytes:
    data = payload.encode() if isinstance(payload, str) else payload
    return varint(number << 3 | 2) + varint(len(data)) + data


def f_varint(number: int, value: int) -> bytes:
    return varint(number << 3) + varint(value)


def f_double(number: int, value: float) -> bytes:
    return varint(number << 3 | 1) + struct.pack("<d", value)


def timestamp(number: int, seconds: int, nanos: int = 0) -> bytes:
    body = (f_varint(1, seconds) if seconds else b"") + (f_varint(2, nanos) if nanos else b"")
    return f_bytes(number, body)


def dumps(value: Any) -> str:
    """JSON as W&B writes it: NaN/Infinity/-Infinity as bare tokens."""
    return json.dumps(value, allow_nan=True, ensure_ascii=False, separators=(",", ":"))


def item(path: Sequence[str], value: Any, *, nested: bool, raw_json: str | None = None) -> bytes:
    """A History/Summary/Config item; ``nested`` picks ``nested_key`` over ``key``."""
    head = b"".join(f_bytes(2, p) for p in path) if nested else f_bytes(1, ".".join(path))
    return head + f_bytes(16, raw_json if raw_json is not None else dumps(value))


def record(kind: int, body: bytes, num: int = 0, *, extra: bytes = b"") -> bytes:
    """A ``Record``: ``num`` (field 1), the kind's sub-message, and anything extra."""
    return (f_varint(1, num) if num else b"") + f_bytes(kind, body) + extra


def history(items: Iterable[bytes], step: int | None = None) -> bytes:
    body = b"".join(f_bytes(1, i) for i in items)
    if step is not None:
        body += f_bytes(2, f_varint(1, step) if step else b"")
    return body


def update(items: Iterable[bytes], removes: Iterable[bytes] = ()) -> bytes:
    return b"".join(f_bytes(1, i) for i in items) + b"".join(f_bytes(2, r) for r in removes)


def exit_body(code: int, runtime: int) -> bytes:
    return (f_varint(1, code) if code else b"") + (f_varint(2, runtime) if runtime else b"")


def stats_body(seconds: int, values: dict[str, Any]) -> bytes:
    items = b"".join(f_bytes(3, f_bytes(1, k) + f_bytes(16, dumps(v))) for k, v in values.items())
    return timestamp(2, seconds) + items


# ------------------------------------------------------------------ LevelDB log framing


def chunk(kind: int, data: bytes) -> bytes:
    crc = zlib.crc32(bytes([kind]) + data) & 0xFFFFFFFF
    return struct.pack("<IHB", crc, len(data), kind) + data


def frame(payloads: Iterable[bytes]) -> tuple[bytes, list[int]]:
    """The whole file for these record payloads, and the offset after each record."""
    out = bytearray(HEADER)
    ends = []
    for payload in payloads:
        rest = payload
        first = True
        while True:
            left = BLOCK - len(out) % BLOCK
            if left < 7:
                out += b"\x00" * left
                left = BLOCK
            room = left - 7
            piece, rest = rest[:room], rest[room:]
            if first and not rest:
                kind = 1
            elif first:
                kind = 2
            elif rest:
                kind = 3
            else:
                kind = 4
            out += chunk(kind, piece)
            first = False
            if not rest:
                break
        ends.append(len(out))
    return bytes(out), ends

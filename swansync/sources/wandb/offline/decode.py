"""One ``wandb_internal.Record`` payload → one dataclass of ``records.py``.

Field numbers come from ``wandb_internal.proto`` (read in the SDK's generated descriptors;
0.17.9 and 0.31.0 agree on every number used here). Unknown fields are skipped, so a newer
SDK's additions do no harm; an unknown record kind becomes an :class:`OtherRecord`. A payload
that is not a well-formed message, or whose item values are not JSON, raises
:class:`RecordError`; the reader then skips that one record with a warning (its framing and
checksum were intact, so the records around it are sound; see ``reader.py``).

Items: ``HistoryItem``/``SummaryItem``/``ConfigItem`` have ``key`` = 1, ``nested_key`` = 2
(repeated), ``value_json`` = 16; ``StatsItem`` has ``key`` = 1, ``value_json`` = 16. See
``values.py`` for how keys and values are read.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from swansync.sources.wandb.offline import decode_meta, proto
from swansync.sources.wandb.offline.records import (
    ConfigRecord,
    ExitRecord,
    HistoryRecord,
    Item,
    OtherRecord,
    OutputRecord,
    Path,
    Record,
    RunRecord,
    StatsRecord,
    SummaryRecord,
)
from swansync.sources.wandb.offline.values import (
    BadValueError,
    JsonValue,
    build_tree,
    flatten,
    parse_value,
)

_U = TypeVar("_U", SummaryRecord, ConfigRecord)


class RecordError(ValueError):
    """One record's payload cannot be decoded (malformed protobuf or a value that is not JSON)."""


def decode_record(payload: bytes) -> Record:
    """Decode one record; raises :class:`RecordError` (never anything else) if it cannot."""
    try:
        return _decode(payload)
    except (proto.ProtoError, RecordError) as exc:
        raise RecordError(str(exc)) from None
    except RecursionError:  # a hostile message nested beyond Python's stack
        raise RecordError("message nested too deeply") from None


def _decode(payload: bytes) -> Record:
    num = 0
    kind: tuple[int, int, int | bytes] | None = None
    for number, wire, value in proto.iter_fields(payload):
        if number == 1:
            num = proto.as_int64(number, wire, value)
        elif number not in (16, 19, 200):  # control, uuid, _info: not the record's kind
            kind = (number, wire, value)
    if kind is None:
        return OtherRecord(num, "empty")
    number, wire, value = kind
    decoder = _KINDS.get(number)
    if decoder is None:
        return OtherRecord(num, _OTHER_KINDS.get(number, f"field_{number}"))
    return decoder(num, proto.as_bytes(number, wire, value))


_KEY, _NESTED_KEY, _VALUE_JSON = 0x0A, 0x12, 0x82  # tags of fields 1, 2, 16 (wire type 2)


def _path(payload: bytes) -> tuple[Path, str | None]:
    """The key path and value text of an item.

    This is the hot loop of a read, so the three string fields W&B writes are parsed inline;
    anything else (another field, a long varint) goes through the general decoder."""
    key = ""
    nested: list[str] = []
    value_json: str | None = None
    pos = 0
    end = len(payload)
    try:
        while pos < end:
            tag = payload[pos]
            if tag == _VALUE_JSON:
                if pos + 1 >= end or payload[pos + 1] != 0x01:
                    return _path_slow(payload)
                pos += 2
            elif tag in (_KEY, _NESTED_KEY):
                pos += 1
            else:
                return _path_slow(payload)
            length = payload[pos] if pos < end else 0x80
            if length < 0x80:
                pos += 1
            else:
                length, pos = proto.read_varint(payload, pos)
            if length > end - pos:
                raise RecordError(f"item field claims {length} bytes, {end - pos} left")
            text = payload[pos : pos + length].decode()
            pos += length
            if tag == _VALUE_JSON:
                value_json = text
            elif tag == _NESTED_KEY:
                nested.append(text)
            else:
                key = text
    except UnicodeDecodeError:
        raise RecordError("item key or value is not UTF-8") from None
    return (tuple(nested) if nested else (key,)), value_json


def _path_slow(payload: bytes) -> tuple[Path, str | None]:
    key = ""
    nested: list[str] = []
    value_json: str | None = None
    for number, wire, value in proto.iter_fields(payload):
        if number == 16:
            value_json = proto.as_str(number, wire, value)
        elif number == 2:
            nested.append(proto.as_str(number, wire, value))
        elif number == 1:
            key = proto.as_str(number, wire, value)
    return (tuple(nested) if nested else (key,)), value_json


def _pair(payload: bytes) -> tuple[Path, JsonValue]:
    path, value_json = _path(payload)
    if value_json is None:
        raise RecordError(f"item {'.'.join(path)!r} has no value_json")
    try:
        return path, parse_value(value_json)
    except BadValueError as exc:
        raise RecordError(f"item {'.'.join(path)!r}: {exc}") from None


def _item(payload: bytes) -> Item:
    return Item(*_pair(payload))


def _history(num: int, payload: bytes) -> HistoryRecord:
    items: list[tuple[Path, JsonValue]] = []
    step_field: int | None = None
    for number, wire, value in proto.iter_fields(payload):
        if number == 1:
            items.append(_pair(proto.as_bytes(number, wire, value)))
        elif number == 2:
            step_field = 0
            for n, w, v in proto.iter_fields(proto.as_bytes(number, wire, value)):
                if n == 1:
                    step_field = proto.as_int64(n, w, v)
    values = flatten(build_tree(items))
    logged = values.get("_step")
    step = logged if type(logged) is int else step_field
    return HistoryRecord(num, step, values)


def _update(cls: type[_U], num: int, payload: bytes) -> _U:
    update: list[Item] = []
    remove: list[Path] = []
    for number, wire, value in proto.iter_fields(payload):
        if number == 1:
            update.append(_item(proto.as_bytes(number, wire, value)))
        elif number == 2:
            remove.append(_path(proto.as_bytes(number, wire, value))[0])
    return cls(num, tuple(update), tuple(remove))


def _summary(num: int, payload: bytes) -> SummaryRecord:
    return _update(SummaryRecord, num, payload)


def _config(num: int, payload: bytes) -> ConfigRecord:
    return _update(ConfigRecord, num, payload)


def _run(num: int, payload: bytes) -> RunRecord:
    s: dict[int, str] = {}
    tags: list[str] = []
    start_time: datetime | None = None
    starting_step = runtime = 0
    resumed = False
    git = ("", "")
    config: ConfigRecord | None = None
    summary: SummaryRecord | None = None
    for n, w, v in proto.iter_fields(payload):
        if n in (1, 2, 3, 6, 7, 8, 9, 12, 13):
            s[n] = proto.as_str(n, w, v)
        elif n == 10:
            tags.append(proto.as_str(n, w, v))
        elif n == 4:
            config = _config(num, proto.as_bytes(n, w, v))
        elif n == 5:
            summary = _summary(num, proto.as_bytes(n, w, v))
        elif n == 14:
            starting_step = proto.as_int64(n, w, v)
        elif n == 17:
            start_time = proto.as_timestamp(n, w, v)
        elif n == 18:
            resumed = proto.as_bool(n, w, v)
        elif n == 20:
            runtime = proto.as_int32(n, w, v)
        elif n == 21:
            git = decode_meta.git(proto.as_bytes(n, w, v))
    return RunRecord(
        num=num,
        run_id=s.get(1, ""),
        entity=s.get(2, ""),
        project=s.get(3, ""),
        group=s.get(6, ""),
        job_type=s.get(7, ""),
        display_name=s.get(8, ""),
        notes=s.get(9, ""),
        sweep_id=s.get(12, ""),
        host=s.get(13, ""),
        tags=tuple(tags),
        start_time=start_time,
        starting_step=starting_step,
        resumed=resumed,
        runtime=runtime,
        git_remote=git[0],
        git_commit=git[1],
        config=config,
        summary=summary,
    )


def _exit(num: int, payload: bytes) -> ExitRecord:
    code = runtime = 0
    for n, w, v in proto.iter_fields(payload):
        if n == 1:
            code = proto.as_int32(n, w, v)
        elif n == 2:
            runtime = proto.as_int32(n, w, v)
    return ExitRecord(num, code, runtime)


def _stats(num: int, payload: bytes) -> StatsRecord:
    timestamp: datetime | None = None
    values: dict[str, JsonValue] = {}
    for n, w, v in proto.iter_fields(payload):
        if n == 2:
            timestamp = proto.as_timestamp(n, w, v)
        elif n == 3:
            item = _item(proto.as_bytes(n, w, v))
            values[".".join(item.path)] = item.value
    return StatsRecord(num, timestamp, values)


def _output(raw: bool) -> Callable[[int, bytes], OutputRecord]:
    def decode(num: int, payload: bytes) -> OutputRecord:
        stdout = False
        timestamp: datetime | None = None
        line = ""
        for n, w, v in proto.iter_fields(payload):
            if n == 1:
                stdout = proto.as_uint(n, w, v) == 1
            elif n == 2:
                timestamp = proto.as_timestamp(n, w, v)
            elif n == 3:  # kept byte for byte: the console reader repairs bad UTF-8
                line = proto.as_bytes(n, w, v).decode("utf-8", "surrogateescape")
        return OutputRecord(num, "stdout" if stdout else "stderr", timestamp, line, raw)

    return decode


_KINDS: dict[int, Callable[[int, bytes], Record]] = {
    2: _history,
    3: _summary,
    4: _output(raw=False),
    5: _config,
    7: _stats,
    11: decode_meta.telemetry,
    12: decode_meta.metric,
    13: _output(raw=True),
    17: _run,
    18: _exit,
    21: decode_meta.header,
    26: decode_meta.environment,
}
_OTHER_KINDS = {
    6: "files",
    8: "artifact",
    9: "tbrecord",
    10: "alert",
    20: "final",
    22: "footer",
    23: "preempting",
    24: "noop_link_artifact",
    25: "use_artifact",
    27: "output_logger",
    100: "request",
}

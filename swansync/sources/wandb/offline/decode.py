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

from swansync.sources.wandb.offline import proto
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
    Path,
    Record,
    RunRecord,
    StatsRecord,
    SummaryRecord,
    TelemetryRecord,
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


def _item(payload: bytes) -> Item:
    path, value_json = _path(payload)
    name = ".".join(path)
    if value_json is None:
        raise RecordError(f"item {name!r} has no value_json")
    try:
        return Item(path, parse_value(value_json))
    except BadValueError as exc:
        raise RecordError(f"item {name!r}: {exc}") from None


def _history(num: int, payload: bytes) -> HistoryRecord:
    items: list[Item] = []
    step_field: int | None = None
    for number, wire, value in proto.iter_fields(payload):
        if number == 1:
            items.append(_item(proto.as_bytes(number, wire, value)))
        elif number == 2:
            step_field = 0
            for n, w, v in proto.iter_fields(proto.as_bytes(number, wire, value)):
                if n == 1:
                    step_field = proto.as_int64(n, w, v)
    values = flatten(build_tree((i.path, i.value) for i in items))
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


def _git(payload: bytes) -> tuple[str, str]:
    remote = commit = ""
    for n, w, v in proto.iter_fields(payload):
        if n == 1:
            remote = proto.as_str(n, w, v)
        elif n == 2:
            commit = proto.as_str(n, w, v)
    return remote, commit


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
            git = _git(proto.as_bytes(n, w, v))
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
            elif n == 3:
                line = proto.as_str(n, w, v)
        return OutputRecord(num, "stdout" if stdout else "stderr", timestamp, line, raw)

    return decode


# EnvironmentRecord: field number → (name, reader). Repeated/message fields are handled below.
_ENV_STR = {
    1: "os",
    2: "python",
    4: "docker",
    6: "program",
    7: "code_path",
    8: "code_path_local",
    11: "root",
    12: "host",
    13: "username",
    14: "executable",
    15: "colab",
    18: "gpu_type",
    25: "cuda_version",
    199: "writer_id",
}
_ENV_UINT = {16: "cpu_count", 17: "cpu_count_logical", 19: "gpu_count"}


def _environment(num: int, payload: bytes) -> EnvironmentRecord:
    """The environment fields swansync keeps (``email`` and the per-GPU details are not)."""
    out: dict[str, JsonValue] = {}
    for n, w, v in proto.iter_fields(payload):
        if n in _ENV_STR:
            out[_ENV_STR[n]] = proto.as_str(n, w, v)
        elif n in _ENV_UINT:
            out[_ENV_UINT[n]] = proto.as_uint(n, w, v)
        elif n == 3:
            out["started_at"] = proto.as_timestamp(n, w, v).isoformat()
        elif n == 5:
            out.setdefault("args", []).append(proto.as_str(n, w, v))
        elif n == 9:
            remote, commit = _git(proto.as_bytes(n, w, v))
            out["git"] = {"remote_url": remote, "commit": commit}
        elif n == 20:
            key, total, used = _disk(proto.as_bytes(n, w, v))
            out.setdefault("disk", {})[key] = {"total": total, "used": used}
        elif n == 21:
            out["memory"] = {"total": _uint_field(proto.as_bytes(n, w, v), 1)}
        elif n == 22:
            out["cpu"] = _cpu(proto.as_bytes(n, w, v))
    return EnvironmentRecord(num, out)


def _uint_field(payload: bytes, wanted: int) -> int:
    result = 0
    for n, w, v in proto.iter_fields(payload):
        if n == wanted:
            result = proto.as_uint(n, w, v)
    return result


def _disk(payload: bytes) -> tuple[str, int, int]:
    key = ""
    total = used = 0
    for n, w, v in proto.iter_fields(payload):
        if n == 1:
            key = proto.as_str(n, w, v)
        elif n == 2:
            info = proto.as_bytes(n, w, v)
            total, used = _uint_field(info, 1), _uint_field(info, 2)
    return key, total, used


def _cpu(payload: bytes) -> dict[str, JsonValue]:
    out: dict[str, JsonValue] = {}
    for n, w, v in proto.iter_fields(payload):
        if n == 1:
            out["count"] = proto.as_uint(n, w, v)
        elif n == 2:
            out["count_logical"] = proto.as_uint(n, w, v)
        elif n == 3:
            out["model"] = proto.as_str(n, w, v)
    return out


_SUMMARY_FLAGS = {
    1: "min",
    2: "max",
    3: "mean",
    4: "best",
    5: "last",
    6: "none",
    7: "copy",
    8: "first",
}


def _metric(num: int, payload: bytes) -> MetricRecord:
    s: dict[int, str] = {}
    hidden = False
    flags: list[str] = []
    goal = 0
    for n, w, v in proto.iter_fields(payload):
        if n in (1, 2, 4):
            s[n] = proto.as_str(n, w, v)
        elif n == 6:
            for on, ow, ov in proto.iter_fields(proto.as_bytes(n, w, v)):
                if on == 2:
                    hidden = proto.as_bool(on, ow, ov)
        elif n == 7:
            for sn, sw, sv in proto.iter_fields(proto.as_bytes(n, w, v)):
                if sn in _SUMMARY_FLAGS and proto.as_bool(sn, sw, sv):
                    flags.append(_SUMMARY_FLAGS[sn])
        elif n == 8:
            goal = proto.as_int32(n, w, v)
    return MetricRecord(num, s.get(1, ""), s.get(2, ""), s.get(4, ""), hidden, tuple(flags), goal)


def _telemetry(num: int, payload: bytes) -> TelemetryRecord:
    s: dict[int, str] = {}
    for n, w, v in proto.iter_fields(payload):
        if n in (4, 5, 12, 13):
            s[n] = proto.as_str(n, w, v)
    return TelemetryRecord(num, s.get(4, ""), s.get(5, ""), s.get(12, ""), s.get(13, ""))


def _header(num: int, payload: bytes) -> HeaderRecord:
    s: dict[int, str] = {}
    for n, w, v in proto.iter_fields(payload):
        if n == 1:
            for vn, vw, vv in proto.iter_fields(proto.as_bytes(n, w, v)):
                if vn in (1, 2):
                    s[vn] = proto.as_str(vn, vw, vv)
    return HeaderRecord(num, s.get(1, ""), s.get(2, ""))


_KINDS: dict[int, Callable[[int, bytes], Record]] = {
    2: _history,
    3: _summary,
    4: _output(raw=False),
    5: _config,
    7: _stats,
    11: _telemetry,
    12: _metric,
    13: _output(raw=True),
    17: _run,
    18: _exit,
    21: _header,
    26: _environment,
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

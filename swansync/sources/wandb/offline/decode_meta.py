"""Decoders of the records around a run's data: environment, metric, telemetry, header.

Split from ``decode.py`` (same conventions: field numbers from ``wandb_internal.proto``,
unknown fields skipped, :class:`~swansync.sources.wandb.offline.proto.ProtoError` on malformed
input).
"""

from __future__ import annotations

from swansync.sources.wandb.offline import proto
from swansync.sources.wandb.offline.records import (
    EnvironmentRecord,
    HeaderRecord,
    MetricRecord,
    TelemetryRecord,
)
from swansync.sources.wandb.offline.values import JsonValue


def git(payload: bytes) -> tuple[str, str]:
    remote = commit = ""
    for n, w, v in proto.iter_fields(payload):
        if n == 1:
            remote = proto.as_str(n, w, v)
        elif n == 2:
            commit = proto.as_str(n, w, v)
    return remote, commit


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


def environment(num: int, payload: bytes) -> EnvironmentRecord:
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
            remote, commit = git(proto.as_bytes(n, w, v))
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


def metric(num: int, payload: bytes) -> MetricRecord:
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


def telemetry(num: int, payload: bytes) -> TelemetryRecord:
    s: dict[int, str] = {}
    for n, w, v in proto.iter_fields(payload):
        if n in (4, 5, 12, 13):
            s[n] = proto.as_str(n, w, v)
    return TelemetryRecord(num, s.get(4, ""), s.get(5, ""), s.get(12, ""), s.get(13, ""))


def header(num: int, payload: bytes) -> HeaderRecord:
    s: dict[int, str] = {}
    for n, w, v in proto.iter_fields(payload):
        if n == 1:
            for vn, vw, vv in proto.iter_fields(proto.as_bytes(n, w, v)):
                if vn in (1, 2):
                    s[vn] = proto.as_str(vn, vw, vv)
    return HeaderRecord(num, s.get(1, ""), s.get(2, ""))

"""Decoding records: values, keys, every record kind, and folding config and summary."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from swansync.sources.wandb.offline import (
    ConfigRecord,
    EnvironmentRecord,
    ExitRecord,
    HeaderRecord,
    HistoryRecord,
    MetricRecord,
    OtherRecord,
    OutputRecord,
    RunFold,
    RunRecord,
    StatsRecord,
    SummaryRecord,
    TelemetryRecord,
)
from swansync.sources.wandb.offline.decode import RecordError, decode_record
from swansync.sources.wandb.offline.proto import ProtoError, iter_fields, read_varint
from swansync.sources.wandb.offline.values import BadValueError, parse_value
from tests.wandb import writer as w


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NaN", "nan"),
        ("Infinity", "inf"),
        ("-Infinity", "-inf"),
        ("-0", "-0.0"),
        ("-0.0", "-0.0"),
        ("0", "0"),
        ("1", "1"),
        ("1.0", "1.0"),
        ("1e+308", "1e+308"),
        ("5e-324", "5e-324"),
        ("9007199254740993", "9007199254740993"),
        (' "ü" ', "'ü'"),
        ('{"_type":"image-file","w":4}', "{'_type': 'image-file', 'w': 4}"),
        ("[1,NaN,-0]", "[1, nan, -0.0]"),
    ],
)
def test_values_are_read_exactly(text, expected):
    assert repr(parse_value(text)) == expected


@pytest.mark.parametrize("text", ["", "nan", "{", "1 2", "[" * 100_000, "1" * 5000, "'x'"])
def test_values_that_are_not_json_raise_one_error_type(text):
    with pytest.raises(BadValueError, match="value is not JSON"):
        parse_value(text)


def _one(payload: bytes):
    return decode_record(payload)


def test_history_keys_nested_and_flat_spellings_agree():
    nested = w.history(
        [
            w.item(["_step"], 4, nested=True),
            w.item(["b", "c"], 2, nested=True),
            w.item(["img", "_type"], "image-file", nested=True),
            w.item(["img", "path"], "media/x.png", nested=True),
            w.item(["x"], math.nan, nested=True),
        ],
        step=4,
    )
    flat = w.history(
        [
            w.item(["_step"], 4, nested=False),
            w.item(["b"], {"c": 2}, nested=False),
            w.item(["img"], {"_type": "image-file", "path": "media/x.png"}, nested=False),
            w.item(["x"], math.nan, nested=False),
        ]
    )
    a, b = _one(w.record(w.HISTORY, nested, 7)), _one(w.record(w.HISTORY, flat, 7))
    assert isinstance(a, HistoryRecord) and isinstance(b, HistoryRecord)
    assert repr(a) == repr(b)
    assert a.num == 7 and a.step == 4
    assert a.values["b.c"] == 2 and math.isnan(a.values["x"])
    assert a.values["img"] == {"_type": "image-file", "path": "media/x.png"}  # media stays whole


def test_history_step_falls_back_to_the_step_field():
    rec = _one(w.record(w.HISTORY, w.history([w.item(["a"], 1, nested=True)], step=9)))
    assert isinstance(rec, HistoryRecord) and rec.step == 9 and rec.values == {"a": 1}
    rec = _one(w.record(w.HISTORY, w.history([w.item(["a"], 1, nested=True)])))
    assert isinstance(rec, HistoryRecord) and rec.step is None


def test_run_record_fields():
    body = (
        w.f_bytes(1, "abc123")
        + w.f_bytes(2, "ent")
        + w.f_bytes(3, "proj")
        + w.f_bytes(4, w.update([w.item(["lr"], 0.1, nested=False)]))
        + w.f_bytes(6, "grp")
        + w.f_bytes(7, "train")
        + w.f_bytes(8, "nice name ü")
        + w.f_bytes(9, "notes")
        + w.f_bytes(10, "t1")
        + w.f_bytes(10, "t2")
        + w.f_bytes(12, "sweep")
        + w.f_bytes(13, "host-1")
        + w.f_varint(14, 5)
        + w.timestamp(17, 1_700_000_000, 123_456_789)
        + w.f_varint(18, 1)
        + w.f_varint(20, 42)
        + w.f_bytes(21, w.f_bytes(1, "git@x:y.git") + w.f_bytes(2, "deadbeef"))
        + w.f_bytes(99, b"\x01\x02")  # a field from the future
    )
    rec = _one(w.record(w.RUN, body, 2))
    assert isinstance(rec, RunRecord)
    assert (rec.run_id, rec.entity, rec.project, rec.display_name) == (
        "abc123",
        "ent",
        "proj",
        "nice name ü",
    )
    assert rec.tags == ("t1", "t2") and rec.group == "grp" and rec.job_type == "train"
    assert rec.notes == "notes" and rec.host == "host-1" and rec.sweep_id == "sweep"
    assert rec.start_time == datetime(2023, 11, 14, 22, 13, 20, 123456, tzinfo=UTC)
    assert rec.starting_step == 5 and rec.resumed and rec.runtime == 42
    assert (rec.git_remote, rec.git_commit) == ("git@x:y.git", "deadbeef")
    assert isinstance(rec.config, ConfigRecord) and rec.config.update[0].value == 0.1
    assert rec.summary is None


def test_exit_stats_output_and_the_rest():
    rec = _one(w.record(w.EXIT, w.exit_body(-9 & 0xFFFFFFFFFFFFFFFF, 12)))
    assert rec == ExitRecord(0, -9, 12)
    rec = _one(w.record(w.EXIT, b""))
    assert rec == ExitRecord(0, 0, 0)
    rec = _one(w.record(w.STATS, w.stats_body(1_700_000_000, {"cpu": 3.5, "disk./.usageGB": 1})))
    assert isinstance(rec, StatsRecord)
    assert rec.timestamp == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert rec.values == {"cpu": 3.5, "disk./.usageGB": 1}
    out = w.f_varint(1, 1) + w.timestamp(2, 10) + w.f_bytes(3, "hello\n")
    assert _one(w.record(w.OUTPUT_RAW, out)) == OutputRecord(
        0, "stdout", datetime(1970, 1, 1, 0, 0, 10, tzinfo=UTC), "hello\n", True
    )
    err = _one(w.record(w.OUTPUT, w.f_bytes(3, "oops")))
    assert isinstance(err, OutputRecord) and err.stream == "stderr" and not err.raw
    env = (
        w.f_bytes(1, "Linux")
        + w.f_bytes(5, "--lr")
        + w.f_bytes(5, "0.1")
        + w.f_bytes(10, "someone@example.com")
        + w.f_varint(16, 8)
        + w.f_bytes(20, w.f_bytes(1, "/") + w.f_bytes(2, w.f_varint(1, 100) + w.f_varint(2, 40)))
        + w.f_bytes(21, w.f_varint(1, 2048))
    )
    rec = _one(w.record(w.ENVIRONMENT, env))
    assert isinstance(rec, EnvironmentRecord)
    assert rec.values == {
        "os": "Linux",
        "args": ["--lr", "0.1"],
        "cpu_count": 8,
        "disk": {"/": {"total": 100, "used": 40}},
        "memory": {"total": 2048},
    }  # the e-mail address is not kept
    metric = (
        w.f_bytes(1, "val/acc")
        + w.f_bytes(4, "epoch")
        + w.f_bytes(6, w.f_varint(2, 1))
        + w.f_bytes(7, w.f_varint(2, 1) + w.f_varint(5, 1))
        + w.f_varint(8, 2)
    )
    assert _one(w.record(w.METRIC, metric)) == MetricRecord(
        0, "val/acc", "", "epoch", True, ("max", "last"), 2
    )
    tel = w.f_bytes(4, "3.11.7") + w.f_bytes(5, "0.31.0") + w.f_bytes(13, "linux")
    assert _one(w.record(w.TELEMETRY, tel)) == TelemetryRecord(0, "3.11.7", "0.31.0", "", "linux")
    head = w.f_bytes(1, w.f_bytes(1, "0.31.0+abc") + w.f_bytes(2, "0.70.0"))
    assert _one(w.record(w.HEADER_RECORD, head, 1)) == HeaderRecord(1, "0.31.0+abc", "0.70.0")
    assert _one(w.record(w.FILES, b"", 3)) == OtherRecord(3, "files")
    assert _one(w.record(250, b"")) == OtherRecord(0, "field_250")
    assert _one(w.f_varint(1, 4)) == OtherRecord(4, "empty")


@pytest.mark.parametrize(
    "payload",
    [
        b"\x0a\x05ab",  # length past the end
        b"\x08",  # truncated varint
        b"\x08" + b"\xff" * 11,  # varint too long
        b"\x0b",  # group wire type
        b"\x00\x01",  # field number 0
        w.record(w.HISTORY, w.history([w.f_bytes(1, b"\xff") + w.f_bytes(16, "1")])),
        w.record(w.HISTORY, w.history([w.f_bytes(1, "k")])),  # no value_json
        w.record(w.RUN, w.f_varint(1, 5)),  # run_id as a varint
        w.record(w.RUN, w.timestamp(17, 10**15)),  # a start time past year 9999
        w.record(w.EXIT, w.f_bytes(1, "x")),  # exit code as bytes
    ],
)
def test_malformed_payloads_raise_record_error_only(payload):
    with pytest.raises(RecordError):
        decode_record(payload)


def test_the_wire_decoder_limits():
    assert read_varint(b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 0) == (2**64 - 1, 10)
    with pytest.raises(ProtoError, match="64 bits"):
        read_varint(b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 0)
    assert list(iter_fields(w.f_double(3, 1.5) + b"\x25\x01\x00\x00\x00")) == [
        (3, 1, 0x3FF8000000000000),
        (4, 5, 1),
    ]


def test_fold_applies_updates_in_order_and_keeps_internals_apart():
    run_body = w.f_bytes(1, "r") + w.f_bytes(
        4,
        w.update(
            [
                w.item(["_wandb"], {}, nested=False),
                w.item(["model"], {"depth": 3, "act": "relu"}, nested=False),
                w.item(["wrapper_like"], {"value": 1, "desc": "x"}, nested=False),
            ]
        ),
    )
    records = [
        decode_record(w.record(w.RUN, run_body, 1)),
        decode_record(w.record(w.CONFIG, w.update([w.item(["model", "depth"], 4, nested=True)]))),
        decode_record(
            w.record(
                w.SUMMARY,
                w.update(
                    [
                        w.item(["_wandb", "runtime"], 3, nested=True),
                        w.item(["acc"], 0.5, nested=True),
                        w.item(["h", "_type"], "histogram", nested=True),
                        w.item(["h", "bins"], [1, 2], nested=True),
                        w.item(["gone"], 1, nested=True),
                    ]
                ),
            )
        ),
        decode_record(
            w.record(
                w.SUMMARY,
                w.update([w.item(["acc"], math.nan, nested=True)], [w.f_bytes(2, "gone")]),
            )
        ),
        decode_record(w.record(w.EXIT, w.exit_body(0, 5))),
    ]
    snapshot = repr(records)
    fold = RunFold().extend(records)
    assert fold.config == {
        "model": {"depth": 4, "act": "relu"},
        "wrapper_like": {"value": 1, "desc": "x"},
    }
    assert fold.config_internal == {}
    summary = fold.flat_summary()
    assert set(summary) == {"acc", "h"} and math.isnan(summary["acc"])
    assert summary["h"] == {"_type": "histogram", "bins": [1, 2]}
    assert fold.summary_internal == {"runtime": 3}
    assert fold.has_exit and fold.exit == ExitRecord(0, 0, 5)
    assert repr(records) == snapshot  # folding never changes the records
    assert isinstance(records[2], SummaryRecord)

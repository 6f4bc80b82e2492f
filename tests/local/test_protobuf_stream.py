"""0.10.x's ``run-<id>.swanlab`` read without the SDK: the wire decoder on hand-made messages
(empty fields left out as proto3 does, bytes that are not protobuf), and the real streams of the
committed 0.10.3 folder against its console files and manifest."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from swansync.sources.swanlab.logdir import console, stream
from swansync.sources.swanlab.logdir.stream import WireError, fields
from tests.local.media_expect import load
from tests.local.test_backup_stream import BLOCK, _chunk


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number: int, value: int | bytes) -> bytes:
    if isinstance(value, int):
        return varint(number << 3) + varint(value)
    return varint(number << 3 | 2) + varint(len(value)) + value


def log_record(epoch: int, line: str, seconds: int) -> bytes:
    body = field(4, epoch) + field(3, field(1, seconds) + field(2, 5_000))
    if line:  # proto3 leaves an empty string out
        body = field(1, line.encode()) + body
    return field(16, body)


def media_record(key: str, step: int, typ: int, names: list[str]) -> bytes:
    items = b"".join(field(1, field(1, n.encode()) + field(3, 10)) for n in names)
    return field(14, field(1, key.encode()) + field(2, step) + field(3, typ) + field(5, items))


def write_log(records: list[bytes]) -> bytes:
    out = b":SWL" + (0xE1D6).to_bytes(2, "little") + b"\x02"
    for rec in records:
        assert len(out) % BLOCK + 7 + len(rec) < BLOCK
        out += _chunk(1, rec)
    return out


def test_fields_of_hand_made_messages() -> None:
    msg = field(1, b"key") + field(2, 300) + field(3, 2**40) + b"\x0d\x01\x02\x03\x04"
    assert list(fields(msg)) == [(1, b"key"), (2, 300), (3, 2**40), (1, b"\x01\x02\x03\x04")]
    for bad in (b"\x0a\x05ab", b"\x08", b"\x0b", b"\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"):
        with pytest.raises(WireError):
            list(fields(bad))


def test_log_and_media_records(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    run_dir = tmp_path / "run-1"
    run_dir.mkdir()
    data = write_log(
        [
            log_record(1, "first", 1_700_000_000),
            log_record(2, "", 1_700_000_001),
            b"\x82\x01\xff",  # field 16, length 255: runs past the record
            media_record("charts/line", 0, 6, ["000-a.json"]),
            media_record("page", 3, 9, ["003-b.html", "003-c.html"]),
            log_record(3, "third ✓", 1_700_000_002),
        ]
    )
    (run_dir / "run-abc.swanlab").write_bytes(data)
    with caplog.at_level(logging.WARNING):
        lines = list(stream.log_lines(run_dir))
    assert [(r.epoch, r.message, r.level) for r in lines] == [
        (1, "first", "INFO"),
        (2, "", "INFO"),
        (3, "third ✓", "INFO"),
    ]
    assert lines[0].ts is not None and lines[0].ts.timestamp() == 1_700_000_000.000005
    assert "not protobuf" in caplog.text
    names = stream.media_names(run_dir)
    assert {n: (m.key, m.kind) for n, m in names.items()} == {
        "000-a.json": ("charts/line", "echarts"),
        "003-b.html": ("page", "html"),
        "003-c.html": ("page", "html"),
    }


def test_the_real_0_10_stream_is_the_console_with_times() -> None:
    fx = load("new")
    for run in fx.manifest["runs"]:
        run_dir = fx.folder() / run["run_dir"]
        lines = list(stream.log_lines(run_dir))
        in_files = [line.text for line in console.read_console(run_dir, None, ended=False)]
        assert [r.message for r in lines] == in_files
        assert [r.epoch for r in lines] == list(range(1, len(lines) + 1))
        names = stream.media_names(run_dir)
        for item in run["media"]:
            found = [m for n, m in names.items() if n.startswith(f"{item['step']:03d}-")]
            assert item["key"] in {m.key for m in found}

"""0.7.x's ``backup.swanlab`` read without the SDK: records split across 32 KiB blocks, a tail
still being written, a damaged chunk (read up to there), and the real files of the committed
0.7.20 folder."""

from __future__ import annotations

import json
import logging
import zlib
from pathlib import Path
from typing import Any

import pytest

from swansync.sources.swanlab.logdir import backup
from tests.local.media_expect import load

BLOCK = 32 * 1024


def _chunk(kind: int, data: bytes) -> bytes:
    crc = zlib.crc32(data, zlib.crc32(bytes([kind])))
    return crc.to_bytes(4, "little") + len(data).to_bytes(2, "little") + bytes([kind]) + data


def write_stream(records: list[dict[str, Any]]) -> bytes:
    """A record stream as the SDK frames it (header, blocks, FULL/FIRST/MIDDLE/LAST chunks)."""
    out = bytearray(b":SWL" + (0xE1D6).to_bytes(2, "little") + b"\x01")
    for rec in records:
        data = (json.dumps(rec, ensure_ascii=False) + "\n").encode()
        first = True
        while True:
            left = BLOCK - len(out) % BLOCK
            if left < 7:
                out += bytes(left)
                continue
            room = left - 7
            if len(data) <= room:
                out += _chunk(1 if first else 4, data)
                break
            out += _chunk(2 if first else 3, data[:room])
            data, first = data[room:], False
    return bytes(out)


def _log(epoch: int, message: str, level: str = "INFO") -> dict[str, Any]:
    data = {"create_time": "2026-01-01T00:00:00+00:00", "message": message}
    return {"model_type": "Log", "data": {**data, "epoch": epoch, "level": level}}


def _column(key: str, kid: str, cls: str, ctype: str) -> dict[str, Any]:
    data = {"key": key, "kid": kid, "cls": cls, "column_type": ctype}
    return {"model_type": "Column", "data": data}


def _scalar(i: int) -> dict[str, Any]:
    return {"model_type": "Scalar", "data": {"metric": {"index": i, "data": 0.5}, "key": "x"}}


RECORDS = [
    _log(1, "hello"),
    *(_scalar(i) for i in range(400)),
    _column("__swanlab__.cpu.pct", "9", "SYSTEM", "FLOAT"),
    _log(2, "y" * 70_000, "WARN"),  # spans three blocks
    _column("charts/line", "4", "CUSTOM", "ECHARTS"),
    _log(3, "Traceback\nError: boom", "ERROR"),
]


def _run(tmp_path: Path, data: bytes) -> Path:
    run_dir = tmp_path / "run-x"
    run_dir.mkdir(exist_ok=True)
    (run_dir / backup.NAME).write_bytes(data)
    return run_dir


def test_records_across_blocks_are_read_whole(tmp_path: Path) -> None:
    data = write_stream(RECORDS)
    assert len(data) > 3 * BLOCK
    run_dir = _run(tmp_path, data)
    lines = list(backup.log_lines(run_dir))
    assert [(r.epoch, r.level, len(r.message)) for r in lines] == [
        (1, "INFO", 5),
        (2, "WARN", 70_000),
        (3, "ERROR", 21),
    ]
    assert backup.columns(run_dir) == {
        "9": backup.Column("__swanlab__.cpu.pct", "9", "SYSTEM", "FLOAT"),
        "4": backup.Column("charts/line", "4", "CUSTOM", "ECHARTS"),
    }


@pytest.mark.parametrize("cut", [1, 7, 100, 40_000])
def test_a_tail_being_written_is_not_read_yet(tmp_path: Path, cut: int) -> None:
    data = write_stream(RECORDS)
    whole = [r.epoch for r in backup.log_lines(_run(tmp_path, data))]
    partial = [r.epoch for r in backup.log_lines(_run(tmp_path, data[:-cut]))]
    assert partial == whole[: len(partial)] and len(partial) < len(whole)


def test_a_damaged_chunk_ends_the_read_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = bytearray(write_stream(RECORDS))
    where = data.index(b"Traceback")
    data[where] ^= 0xFF
    with caplog.at_level(logging.WARNING):
        epochs = [r.epoch for r in backup.log_lines(_run(tmp_path, bytes(data)))]
    assert epochs == [1, 2]
    assert "bad checksum" in caplog.text


def test_not_a_record_stream(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    run_dir = _run(tmp_path, b"PK\x03\x04 something else entirely")
    with caplog.at_level(logging.WARNING):
        assert list(backup.log_lines(run_dir)) == []
    assert "not a SwanLab record stream" in caplog.text
    assert backup.columns(tmp_path / "missing") == {}


def test_the_real_0_7_stream_names_every_series_and_line(tmp_path: Path) -> None:
    fx = load("old")
    for run in fx.manifest["runs"]:
        run_dir = fx.folder() / run["run_dir"]
        lines = list(backup.log_lines(run_dir))
        assert [r.epoch for r in lines] == list(range(1, len(lines) + 1))
        console_file = next((run_dir / "console").glob("2*.log")).read_text(encoding="utf-8")
        assert [r.message for r in lines if r.level != "ERROR"] == console_file.split("\n")[:-1]
        custom = {c.key for c in backup.columns(run_dir).values() if c.cls == "CUSTOM"}
        assert custom >= {m["key"] for m in run["media"]}

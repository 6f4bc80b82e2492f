"""The log framing: header, blocks, chunk kinds, cut tails, damage and resuming."""

from __future__ import annotations

import io
import os
import struct
import zlib
from pathlib import Path

import pytest

from swansync.errors import DataError
from swansync.sources.wandb.offline import WandbFileError, read_log
from swansync.sources.wandb.offline.framing import Scan
from tests.wandb import writer as w


def _history(step: int, pad: int = 0) -> bytes:
    items = [w.item(["_step"], step, nested=True), w.item(["loss"], 1 / (step + 1), nested=True)]
    if pad:
        items.append(w.item(["pad"], "x" * pad, nested=True))
    return w.record(w.HISTORY, w.history(items), num=step + 1)


def _scan(data: bytes, start: int = 0, size: int | None = None) -> tuple[list[int], Scan]:
    scan = Scan(io.BytesIO(data), start, len(data) if size is None else size)
    return [f.end for f in scan], scan


def _write(tmp_path: Path, data: bytes, name: str = "run-x.wandb") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_records_across_blocks_come_back_whole(tmp_path):
    # Sizes that make FIRST/MIDDLE/LAST chunks, records ending exactly at a block end, and
    # block trailers of every length 0..6.
    payloads = [_history(i, pad) for i, pad in enumerate([10, 40_000, 32_700, 70_000, 5, 0])]
    data, ends = w.frame(payloads)
    result = read_log(_write(tmp_path, data))
    assert result.end == "clean" and result.warnings == ()
    assert [r.step for r in result.records] == list(range(6))  # type: ignore[union-attr]
    assert result.end_offset == ends[-1] == result.file_size
    assert result.records[1].values["pad"] == "x" * 40_000  # type: ignore[union-attr]


@pytest.mark.parametrize("trailer", range(7))
def test_block_trailers_of_every_length_are_skipped(trailer):
    # First record fills block 0 up to BLOCK - trailer bytes; the next starts in block 1.
    target = w.BLOCK - trailer - len(w.HEADER) - 7  # payload bytes that fill the block
    pad = target - len(_history(0, 1)) + 1
    while len(_history(0, pad)) > target:  # the length prefixes grow with the pad
        pad -= 1
    first = _history(0, pad)
    data, ends = w.frame([first, _history(1)])
    assert ends[0] == w.BLOCK - trailer
    got, scan = _scan(data)
    assert got == ends and scan.end == "clean"
    got, scan = _scan(data, start=ends[0])  # resuming inside the trailer zone
    assert got == ends[1:]


def test_every_cut_of_a_multi_block_log_is_a_prefix_and_resumes_exactly():
    payloads = [_history(i, pad) for i, pad in enumerate([30_000, 3, 36_000, 7, 100])]
    data, ends = w.frame(payloads)
    whole, _ = _scan(data)
    cuts = sorted(set(range(0, 60)) | {e + d for e in ends for d in range(-8, 9)} | {w.BLOCK})
    for cut in (c for c in cuts if 0 <= c <= len(data)):
        got, scan = _scan(data, size=cut)
        assert got == [e for e in ends if e <= cut], cut
        assert scan.end in ("clean", "incomplete")
        assert scan.end_offset == (got[-1] if got else (7 if cut >= 7 else 0))
        rest, _ = _scan(data, start=scan.end_offset)
        assert got + rest == whole, cut


def test_a_short_or_empty_file_is_an_unwritten_log_not_an_error(tmp_path):
    for size in range(7):
        result = read_log(_write(tmp_path, w.HEADER[:size]))
        assert result.records == () and result.end_offset == 0
        assert result.end == ("clean" if size == 0 else "incomplete")
    result = read_log(_write(tmp_path, w.HEADER))
    assert result.records == () and result.end == "clean" and result.end_offset == 7


@pytest.mark.parametrize(
    "content",
    [b"hello world, not a log", b"{}", b":W&B\x00\x00\x00" + b"\x00" * 20, b"PK\x03\x04"],
)
def test_a_file_that_is_not_a_wandb_log_is_one_clear_error(tmp_path, content):
    path = _write(tmp_path, content, "weird.wandb")
    with pytest.raises(WandbFileError, match=r"weird\.wandb: not a W&B run log"):
        read_log(path)
    assert issubclass(WandbFileError, DataError)


def test_a_newer_format_version_is_named(tmp_path):
    data, _ = w.frame([_history(0)])
    path = _write(tmp_path, data[:6] + b"\x01" + data[7:])
    with pytest.raises(WandbFileError, match=r"unsupported \.wandb format version 1"):
        read_log(path)


def test_a_missing_file_and_a_shrunk_file_are_named(tmp_path):
    with pytest.raises(WandbFileError, match=r"nope\.wandb: cannot open"):
        read_log(tmp_path / "nope.wandb")
    data, ends = w.frame([_history(0), _history(1)])
    path = _write(tmp_path, data[: ends[0]])
    with pytest.raises(WandbFileError, match="fewer than the saved offset"):
        read_log(path, start=ends[1])
    with pytest.raises(ValueError, match="not 0 or a record boundary"):
        read_log(path, start=3)


def _corrupt(data: bytes, at: int, new: bytes) -> bytes:
    return data[:at] + new + data[at + len(new) :]


def _rechunk(data: bytes, at: int, kind: int, payload_len: int) -> bytes:
    """Rewrite the chunk header at ``at`` with a new kind and a valid CRC."""
    payload = data[at + 7 : at + 7 + payload_len]
    crc = zlib.crc32(bytes([kind]) + payload)
    return _corrupt(data, at, struct.pack("<IHB", crc, payload_len, kind))


def _damaged_cases():
    payloads = [_history(i) for i in range(4)]
    data, ends = w.frame(payloads)
    second = ends[0]  # where record 1's chunk header starts
    length = struct.unpack("<H", data[second + 4 : second + 6])[0]
    flipped = data[second + 10] ^ 0x40
    return (
        data,
        ends,
        {
            "checksum": _corrupt(data, second + 10, bytes([flipped])),
            "unknown type": _rechunk(data, second, 9, length),
            "middle without first": _rechunk(data, second, 3, length),
            "last without first": _rechunk(data, second, 4, length),
            "first then full": _rechunk(data, second, 2, length),
            "length past block": _corrupt(data, second + 4, struct.pack("<H", 40_000)),
            "zero header then data": _corrupt(data, second, b"\x00" * 7),
        },
    )


@pytest.mark.parametrize("case", list(_damaged_cases()[2]))
def test_damage_stops_the_read_with_a_warning_naming_file_and_offset(tmp_path, case):
    _, ends, cases = _damaged_cases()
    path = _write(tmp_path, cases[case])
    result = read_log(path)
    assert result.end == "corrupt"
    expected_records = 2 if case == "first then full" else 1
    # "first then full": record 1 opens (FIRST) and record 2 (FULL) starts while it is open.
    assert len(result.records) == expected_records - (1 if case == "first then full" else 0)
    assert result.end_offset == ends[0]
    bad_at = ends[1] if case == "first then full" else ends[0]
    assert len(result.warnings) == 1
    assert f"{path}: stopped at byte {bad_at} of {len(cases[case])}" in result.warnings[0]
    # No resynchronisation: nothing after the damage is returned, even though records 2 and 3
    # are intact; and a read resumed from the end offset stops at the same place.
    again = read_log(path, start=result.end_offset)
    assert again.records == () and again.end == "corrupt" and again.end_offset == ends[0]


def test_zeros_to_the_end_of_the_file_are_an_unwritten_tail():
    data, ends = w.frame([_history(0), _history(1)])
    padded = data + b"\x00" * 100
    got, scan = _scan(padded)
    assert got == ends and scan.end == "incomplete" and scan.problem is None


def test_a_record_whose_content_does_not_decode_is_skipped_with_a_warning(tmp_path):
    bad_json = w.record(w.HISTORY, w.history([w.item(["a"], None, nested=True, raw_json="{oops")]))
    bad_proto = b"\x0a\xff\xff"  # field 1, length-delimited, length runs past the end
    data, ends = w.frame([_history(0), bad_json, bad_proto, _history(1)])
    path = _write(tmp_path, data)
    result = read_log(path)
    assert [r.step for r in result.records] == [0, 1]  # type: ignore[union-attr]
    assert result.end == "clean" and result.end_offset == ends[-1]
    assert len(result.warnings) == 2
    assert f"skipped the record at byte {ends[0]}" in result.warnings[0]
    assert "'a': value is not JSON" in result.warnings[0]
    assert f"skipped the record at byte {ends[1]}" in result.warnings[1]


def test_reading_never_writes(tmp_path):
    data, _ = w.frame([_history(i) for i in range(3)])
    path = _write(tmp_path, data[:-5])
    os.utime(path, ns=(1_000_000_000, 2_000_000_000))
    before = sorted(os.listdir(tmp_path)), path.read_bytes(), path.stat().st_mtime_ns
    result = read_log(path)
    assert result.file_mtime_ns == 2_000_000_000 and result.file_size == len(data) - 5
    assert (sorted(os.listdir(tmp_path)), path.read_bytes(), path.stat().st_mtime_ns) == before


def test_a_log_read_can_be_streamed_and_iterated_again(tmp_path):
    from swansync.sources.wandb.offline import LogRead

    data, ends = w.frame([_history(0), _history(1)])
    path = _write(tmp_path, data + b"\x01\x02")
    read = LogRead(path)
    with pytest.raises(RuntimeError):
        read.result()
    first = [r.num for r in read]
    second = [r.num for r in read]
    assert first == second == [1, 2]
    result = read.result()
    assert result.end == "incomplete" and result.end_offset == ends[-1] and result.warnings == ()

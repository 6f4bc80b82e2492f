"""Reading a byte range of a log: a resumed read takes only the bytes after its start from the
disk, and ``stop`` ends a read at an earlier record boundary even when the file has grown."""

from __future__ import annotations

from pathlib import Path

import pytest

from swansync.sources.wandb.offline import HistoryRecord, read_log
from tests.wandb import writer as w
from tests.wandb.manifest import fixtures

GROWING = [f for f in fixtures() if f.entry["scenario"] == "growing"]


def _history(step: int, pad: int = 0) -> bytes:
    items = [w.item(["_step"], step, nested=True), w.item(["loss"], 1 / (step + 1), nested=True)]
    if pad:
        items.append(w.item(["pad"], "x" * pad, nested=True))
    return w.record(w.HISTORY, w.history(items), num=step + 1)


@pytest.mark.parametrize("fx", GROWING, ids=lambda f: f.sdk)
def test_a_resumed_read_of_a_growing_real_log_reads_only_the_new_bytes(fx, tmp_path):
    data = fx.log.read_bytes()
    live = tmp_path / fx.log.name
    live.write_bytes(b"")
    offset = written = 0
    for size in [s["size"] for s in fx.entry["snapshots"]] + [len(data)]:
        with live.open("ab") as out:
            out.write(data[written:size])
        written = size
        result = read_log(live, start=offset)
        # The header check (7 bytes), then every byte from the resume offset to the end, once.
        assert result.bytes_read == 7 + size - max(offset, 7)
        offset = result.end_offset


def test_stop_ends_a_read_at_an_earlier_boundary_of_a_grown_file(tmp_path):
    payloads = [_history(i, pad) for i, pad in enumerate([10, 40_000, 5, 70_000, 0, 3])]
    data, ends = w.frame(payloads)
    path = tmp_path / "run-x.wandb"
    path.write_bytes(data)
    whole = read_log(path)
    for i, stop in enumerate(ends):
        part = read_log(path, stop=stop)
        assert part.end_offset == stop and part.end == "clean"
        assert repr(part.records) == repr(whole.records[: i + 1])
        assert part.bytes_read == stop
        for j, start in enumerate(ends[: i + 1]):
            middle = read_log(path, start=start, stop=stop)
            assert repr(middle.records) == repr(whole.records[j + 1 : i + 1])
            assert middle.bytes_read == 7 + stop - start
    middle_records = read_log(path, start=ends[1], stop=ends[3]).records
    assert [r.step for r in middle_records if isinstance(r, HistoryRecord)] == [2, 3]


def test_a_stop_before_the_start_is_refused(tmp_path: Path):
    data, ends = w.frame([_history(0), _history(1)])
    path = tmp_path / "run-x.wandb"
    path.write_bytes(data)
    with pytest.raises(ValueError, match="before the start"):
        read_log(path, start=ends[1], stop=ends[0])

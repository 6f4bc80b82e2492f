"""The metric-export CSV parser against exports written by Python's own ``csv`` module.

An export is wide: ``step``, then a (value, timestamp) pair per key, labelled
``<run name>-<key>_step`` / ``..._timestamp``. The writer here is independent of the simulator's:
it quotes as a real CSV writer does (minimal or every field), ends lines with LF or CRLF, may start
with a UTF-8 BOM, spells numbers every way a server might, and leaves cells empty where a key has
no point at a step. Parsing must give back exactly the points written: NaN as NaN, -0.0 with its
sign, subnormals and ±1e308 bit for bit, timestamps to the millisecond.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from swansync.errors import DataError
from swansync.sources.base import CsvPoints
from swansync.transform import points_frame

from .strategies import doubles, examples, hostile_text, key_set, same_double, spell, spell_ms

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Export:
    keys: list[str]
    points: dict[str, dict[int, tuple[float, int]]]  # key -> step -> (value, ts ms)
    data: bytes
    after: dict[str, int]


@st.composite
def exports(draw: st.DrawFn) -> Export:
    keys = draw(key_set(min_size=1, max_size=5))
    run_name = draw(hostile_text(min_size=0, max_size=20))
    all_steps = draw(
        st.lists(
            st.one_of(st.integers(0, 200), st.integers(0, 2**63 - 1)),
            min_size=0,
            max_size=25,
            unique=True,
        ).map(sorted)
    )
    ts = st.integers(0, 4_102_444_800_000)  # 1970 .. 2100, in ms
    points: dict[str, dict[int, tuple[float, int]]] = {}
    for key in keys:
        mine = draw(st.lists(st.sampled_from(all_steps), unique=True)) if all_steps else []
        points[key] = {s: (draw(doubles), draw(ts)) for s in mine}
    crlf = draw(st.booleans())
    quote_all = draw(st.booleans()) or not crlf  # a bare CR inside an unquoted field is not CSV
    bom = draw(st.booleans())
    empty_rows = draw(st.booleans())  # steps where no key has a point still get a row

    buf = io.StringIO()
    writer = csv.writer(
        buf,
        lineterminator="\r\n" if crlf else "\n",
        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
    )
    header = ["step"]
    for key in keys:
        header += [f"{run_name}-{key}_step", f"{run_name}-{key}_timestamp"]
    writer.writerow(header)
    for step in all_steps:
        cells: list[str] = [str(step)]
        for key in keys:
            if step in points[key]:
                value, ms = points[key][step]
                cells += [spell(value, draw(st.integers(0, 15))), spell_ms(ms, draw(st.integers()))]
            else:
                cells += ["", ""]
        if empty_rows or any(c for c in cells[1:]):
            writer.writerow(cells)
    text = buf.getvalue()
    data = ("\ufeff" + text if bom else text).encode("utf-8")
    after = draw(st.dictionaries(st.sampled_from(keys), st.sampled_from([*all_steps, -1, 2**62])))
    return Export(keys, points, data, after)


def _ms(ts: datetime) -> int:
    return (ts - EPOCH) // timedelta(milliseconds=1)


@examples(ci=100, fuzz=2000)
@given(exports())
def test_export_csv_round_trips(export: Export) -> None:
    note(f"csv: {export.data!r}")
    points = CsvPoints(project="ws/p", run_id="r1", keys=tuple(export.keys), data=export.data)
    frame = points_frame("src", points, export.after)
    got: dict[tuple[str, int], tuple[Any, Any]] = {}
    for row in frame.iter_rows(named=True):
        k = (row["key"], row["step"])
        assert k not in got, f"duplicate point {k}"
        got[k] = (row["value"], row["ts"])
    want = {
        (key, step): vt
        for key, series in export.points.items()
        for step, vt in series.items()
        if step > export.after.get(key, -(2**63))
    }
    assert set(got) == set(want)
    for k, (value, ms) in want.items():
        got_value, got_ts = got[k]
        assert same_double(got_value, value), f"{k}: wrote {value!r}, parsed {got_value!r}"
        assert _ms(got_ts) == ms, f"{k}: wrote ts {ms}, parsed {got_ts}"
    assert set(frame.get_column("source")) <= {"src"}
    assert set(frame.get_column("run_id")) <= {"r1"}


@examples(ci=50, fuzz=500)
@given(exports(), st.integers(1, 3))
def test_wrong_column_count_is_a_data_error(export: Export, missing: int) -> None:
    """An export with fewer keys' columns than asked for is refused with a DataError, never
    parsed into shifted columns."""
    keys = [*export.keys, *(f"extra-{i}" for i in range(missing))]
    points = CsvPoints(project="ws/p", run_id="r1", keys=tuple(keys), data=export.data)
    table = list(csv.reader(io.StringIO(export.data.decode("utf-8-sig"), newline="")))
    data_rows = [row for row in table[1:] if row]
    try:
        frame = points_frame("src", points)
    except DataError:
        return
    # Only an export without data rows has nothing to misread; otherwise silence is a bug.
    assert not data_rows, f"a CSV with {missing} column pair(s) too few was accepted: {frame}"


@pytest.mark.parametrize(
    "step", [b"9223372036854775808", b"-9223372036854775809", b"1e19", b"9.3e18"]
)
def test_step_past_bigint_is_a_data_error(step: bytes) -> None:
    data = b"step,r-k_step,r-k_timestamp\n" + step + b",1.0,1735689600000\n"
    with pytest.raises(DataError, match="BIGINT"):
        points_frame("src", CsvPoints(project="ws/p", run_id="r1", keys=("k",), data=data))


def test_big_steps_are_read_exactly_not_through_a_float() -> None:
    big = 2**62 + 1  # a float would round it
    data = b"step,r-k_step,r-k_timestamp\n 5.0 ,1.0,1\n%d,2.0,2\n" % big
    frame = points_frame("src", CsvPoints(project="ws/p", run_id="r1", keys=("k",), data=data))
    assert frame.get_column("step").to_list() == [5, big]

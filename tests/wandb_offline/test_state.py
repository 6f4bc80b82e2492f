"""The run state a cursor carries: folded in pieces, with a trip through the cursor's JSON
between them, it equals the state of one read; NaN, ±inf and -0.0 survive the trip."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from swansync.sources.wandb.offline.records import HistoryRecord, StatsRecord
from swansync.sources.wandb.offline.state import LogState, as_number, points_after

VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, math.nan, math.inf, -math.inf, 1e308, 5e-324]),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.booleans(),
    st.none(),
    st.text(max_size=3),
    st.just({"_type": "image-file", "path": "x.png"}),
)


def _records(rows: list[dict[str, Any]]) -> list[HistoryRecord | StatsRecord]:
    out: list[HistoryRecord | StatsRecord] = []
    for step, values in enumerate(rows):
        out.append(
            HistoryRecord(step + 1, step, {"_step": step, "_timestamp": 1.5e9 + step, **values})
        )
        if step % 3 == 0:
            out.append(StatsRecord(1000 + step, None, {"cpu": float(step)}))
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b) and type(a) is type(b)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.dictionaries(st.sampled_from(["a", "b", "c/d"]), VALUES), max_size=25),
    cuts=st.lists(st.integers(min_value=0, max_value=40), max_size=4),
)
def test_folding_in_pieces_through_the_cursor_equals_one_fold(rows, cuts):
    records = _records(rows)
    whole = LogState("f")
    whole_points = list(whole.apply(records))
    state = LogState("f")
    points: list[tuple[str, int, float, int | None]] = []
    start = 0
    for cut in [*sorted(c % (len(records) + 1) for c in cuts), len(records)]:
        points += state.apply(records[start:cut])
        restored = LogState.from_cursor(state.to_cursor())
        assert restored is not None
        state, start = restored, max(start, cut)
    assert _same(points, whole_points)
    assert set(state.keys) == set(whole.keys)
    for key, stats in whole.keys.items():
        assert _same(state.keys[key].to_list(), stats.to_list()), key
        assert state.keys[key].scalar == stats.scalar
    assert (state.stats, state.rows, state.last_ts) == (whole.stats, whole.rows, whole.last_ts)
    # A second read of the range gives the same points again, numbered the same.
    assert _same(list(points_after(records, 0, dict.fromkeys(whole.keys))), whole_points)


def test_summary_statistics_and_kinds():
    state = LogState("f")
    rows: list[dict[str, Any]] = [
        {"x": 3.0, "t": "text"},
        {"x": math.nan, "m": {"_type": "image-file"}},
        {"x": -math.inf, "flag": True},
        {"x": -1.0},
        {"x": 7.0, "t": 2},
        {"x": -1.0},
    ]
    list(state.apply(_records(rows)))
    x = state.keys["x"]
    # last: the value at the last step; min/max over finite values, earliest step of a tie.
    assert x.to_list() == [1, 6, 5, -1.0, -1.0, 3, 7.0, 4]
    assert state.keys["t"].scalar  # a number came too: SCALAR, the text is not a point
    assert not state.keys["m"].scalar  # only a media object: MEDIA
    assert state.keys["flag"].last_value == 1.0
    assert state.keys["system.cpu"].to_list()[:3] == [1, 2, 1]  # two samples: steps 0, 1


def test_numbers():
    assert as_number(True) == 1.0 and as_number(False) == 0.0
    assert as_number(2**53 + 1) == float(2**53 + 1) and as_number(10**400) == math.inf
    assert as_number(-(10**400)) == -math.inf
    assert as_number(None) is None and as_number("1.5") is None and as_number([1]) is None


def test_a_cursor_of_another_version_or_garbage_is_no_cursor():
    assert LogState.from_cursor('{"v": 99}') is None
    assert LogState.from_cursor("not json") is None
    assert LogState.from_cursor('{"v": 1}') is None
    text = LogState("f", offset=7, size=9, mtime_ns=3).to_cursor()
    assert LogState.from_cursor(text) == LogState("f", offset=7, size=9, mtime_ns=3)

"""SwanLab's wide export CSV (spec 3.7) as a server we did not write may send it: a header
written by a real CSV writer (run names and keys with every CSV special, quoted, even across
lines), CRLF and a BOM, numbers in every spelling, empty cells, float timestamps. Parsed by
position like the SDK, the column count validated with a CSV parser."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

import polars as pl
import pytest

from swansync.errors import DataError
from swansync.sources.base import CsvPoints
from swansync.transform import points_frame
from tests.swanlab.exports import HOSTILE, same, write_export


def parse(keys: Sequence[str], data: bytes) -> dict[str, list[tuple[int, float, int | None]]]:
    frame = points_frame("s", CsvPoints("ws/p", "r1", tuple(keys), data))
    out: dict[str, list[tuple[int, float, int | None]]] = {k: [] for k in keys}
    for key, step, value, ts in frame.select("key", "step", "value", "ts").iter_rows():
        ms = None if ts is None else round(ts.timestamp() * 1000)
        out[key].append((step, value, ms))
    return out


@pytest.mark.parametrize("label", HOSTILE[:15], ids=range(15))
@pytest.mark.parametrize(
    "style", [{}, {"crlf": True}, {"bom": True}, {"crlf": True, "bom": True, "quote_all": True}]
)
def test_hostile_names_and_keys_are_mirrored(label: str, style: dict[str, bool]) -> None:
    keys = HOSTILE[:16]  # the client exports 16 keys per CSV
    series = {
        k: [(s, repr(float(s * 10 + i)), str(1_700_000_000_000 + s)) for s in range(i % 3, 6)]
        for i, k in enumerate(keys)
    }
    got = parse(keys, write_export(label, series, **style))
    for i, k in enumerate(keys):
        assert got[k] == [(s, float(s * 10 + i), 1_700_000_000_000 + s) for s in range(i % 3, 6)]


def test_the_other_hostile_keys_too() -> None:
    keys = HOSTILE[15:]
    series = {
        k: [(1, "1.0", "1700000000000"), (2, str(i), "1700000000001")] for i, k in enumerate(keys)
    }
    got = parse(keys, write_export(HOSTILE[4], series))
    assert got == {
        k: [(1, 1.0, 1_700_000_000_000), (2, float(i), 1_700_000_000_001)]
        for i, k in enumerate(keys)
    }


SPELLINGS = {
    "1e-05": 1e-05,
    "1E5": 1e5,
    "-0.0": -0.0,
    "0": 0.0,
    "NaN": math.nan,
    "nan": math.nan,
    "-nan": math.nan,
    "Infinity": math.inf,
    "inf": math.inf,
    "INF": math.inf,
    "-inf": -math.inf,
    "-Infinity": -math.inf,
    "+1.5": 1.5,
    ".5": 0.5,
    "5.": 5.0,
    "1.7976931348623157e308": 1.7976931348623157e308,
    "5e-324": 5e-324,  # subnormal
    "1e400": math.inf,  # overflows as Python's float() does
    "0.1": 0.1,
    " 2.5 ": 2.5,  # spaces, as float() accepts them
    "1_000.5": 1000.5,  # underscores, as float() accepts them
}


@pytest.mark.parametrize("quote_all", [False, True])
def test_every_number_spelling(quote_all: bool) -> None:
    texts = list(SPELLINGS)
    series = {"v": [(s, t, "1700000000000") for s, t in enumerate(texts)]}
    got = parse(["v"], write_export("run", series, quote_all=quote_all))["v"]
    assert [s for s, _, _ in got] == list(range(len(texts)))
    for (_, value, _), text in zip(got, texts, strict=True):
        assert same(value, SPELLINGS[text]), (text, value)


@pytest.mark.parametrize(
    ("ts", "ms"),
    [
        ("1700000000000", 1_700_000_000_000),
        ("1700000000000.0", 1_700_000_000_000),
        ("1.7e12", 1_700_000_000_000),
        ("1700000000123.0", 1_700_000_000_123),
        ("", None),
        ("NaN", None),
    ],
)
def test_timestamps_in_ms_any_spelling(ts: str, ms: int | None) -> None:
    got = parse(["a"], write_export("run", {"a": [(0, "1.0", ts)]}))
    assert got["a"] == [(0, 1.0, ms)]


def test_empty_cells_are_gaps_and_blank_lines_are_nothing() -> None:
    data = b"step,r-a_step,r-a_timestamp,r-b_step,r-b_timestamp\n0,1,5,,\n1,,,2,6\n2, ,,3,7\n\n"
    got = parse(["a", "b"], data)
    assert got == {"a": [(0, 1.0, 5)], "b": [(1, 2.0, 6), (2, 3.0, 7)]}


def test_integral_steps_written_as_floats() -> None:
    data = b"step,r-a_step,r-a_timestamp\n1.0,1,5\n2e0,2,6\n"
    assert parse(["a"], data) == {"a": [(1, 1.0, 5), (2, 2.0, 6)]}


def test_header_only_and_empty_are_no_points() -> None:
    assert parse(["a"], b"step,r-a_step,r-a_timestamp\n") == {"a": []}
    assert parse(["a"], b"step,r-a_step,r-a_timestamp") == {"a": []}
    assert parse(["a"], b"") == {"a": []}
    assert parse(["a"], b"\xef\xbb\xbf") == {"a": []}


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"step,a_step,a_timestamp\n1,2,3\n", "has 3 columns, expected 5 for 2 key(s)"),
        (b'step,"a,b_step","a,b_timestamp",x\n1,2,3\n', "has 4 columns, expected 5"),
        (b'step,"a_step,a_timestamp\n1,2,3\n', "unterminated quote"),
        (b"step,a_step,a_timestamp,b_step,b_timestamp\n1,2,3,4\n", "row 1 has 4 fields"),
        (b"step,a_step,a_timestamp,b_step,b_timestamp\n1,2,3,4,5\n2,1\n", "row 2 has 2 fields"),
        (b"step,a_step,a_timestamp,b_step,b_timestamp\n1,2,3,4,5,6\n", "row 1 has 6 fields"),
        (b"step,a_step,a_timestamp,b_step,b_timestamp\n1,abc,3,,\n", "key 'a' at step 1: 'abc'"),
        (b"step,a_step,a_timestamp,b_step,b_timestamp\n1.5,1,3,,\n", "step '1.5'"),
        (b"step,a_step,a_timestamp,b_step,b_timestamp\n,1,3,,\n", "a row without a step"),
    ],
)
def test_malformed_exports_are_one_line_data_errors(data: bytes, words: str) -> None:
    with pytest.raises(DataError) as e:
        points_frame("s", CsvPoints("ws/p", "r1", ("a", "b"), data))
    assert words in str(e.value)
    assert str(e.value).startswith("metric export for run 'r1'") and "\n" not in str(e.value)


def test_random_names_from_a_hostile_alphabet() -> None:
    """Seeded, so it is the same every run; the property tests search much wider."""
    rng = random.Random(10)
    alphabet = ",\"'\n\r\t; /%\\ü损🔥aZ0.-_e"
    for _ in range(40):
        keys = list({"".join(rng.choices(alphabet, k=rng.randint(0, 12))) for _ in range(16)})
        label = "".join(rng.choices(alphabet, k=rng.randint(0, 30)))
        series = {
            k: [(s, repr(rng.uniform(-1e9, 1e9)), str(1_700_000_000_000 + s)) for s in range(3)]
            for k in keys
        }
        got = parse(keys, write_export(label, series, crlf=rng.random() < 0.5))
        for k in keys:
            assert got[k] == [(s, float(v), int(t)) for s, v, t in series[k]]


def test_points_frame_keeps_its_schema() -> None:
    frame = points_frame("s", CsvPoints("ws/p", "r1", ("a",), b"step,a_step,a_timestamp\n0,1,2\n"))
    assert list(frame.schema.items()) == [
        ("source", pl.String()),
        ("project", pl.String()),
        ("run_id", pl.String()),
        ("key", pl.String()),
        ("step", pl.Int64()),
        ("value", pl.Float64()),
        ("ts", pl.Datetime("us", "UTC")),
    ]

"""The truth comparison both simulators' suites use (tests/support/truth.py) sees each kind of
difference it promises to see: without this, a comparator that always says [] passes them all."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import polars as pl
import pytest

from tests.support import truth
from tests.support.truth import diff_points, diff_table, same

POINTS = {
    "run_id": ["r1", "r1", "r2"],
    "key": ["loss", "loss", "acc"],
    "step": [0, 1, 0],
    "value": [0.5, math.nan, -0.0],
    "ts_ms": [1000, 2000, 3000],
}


def _points(**changes: Any) -> pl.DataFrame:
    return pl.DataFrame({**POINTS, **changes})


@pytest.fixture
def loose_zero() -> Iterator[None]:
    truth.ZERO_SIGN["strict"] = False
    try:
        yield
    finally:
        truth.ZERO_SIGN["strict"] = True


def test_values_compare_exactly() -> None:
    assert same(math.nan, math.nan) and same({"a": [1, 2.0]}, {"a": [1.0, 2]})
    assert not same(0.0, -0.0)
    assert not same(1.0, math.nextafter(1.0, 2.0))
    assert not same({"a": [math.nan]}, {"a": [0.0]})
    assert not same(True, 1.0) and not same({"a": 1}, {"a": 1, "b": 2})


def test_tables_report_missing_unexpected_and_differing_rows() -> None:
    want: dict[str, list[Any]] = {"id": ["a", "b"], "x": [1.0, -0.0]}
    assert diff_table("t", want, dict(want), ("id",), ["x"]) == []
    got: dict[str, list[Any]] = {"id": ["b", "c"], "x": [0.0, 1.0]}
    assert diff_table("t", want, got, ("id",), ["x"]) == [
        "t: missing ('a',)",
        "t: unexpected ('c',)",
        "t ('b',) x: want -0.0, got 0.0",
    ]


def test_points_report_each_kind_of_difference() -> None:
    assert diff_points(_points(), _points()) == []
    assert diff_points(_points(), _points(value=[0.5, 1.0, -0.0]))[0].startswith(
        "metrics: 1 points differ"
    )
    assert diff_points(_points(), _points(value=[0.5, math.nan, 0.0]))[0].startswith(
        "metrics: 1 points differ"
    )
    assert diff_points(_points(), _points(ts_ms=[1000, 2001, 3000]))[0].startswith(
        "metrics: 1 points differ"
    )
    assert [p.split(",")[0] for p in diff_points(_points(), _points(step=[0, 2, 0]))] == [
        "metrics: 1 missing points",
        "metrics: 1 unexpected points",
    ]
    doubled = pl.concat([_points(), _points().head(1)])
    assert diff_points(_points(), doubled)[0].startswith("metrics: 1 duplicated (run_id")


@pytest.mark.usefixtures("loose_zero")
def test_the_lake_suite_can_forgive_the_sign_of_zero_and_nothing_else() -> None:
    assert same(0.0, -0.0)
    assert diff_points(_points(), _points(value=[0.5, math.nan, 0.0])) == []
    assert diff_points(_points(), _points(value=[0.5, math.nan, 1.0])) != []

"""Pure transforms: config flattening, CSV parsing, bookmark filtering."""

from __future__ import annotations

import json
import math

import polars as pl
import pytest

from swansync import transform
from swansync.errors import DataError
from swansync.sources.base import CsvPoints, SeriesPoints


def test_flatten_config_leaves():
    cfg = {
        "optim": {"betas": [0.9, 0.999], "name": "adamw", "sched": {"warmup": 50}},
        "empty": {},
        "none": None,
        "list": [],
        "mixed": [{"a": 1}, [2, 3]],
        "unicode": "学习率",
    }
    got = dict(transform.flatten_config(cfg))
    assert got == {
        "optim.betas[0]": 0.9,
        "optim.betas[1]": 0.999,
        "optim.name": "adamw",
        "optim.sched.warmup": 50,
        "empty": {},
        "none": None,
        "list": [],
        "mixed[0].a": 1,
        "mixed[1][0]": 2,
        "mixed[1][1]": 3,
        "unicode": "学习率",
    }


def test_run_config_frame_types_and_json():
    run = _run({"a": True, "b": 2, "c": "x", "d": None, "e": float("nan")})
    frame = transform.run_config_frame("src", [run]).sort("key")
    rows = {r["key"]: r for r in frame.iter_rows(named=True)}
    assert rows["a"]["value_bool"] is True and rows["a"]["value_double"] is None
    assert rows["b"]["value_double"] == 2.0 and rows["b"]["value_text"] is None
    assert rows["c"]["value_text"] == "x" and json.loads(rows["c"]["value"]) == "x"
    assert rows["d"]["value"] == "null"
    assert math.isnan(rows["e"]["value_double"]) and json.loads(rows["e"]["value"]) == "NaN"


def test_points_from_csv_long_format_with_gaps_and_nonfinite():
    data = (
        b"step,r-a_step,r-a_timestamp,r-b_step,r-b_timestamp\n"
        b"3,NaN,1765302001234,1.5,1765302001234\n"
        b"4,inf,1765302001300,,\n"
        b"5,-INF,1765302001400,0.1,1765302001400\n"
    )
    frame = transform.points_frame("s", CsvPoints("p/x", "r1", ["a", "b"], data))
    assert frame.columns == ["source", "project", "run_id", "key", "step", "value", "ts"]
    a = frame.filter(pl.col("key") == "a").sort("step")
    assert a["step"].to_list() == [3, 4, 5]
    vals = a["value"].to_list()
    assert math.isnan(vals[0]) and vals[1] == math.inf and vals[2] == -math.inf
    b = frame.filter(pl.col("key") == "b").sort("step")
    assert b["step"].to_list() == [3, 5]  # the empty cell at step 4 is no point
    assert b["ts"][0].timestamp() == pytest.approx(1765302001.234)


def test_points_after_step_and_duplicates_dropped():
    pts = SeriesPoints("p/x", "r1", "loss", [1, 2, 3, 3, 4], [1.0, 2.0, 3.0, 3.5, 4.0], [None] * 5)
    frame = transform.points_frame("s", pts, {"loss": 2})
    assert frame["step"].to_list() == [3, 4]
    assert frame["value"].to_list() == [3.5, 4.0]


def test_csv_with_wrong_column_count_is_a_data_error():
    data = b"step,a_step,a_timestamp\n1,2,3\n"
    with pytest.raises(DataError, match="expected 5"):
        transform.points_frame("s", CsvPoints("p/x", "r1", ["a", "b"], data))


def test_csv_with_garbage_value_is_a_data_error():
    data = b"step,a_step,a_timestamp\n1,abc,3\n"
    with pytest.raises(DataError, match="malformed"):
        transform.points_frame("s", CsvPoints("p/x", "r1", ["a"], data))


def _run(config):
    return {
        "project": "ws/p",
        "run_id": "r1",
        "slug": None,
        "name": "n",
        "description": None,
        "state": "FINISHED",
        "cluster": None,
        "job": None,
        "labels": [],
        "username": None,
        "created_at": None,
        "finished_at": None,
        "url": None,
        "config": config,
        "metadata": {},
        "requirements": None,
        "conda": None,
        "pinned": False,
        "project_id": None,
        "root_project_id": None,
        "root_run_id": None,
        "raw": {},
        "has_profile": True,
        "change_marker": "",
    }

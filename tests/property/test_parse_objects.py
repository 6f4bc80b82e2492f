"""SwanLab JSON objects with extra, missing and mistyped fields -> a record, a Rejected or a
DataError; never another exception, and never a record the transform cannot store.

Objects start from the shapes the spec documents, then fields are dropped, replaced by arbitrary
JSON (as ``json.loads`` returns it: big integers, NaN and ±Infinity included) or added.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import pytest
from hypothesis import example, given, note
from hypothesis import strategies as st

from swansync import transform
from swansync.errors import DataError
from swansync.sources.base import ProjectRecord, Rejected, RunRecord
from swansync.sources.swanlab.cloud import parse
from swansync.sources.swanlab.cloud.source import SwanLabSource

from .strategies import examples, hostile_text, json_objects, json_values

NOW = datetime(2025, 1, 1, tzinfo=UTC)
WEB = "https://swanlab.example"

# Scalars json.loads can hand over that the happy path never sees.
odd_scalar: st.SearchStrategy[Any] = st.sampled_from(
    [
        10**400,
        -(10**400),
        2**63,
        -(2**63) - 1,
        1e300,
        -1e300,
        math.nan,
        math.inf,
        -math.inf,
        -0.0,
        "",
        " ",
        "NaN",
        "Infinity",
        "1e400",
        "-1",
        "0x10",
        "2025-13-45T00:00:00Z",
        "2025-01-01T00:00:00+25:00",
        "9999-12-31T23:59:59.999999999Z",
        "0001-01-01T00:00:00Z",
        "99999999999999999999",
        "1735689600000.5",
        True,
        False,
        None,
        [],
        {},
        {"index": 1e300, "data": "NaN"},
        {"name": 3},
    ]
)
anything = st.one_of(odd_scalar, json_values(max_leaves=6))


@lru_cache
def times() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat().replace("+00:00", "Z")),
        st.integers(-(10**14), 10**14),
        st.floats(allow_nan=True, allow_infinity=True),
        odd_scalar,
    )


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    obj = dict(base)
    for name in draw(st.lists(st.sampled_from(sorted(base)), unique=True, max_size=5)):
        if draw(st.booleans()):
            del obj[name]
        else:
            obj[name] = draw(anything)
    obj.update(draw(st.dictionaries(hostile_text(max_size=8), anything, max_size=3)))
    return obj


@st.composite
def project_objects(draw: st.DrawFn) -> dict[str, Any]:
    base = {
        "cuid": draw(st.text(min_size=1, max_size=25)),
        "name": draw(hostile_text()),
        "path": draw(st.one_of(st.just("alice/p"), st.just("@alice/p"), hostile_text())),
        "username": draw(hostile_text()),
        "description": draw(hostile_text(min_size=0)),
        "visibility": draw(st.sampled_from(["PRIVATE", "PUBLIC"])),
        "createdAt": draw(times()),
        "updatedAt": draw(times()),
        "group": {"type": "TEAM", "username": draw(hostile_text()), "name": "x"},
        "projectLabels": draw(st.lists(st.fixed_dictionaries({"name": hostile_text()}))),
        "_count": {"experiments": draw(st.integers(0, 10**6))},
    }
    return draw(mutated(base))


def wrapped(config: dict[str, Any]) -> dict[str, Any]:
    return {k: {"value": v, "desc": "", "sort": i} for i, (k, v) in enumerate(config.items())}


@st.composite
def run_objects(draw: st.DrawFn) -> dict[str, Any]:
    profile = {
        "config": wrapped(draw(json_objects(max_leaves=8))),
        "metadata": draw(json_objects(max_leaves=6)),
        "requirements": draw(hostile_text(min_size=0)),
        "conda": None,
    }
    base = {
        "cuid": draw(st.text(min_size=1, max_size=25)),
        "slug": draw(hostile_text()),
        "name": draw(hostile_text(min_size=0)),
        "description": draw(hostile_text(min_size=0)),
        "state": draw(st.sampled_from(["RUNNING", "FINISHED", "CRASHED", "ABORTED", "OFFLINE"])),
        "labels": draw(st.lists(st.fixed_dictionaries({"name": hostile_text()}), max_size=2)),
        "user": {"username": draw(hostile_text())},
        "cluster": draw(hostile_text(min_size=0)),
        "job": draw(hostile_text(min_size=0)),
        "pin": draw(st.booleans()),
        "createdAt": draw(times()),
        "finishedAt": draw(times()),
        "updatedAt": draw(times()),
        "rootProId": "",
        "rootExpId": "",
        "project_id": "pcuid",
        "profile": draw(mutated(profile)) if draw(st.booleans()) else profile,
    }
    return draw(mutated(base))


PROJECT = ProjectRecord(
    project="alice/p",
    project_id="pcuid",
    workspace="alice",
    name="p",
    description=None,
    visibility=None,
    labels=[],
    run_count=None,
    created_at=None,
    updated_at=None,
    url=None,
    raw={},
)


def _check_datetime(value: Any) -> None:
    assert value is None or (isinstance(value, datetime) and value.tzinfo is not None), value


@examples(ci=80, fuzz=1000)
@given(project_objects())
@example({"cuid": "p", "path": "a/p", "createdAt": 1e20})  # OSError from fromtimestamp
def test_project_object_is_a_record_or_a_data_error(obj: dict[str, Any]) -> None:
    note(repr(obj))
    try:
        rec = parse.project_record(obj, WEB, fallback_ws="alice")
    except DataError:
        return
    for col in ("created_at", "updated_at"):
        _check_datetime(rec[col])
    assert all(isinstance(label, str) for label in rec["labels"])
    transform.projects_frame("src", [rec], NOW)  # storable as it is


@examples(ci=60, fuzz=1000)
@given(run_objects(), st.booleans())
@example({"cuid": "r", "createdAt": 1e20}, True)  # OSError (errno 75) from fromtimestamp
@example({"cuid": "r", "finishedAt": 1e300}, True)  # OverflowError: timestamp out of range
@example({"cuid": "r", "createdAt": 10**400}, False)  # OverflowError: int too large for float
def test_run_object_is_a_record_or_a_data_error(obj: dict[str, Any], detail: bool) -> None:
    note(repr(obj))
    try:
        rec = parse.run_record(obj, PROJECT, WEB, detail=detail)
    except DataError:
        return
    _check_stored(rec)


def _check_stored(rec: RunRecord) -> None:
    for col in ("created_at", "finished_at"):
        _check_datetime(rec[col])
    for value in (
        rec["slug"],
        rec["name"],
        rec["description"],
        rec["state"],
        rec["cluster"],
        rec["job"],
        rec["username"],
    ):
        assert value is None or isinstance(value, str), value
    assert isinstance(rec["change_marker"], str)
    transform.runs_frame("src", [rec], NOW)
    transform.run_config_frame("src", [rec])


summary_items = st.one_of(
    st.fixed_dictionaries(
        {
            "step": st.one_of(st.integers(0, 10**6), odd_scalar),
            "value": st.one_of(st.floats(), odd_scalar),
            "min": st.one_of(
                st.fixed_dictionaries({"index": st.integers(0, 99), "data": st.floats()}),
                odd_scalar,
            ),
            "max": st.one_of(st.floats(), odd_scalar),
        }
    ).flatmap(mutated),
    anything,
)


@examples(ci=150, fuzz=2000)
@given(st.one_of(st.dictionaries(hostile_text(), summary_items, max_size=4), anything))
@example({"k": {"min": 10**400}})  # OverflowError: int too large to convert to float
@example({"k": {"step": 2**63, "value": 1}})  # a step no BIGINT holds: a DataError
def test_summary_entry_is_records_or_a_data_error(per_key: Any) -> None:
    note(repr(per_key))
    try:
        recs = parse.summary_records("alice/p", "r1", per_key)
    except DataError:
        return
    transform.summaries_frame("src", recs, NOW)


@pytest.mark.parametrize("raw", [2**63, -(2**63) - 1, 1e19, "99999999999999999999"])
def test_step_past_bigint_is_a_data_error(raw: Any) -> None:
    with pytest.raises(DataError):
        parse.summary_records("alice/p", "r1", {"k": {"step": raw, "value": 1.0}})


class _OnePage:
    """Stands in for the HTTP client: one page of run objects, then nothing."""

    def __init__(self, items: list[Any]) -> None:
        self.items = items

    def call(self, method: str, path: str, **kw: Any) -> Any:
        page = kw.get("params", {}).get("page", 1)
        items = self.items if page == 1 else []
        return {"list": items, "total": len(self.items), "pages": 1}

    def close(self) -> None:
        return None


@examples(ci=40, fuzz=500)
@given(st.lists(st.one_of(run_objects(), anything), max_size=5))
def test_run_list_yields_records_and_rejects(items: list[Any]) -> None:
    """A run list holding anything: every item is a record or a Rejected (or the page itself is
    refused with a DataError when it holds a non-object); nothing else escapes."""
    note(repr(items))
    source = SwanLabSource("http://127.0.0.1:9", "k" * 21)
    source.client = _OnePage(items)  # type: ignore[assignment]
    try:
        out = list(source.list_runs(PROJECT))
    except DataError:
        assert any(not isinstance(i, dict) for i in items)
        return
    finally:
        source.close()
    assert all(isinstance(x, dict | Rejected) for x in out)
    ids = [x["run_id"] for x in out if isinstance(x, dict)]
    assert len(ids) == len(set(ids))
    for rec in out:
        if isinstance(rec, dict):
            _check_stored(rec)

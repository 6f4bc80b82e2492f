"""Run filters, order and cursors: as functions and over HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest

from trackersim.wandb import SimServer, World, build_world
from trackersim.wandb.filters import (
    MISSING,
    compare,
    decode_cursor,
    keyset_cursor,
    matches,
    offset_cursor,
    parse_filters,
)
from trackersim.wandb.gql import GqlError
from trackersim.wandb.model import Run

from .client import Gql, all_runs


@pytest.fixture(scope="module")
def runs() -> list[Run]:
    return list(build_world("small", seed=0).project("alice/sweep").live_runs())


def _select(runs: list[Run], doc: dict[str, Any]) -> list[str]:
    return [r.display_name for r in runs if matches(r, parse_filters(json.dumps(doc)))]


def test_operators(runs: list[Run]) -> None:
    names = [r.display_name for r in runs]
    assert _select(runs, {}) == names
    assert _select(runs, {"state": "crashed"}) == [
        r.display_name for r in runs if r.state == "crashed"
    ]
    assert _select(runs, {"state": {"$ne": "finished"}}) == _select(
        runs, {"state": {"$in": ["crashed", "running"]}}
    )
    assert _select(runs, {"state": {"$nin": ["finished", "crashed"]}}) == names[115:]
    assert _select(runs, {"display_name": {"$regex": "SWEEP-00[12]", "$options": "i"}}) == [
        "sweep-001",
        "sweep-002",
    ]
    assert _select(runs, {"display_name": {"$not": {"$regex": "^sweep-0"}}}) == names[100:]
    assert _select(runs, {"tags": {"$all": ["baseline", "sweep", "a/b", "ünï"]}}) == [
        n for i, n in enumerate(names) if i % 16 == 15
    ]
    assert _select(runs, {"tags": {"$size": 0}}) == [n for i, n in enumerate(names) if i % 16 == 0]
    assert _select(runs, {"tags": {"$exists": True}}) == names
    assert _select(runs, {"config.nope": {"$exists": False}}) == names
    assert _select(runs, {"config.nope": None}) == names  # missing equals null, as in MongoDB
    assert _select(runs, {"config.lr": {"$gt": "0.001"}}) == []  # strings never compare to numbers
    assert _select(runs, {"$nor": [{"state": "finished"}, {"state": "crashed"}]}) == names[115:]
    both = {"$and": [{"config.optimizer.value.name": "adam"}, {"config.batch_size": {"$lte": 16}}]}
    assert _select(runs, both) == [n for i, n in enumerate(names) if i % 2 and i % 3 == 0]
    assert _select(runs, {"duration": {"$gt": 0}}) == names
    assert _select(runs, {"heartbeatAt": {"$gte": "2025-01-01T23:59:59Z"}}) == []
    assert _select(runs, {"createdAt": {"$lte": "2025-01-01T01:20:00"}}) == [
        "sweep-000",
        "sweep-001",
    ]
    assert _select(runs, {"createdAt": {"$lt": 1735694400}}) == ["sweep-000"]  # 01:20:00 UTC


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("{", "not JSON"),
        ("[1]", "must be a JSON object"),
        ('{"state": {"$foo": 1}}', "unknown operator $foo"),
        ('{"$where": "1"}', "unknown top-level operator"),
        ('{"colour": "red"}', "unknown field 'colour'"),
        ('{"state": {"$in": "running"}}', "takes a list"),
        ('{"$or": {"state": "running"}}', "takes a list of objects"),
        ('{"createdAt": {"$gt": "yesterday"}}', "needs a date-time"),
        ('{"display_name": {"$regex": "("}}', "bad $regex"),
        ('{"state": {"$not": "x"}}', "$not on state"),
    ],
)
def test_bad_filters_are_errors(text: str, fragment: str) -> None:
    with pytest.raises(GqlError) as info:
        parse_filters(text)
    assert fragment in info.value.message


def test_bad_filters_over_http_are_graphql_errors(gql: Gql) -> None:
    q = (
        'query R($f: JSONString) { project(name: "sweep", entityName: "alice") {'
        " runCount(filters: $f) } }"
    )
    errors = gql.errors(q, {"f": '{"colour": "red"}'})
    assert errors == ["invalid filters: unknown field 'colour'"]
    assert gql.errors(
        'query { project(name: "sweep", entityName: "alice") {'
        ' runs(order: "+colour") { edges { cursor } } } }'
    ) == ["invalid order '+colour'"]


def test_orders_over_http(small_world: World, gql: Gql) -> None:
    project = small_world.project("alice/sweep")
    live = project.live_runs()
    newest_first = [r.name for r in sorted(live, key=lambda r: (-r.created_s, r.name))]
    assert all_runs(gql, "alice/sweep", o="-created_at") == newest_first
    by_lr = sorted(live, key=lambda r: (r.config["lr"]["value"], r.name))
    assert all_runs(gql, "alice/sweep", first=9, o="+config.lr.value") == [r.name for r in by_lr]
    # missing values sort last in both directions
    quirks = all_runs(gql, "alice/quirks", o="-config.state.value")
    stated = [r for r in small_world.project("alice/quirks").live_runs() if "state" in r.config]
    assert quirks[: len(stated)] == [
        r.name for r in sorted(stated, key=lambda r: r.config["state"]["value"], reverse=True)
    ]


def test_cursors_round_trip_and_compare() -> None:
    assert decode_cursor(offset_cursor(41)) == ("offset", 41)
    assert decode_cursor(keyset_cursor(3.5, "abc")) == ("keyset", (3.5, "abc"))
    assert decode_cursor(keyset_cursor(MISSING, "abc"))[1][0] is MISSING
    for bad in ("***", "bm9wZQ=="):
        with pytest.raises(GqlError):
            decode_cursor(bad)
    assert compare((1, "a"), (2, "a"), desc=False) < 0 < compare((1, "a"), (2, "a"), desc=True)
    assert compare((MISSING, "a"), (2, "a"), desc=True) > 0  # missing last even descending
    assert compare((1, "a"), (1, "b"), desc=True) < 0  # ties on the run id, ascending


@pytest.mark.parametrize("style", ["offset", "keyset"])
def test_pages_while_runs_come_and_go(style: str) -> None:
    world = build_world("small", seed=0, cursor_style=style, runs_added_per_page=1)
    with SimServer(world) as sim:
        gql = Gql(sim)
        before = world.runs("alice/sweep")
        seen = all_runs(gql, "alice/sweep", first=30, o="-created_at")
        gql.close()
    if style == "offset":  # each new run pushes the listing back by one: duplicates
        assert len(seen) == 120 + 4 and set(seen) == set(before)
        assert len(world.runs("alice/sweep")) == 124  # a run per page served mid-listing
    else:  # the new runs are newer than the cursor: not seen, nothing repeated
        assert seen == list(reversed(before))
        assert len(world.runs("alice/sweep")) == 123


def test_deleting_while_paging_skips_runs_with_offset_cursors() -> None:
    world = build_world("small", seed=0, runs_deleted_per_page=2)
    before = world.runs("alice/sweep")
    with SimServer(world) as sim:
        gql = Gql(sim)
        seen = all_runs(gql, "alice/sweep", first=20)
        gql.close()
    deleted = set(before) - set(world.runs("alice/sweep"))
    assert deleted and deleted <= set(seen) and len(seen) == len(set(seen))
    missed = set(before) - set(seen)  # live runs that slid into the deleted runs' places
    assert missed and not missed & deleted

"""Paginators (loop guards, U4 variants) and --filter parsing/matching."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from swansync.errors import ApiError, ConfigError, DataError
from swansync.filters import matches, parse_filter
from swansync.sources.base import RunFilter, RunRecord
from swansync.sources.swanlab.cloud.filters import to_swanlab
from swansync.sources.swanlab.cloud.paging import iter_cursor, iter_pages


def pages_of(items: list[int], size: int, *, pages: bool = True, total: bool = True):
    def fetch(p: int) -> Any:
        chunk = items[(p - 1) * size : p * size]
        body: dict[str, Any] = {"list": [{"cuid": f"c{i}"} for i in chunk], "size": size}
        if pages:
            body["pages"] = max(1, -(-len(items) // size))
        if total:
            body["total"] = len(items)
        return body

    return fetch


@pytest.mark.parametrize(("pages", "total"), [(True, True), (False, True), (False, False)])
@pytest.mark.parametrize("n", [0, 3, 10, 25])
def test_iter_pages_all_items(pages: bool, total: bool, n: int) -> None:
    got = list(
        iter_pages(
            pages_of(list(range(n)), 10, pages=pages, total=total), what="x", size=10, route="r"
        )
    )
    assert [g["cuid"] for g in got] == [f"c{i}" for i in range(n)]


def test_iter_pages_repeated_page_is_error() -> None:
    def fetch(p: int) -> Any:  # ignores page, claims many pages
        return {"list": [{"cuid": "a"}, {"cuid": "b"}], "pages": 5}

    with pytest.raises(ApiError, match="repeats"):
        list(iter_pages(fetch, what="x", size=2, route="r"))


def test_iter_pages_not_a_page() -> None:
    with pytest.raises(DataError):
        list(iter_pages(lambda p: [1, 2], what="x", size=2, route="r"))


def test_iter_cursor_and_repeat_guard() -> None:
    pages = {"": ("a", "c1"), "c1": ("b", "c2"), "c2": ("c", "")}
    got = list(
        iter_cursor(
            lambda c: {
                "keys": [pages[c][0]],
                "hasMore": bool(pages[c][1]),
                "nextCursor": pages[c][1],
            },
            what="k",
            route="r",
        )
    )
    assert got == ["a", "b", "c"]
    loop = {"": "c1", "c1": "c2", "c2": "c1"}
    with pytest.raises(ApiError, match="repeated cursor"):
        list(
            iter_cursor(
                lambda c: {"keys": ["k"], "hasMore": True, "nextCursor": loop[c]},
                what="k",
                route="r",
            )
        )


def test_iter_cursor_stops_on_empty_cursor() -> None:
    got = list(
        iter_cursor(
            lambda c: {"keys": ["a"], "hasMore": True, "nextCursor": ""}, what="k", route="r"
        )
    )
    assert got == ["a"]


# -- filters --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("state=FINISHED", RunFilter("state", "=", ("FINISHED",))),
        ("state=finished,CRASHED", RunFilter("state", "in", ("FINISHED", "CRASHED"))),
        ("state!=RUNNING", RunFilter("state", "!=", ("RUNNING",))),
        ("config.optimizer=adam", RunFilter("config.optimizer", "=", ("adam",))),
        ("config.lr>=0.01", RunFilter("config.lr", ">=", ("0.01",))),
        ("label=baseline", RunFilter("label", "=", ("baseline",))),
        ("name~resnet", RunFilter("name", "~", ("resnet",))),
        ("created_at>=2026-01-01", RunFilter("created_at", ">=", ("2026-01-01",))),
        ("metric.loss<=0.5", RunFilter("metric.loss", "<=", ("0.5",))),
        ("username=alice", RunFilter("username", "=", ("alice",))),
        (" config.model.depth = 50 ", RunFilter("config.model.depth", "=", ("50",))),
    ],
)
def test_parse_filter(expr: str, expected: RunFilter) -> None:
    assert parse_filter(expr) == expected


@pytest.mark.parametrize(
    "expr",
    [
        "",
        "state",
        "bogus=1",
        "state=DONE",
        "created_at>=yesterday",
        "metric.loss<=low",
        "config.=1",
        "config.lr>=1,2",
    ],
)
def test_parse_filter_errors_name_the_expression(expr: str) -> None:
    with pytest.raises(ConfigError) as e:
        parse_filter(expr)
    assert repr(expr) in str(e.value)


def test_to_swanlab() -> None:
    assert to_swanlab(parse_filter("state=FINISHED,CRASHED")) == {
        "key": "state",
        "type": "STABLE",
        "op": "IN",
        "value": ["FINISHED", "CRASHED"],
        "active": True,
    }
    assert to_swanlab(parse_filter("config.lr>=0.01")) == {
        "key": "lr",
        "type": "CONFIG",
        "op": "GTE",
        "value": ["0.01"],
        "active": True,
    }
    assert to_swanlab(parse_filter("metric.loss<=0.5"))["type"] == "SCALAR"  # type: ignore[index]
    assert to_swanlab(parse_filter("name~res"))["op"] == "CONTAIN"  # type: ignore[index]
    assert to_swanlab(parse_filter("label=baseline"))["op"] == "IN"  # type: ignore[index]
    created = to_swanlab(parse_filter("created_at>=2026-01-01"))
    assert created == {
        "key": "createdAt",
        "type": "STABLE",
        "op": "GTE",
        "value": ["2026-01-01T00:00:00.000Z"],
        "active": True,
    }
    assert to_swanlab(parse_filter("username=alice")) is None
    assert to_swanlab(parse_filter("config.lr>0.1")) is None


def run(**kw: Any) -> RunRecord:
    base: dict[str, Any] = dict(
        project="ws/p",
        run_id="r",
        slug=None,
        name="resnet-50",
        description=None,
        state="FINISHED",
        cluster=None,
        job=None,
        labels=["baseline"],
        username="alice",
        created_at=datetime(2026, 2, 1, tzinfo=UTC),
        finished_at=None,
        url=None,
        config={"lr": 0.1, "optimizer": "adam", "model": {"depth": 50}, "flag": True},
        metadata=None,
        requirements=None,
        conda=None,
        pinned=False,
        project_id="p",
        root_project_id=None,
        root_run_id=None,
        raw={},
        has_profile=True,
        change_marker="",
    )
    base.update(kw)
    return base  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("expr", "ok"),
    [
        ("state=FINISHED", True),
        ("state=RUNNING,CRASHED", False),
        ("state!=RUNNING", True),
        ("config.optimizer=adam", True),
        ("config.optimizer=sgd", False),
        ("config.lr>=0.01", True),
        ("config.lr>=0.5", False),
        ("config.lr<=0.1", True),
        ("config.model.depth=50", True),
        ("config.flag=true", True),
        ("config.missing=1", False),
        ("config.missing!=1", True),
        ("label=baseline", True),
        ("label=other", False),
        ("label!=baseline", False),
        ("name~RESNET", True),
        ("name~vgg", False),
        ("created_at>=2026-01-01", True),
        ("created_at<=2026-01-01", False),
        ("username=alice", True),
        ("username=bob", False),
    ],
)
def test_matches(expr: str, ok: bool) -> None:
    assert matches(run(), parse_filter(expr)) is ok


def test_matches_metric_and_unknowns() -> None:
    f = parse_filter("metric.loss<=0.5")
    assert matches(run(), f, {"loss": 0.3}) is True
    assert matches(run(), f, {"loss": 0.7}) is False
    assert matches(run(), f, {"loss": float("nan")}) is False
    assert matches(run(), f, {}) is False
    assert matches(run(), f, None) is True  # unknown here: the server decided
    assert matches(run(config=None), parse_filter("config.lr>=5")) is True

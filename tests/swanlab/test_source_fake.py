"""SwanLabSource against a small hand-written fake of the OpenAPI (transport level)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from swansync.errors import ApiError, NotFoundError
from swansync.filters import parse_filter, select
from swansync.sources.base import CsvPoints, Rejected
from swansync.sources.swanlab.cloud.source import SwanLabSource
from tests.support.sources import resolve_all, summaries_of

from .conftest import KEY, SID, Reply, Req, authed, login_ok

PROJ = {
    "cuid": "projcuid1",
    "name": "mnist",
    "path": "@alice/mnist",
    "username": "alice",
    "description": "",
    "visibility": "PRIVATE",
    "createdAt": "2025-12-09T17:57:38.224Z",
    "updatedAt": "2025-12-10T09:00:00.000Z",
    "projectLabels": [{"name": "cv", "colors": []}],
    "_count": {"experiments": 3},
}


def make_run(i: int, **kw: Any) -> dict[str, Any]:
    run = {
        "cuid": f"run{i}",
        "slug": f"slug{i}",
        "name": f"resnet-{i}",
        "state": "FINISHED",
        "labels": [{"name": "baseline"}] if i == 1 else [],
        "user": {"username": "alice"},
        "createdAt": f"2025-12-09T1{i}:00:00.500Z",
        "finishedAt": "2025-12-10T00:00:00.000Z",
        "rootProId": "",
        "rootExpId": "",
        "cluster": "",
        "job": "",
        "profile": {"config": {"lr": {"value": 0.1 * i, "desc": "", "sort": 0}}},
    }
    run.update(kw)
    return run


RUNS = [
    make_run(1),
    make_run(2, state="RUNNING", finishedAt=None),
    make_run(3, rootProId="rootproj", rootExpId="rootrun", pin=True),
]
KEYS = {"run1": ["loss", "acc", "__swanlab__.cpu"], "run2": ["loss"], "rootrun": ["loss"]}


def csv_for(keys: list[str]) -> bytes:
    rows = ["step," + ",".join(f"r-{k}_step,r-{k}_timestamp" for k in keys)]
    for s in range(3):
        rows.append(f"{s}," + ",".join(f"{s * 0.5},{1765302000000 + s}" for _ in keys))
    return ("\n".join(rows) + "\n").encode()


class App:
    def __init__(
        self,
        *,
        summary_shape: str = "legacy",
        export: bool = True,
        max_columns: int | None = None,
        refuse_wide: bool = True,
    ) -> None:
        self.summary_shape = summary_shape
        self.export = export
        # A server with a column limit: refuses wider exports (400) or cuts them silently.
        self.max_columns = max_columns
        self.refuse_wide = refuse_wide
        self.storage_url = ""
        self.exports: dict[str, list[str]] = {}

    def __call__(self, req: Req) -> Any:
        p = req.path
        if p == "/api/login/api_key":
            return login_ok(req)
        if p.startswith("/dl/"):
            assert "cookie" not in req.headers
            return csv_for(self.exports[p[4:]])
        if not authed(req):
            return Reply(401, {"message": "no session"})
        if p == "/api/project/alice/mnist":
            return PROJ
        if p == "/api/project/alice" and req.method == "GET":
            page = int(req.query["page"])
            items = [PROJ] if page == 1 else []
            return {"list": items, "total": 1, "pages": 1, "size": 100}
        if p.startswith("/api/project/"):
            if p.endswith("/runs") and "mnist" in p:
                return {"list": RUNS, "total": 3, "pages": 1}
            if p.endswith("/runs/shows"):
                self.shows_body = req.json()
                return {"FINISHED": [RUNS[0], RUNS[2]], "RUNNING": {"x": [RUNS[1]]}}
            if "/runs/" in p:
                cuid = p.rsplit("/", 1)[1]
                run = next(r for r in RUNS if r["cuid"] == cuid)
                return {
                    **run,
                    "profile": {**run["profile"], "metadata": {}, "requirements": "", "conda": ""},
                }
            return Reply(
                404, {"code": "NOT_FOUND", "message": "project not found"}, {"traceid": "t-404"}
            )
        body = req.json()
        if p == "/api/house/metrics/summaries":
            assert "keys" not in body
            out: dict[str, Any] = {}
            for e in body["experiments"]:
                assert isinstance(e["createdAt"], int)
                if e["experimentId"] == "run2":
                    out["run2"] = None
                elif self.summary_shape == "legacy":
                    out[e["experimentId"]] = {
                        "loss": {
                            "step": 9,
                            "value": "NaN",
                            "min": {"index": 3, "data": 0.1},
                            "max": {"index": 0, "data": "INF"},
                        }
                    }
                else:
                    out[e["experimentId"]] = {
                        "loss": {"step": 9, "value": 0.2, "min": 0.1, "max": 2.0, "avg": 1.0}
                    }
            return out
        if p.endswith("/keys"):
            e = body["experiments"][0]
            if "media" in p:
                return {"keys": ["img"] if e["experimentId"] == "run1" else [], "hasMore": False}
            keys = KEYS[e["experimentId"]]
            half = 1 if body["cursor"] == "" else len(keys)
            start = 0 if body["cursor"] == "" else 1
            return {"keys": keys[start:half], "hasMore": half < len(keys), "nextCursor": "next"}
        if p == "/api/house/metrics/scalar/export":
            if not self.export:
                return Reply(404, {"code": "NOT_FOUND", "message": "no route"})
            name = f"exp{len(self.exports)}"
            cols = [c["key"] for c in body["columns"]]
            if self.max_columns is not None and len(cols) > self.max_columns:
                if self.refuse_wide:
                    return Reply(400, {"code": "BAD_REQUEST", "message": "too many columns"})
                cols = cols[: self.max_columns]
            self.exports[name] = cols
            self.last_export = body
            return {"cosKey": name}
        if p == "/api/files/presigned/get":
            return {"urls": [f"{self.storage_url}/dl/{k}?X-Amz-Signature=s" for k in body["paths"]]}
        if p.startswith("/api/experiment/") and p.endswith("/column/csv"):
            key = req.query["key"]
            name = f"legacy{len(self.exports)}"
            self.exports[name] = [key]
            return {"data": {"url": f"/dl/{name}"}}
        return Reply(404, {"code": "NOT_FOUND", "message": p})


@pytest.fixture
def app_source(serve: Any):
    def make(**kw: Any) -> tuple[App, SwanLabSource, Any]:
        app = App(**kw)
        server = serve(app)
        app.storage_url = server.url
        return app, SwanLabSource(server.url, KEY, backoff=0.01, retries=2), server

    return make


def test_projects_runs_detail(app_source: Any) -> None:
    _app, src, server = app_source()
    projects = resolve_all(src, ["/alice/mnist"], ["alice"])
    assert [p["project"] for p in projects] == ["alice/mnist"]
    p = projects[0]
    assert (p["project_id"], p["labels"], p["run_count"]) == ("projcuid1", ["cv"], 3)
    assert src.name == server.url.split("://")[1]
    runs = list(src.list_runs(p))
    assert [r["run_id"] for r in runs] == ["run1", "run2", "run3"]
    assert not any(r["has_profile"] for r in runs)
    assert runs[0]["config"] == {"lr": 0.1}  # unwrapped by the source
    assert runs[0]["raw"].get("profile") is None  # raw is the run object without its profile
    assert runs[0]["labels"] == ["baseline"] and runs[2]["root_run_id"] == "rootrun"
    d = src.run_detail(p, runs[0])
    assert (
        d["has_profile"] and d["metadata"] == {} and d["change_marker"] == runs[0]["change_marker"]
    )
    assert d["url"] == f"{server.url}/@alice/mnist/runs/slug1/chart"


def test_unknown_project_is_not_found(app_source: Any) -> None:
    _, src, _ = app_source()
    with pytest.raises(NotFoundError, match="'alice/nope'"):
        resolve_all(src, ["alice/nope"], [])


@pytest.mark.parametrize("shape", ["legacy", "modern"])
def test_summaries_both_shapes(app_source: Any, shape: str) -> None:
    _, src, server = app_source(summary_shape=shape)
    p = resolve_all(src, ["alice/mnist"], [])[0]
    runs = list(src.list_runs(p))
    sums = summaries_of(src, p, runs)
    assert set(sums) == {"run1", "run2", "run3"}
    assert sums["run2"] == []
    (s,) = sums["run1"]
    assert s["last_step"] == 9
    if shape == "legacy":
        assert s["last_value"] != s["last_value"]  # NaN
        assert (s["min_value"], s["min_step"], s["max_value"], s["max_step"]) == (
            0.1,
            3,
            float("inf"),
            0,
        )
    else:
        assert (s["last_value"], s["min_value"], s["min_step"], s["max_value"]) == (
            0.2,
            0.1,
            None,
            2.0,
        )
    (req,) = server.hits("POST", "/api/house/metrics/summaries")
    refs = {e["experimentId"]: e for e in req.json()["experiments"]}
    assert refs["run3"]["rootExpId"] == "rootrun" and refs["run3"]["rootProId"] == "rootproj"
    # 2025-12-09T11:00:00.500Z as whole seconds (floored)
    assert refs["run1"]["createdAt"] == int(datetime(2025, 12, 9, 11, tzinfo=UTC).timestamp())


def test_summaries_chunked(app_source: Any) -> None:
    _, src, server = app_source()
    p = resolve_all(src, ["alice/mnist"], [])[0]
    base = next(iter(src.list_runs(p)))
    many = [{**base, "run_id": f"x{i}"} for i in range(1201)]
    sums = summaries_of(src, p, many)
    assert len(sums) == 1201
    sizes = [
        len(r.json()["experiments"]) for r in server.hits("POST", "/api/house/metrics/summaries")
    ]
    assert sizes == [500, 500, 201]


def test_keys_cursor_system_media_and_clone(app_source: Any) -> None:
    _, src, server = app_source()
    p = resolve_all(src, ["alice/mnist"], [])[0]
    runs = {r["run_id"]: r for r in src.list_runs(p)}
    keys = src.metric_keys(p, runs["run1"])
    assert [(k["key"], k["kind"], k["klass"]) for k in keys] == [
        ("loss", "SCALAR", "CUSTOM"),
        ("acc", "SCALAR", "CUSTOM"),
        ("__swanlab__.cpu", "SCALAR", "SYSTEM"),
        ("img", "MEDIA", "CUSTOM"),
    ]
    assert len(server.hits("POST", "/api/house/metrics/scalar/keys")) == 2  # two cursor pages
    clone = src.metric_keys(p, runs["run3"])
    assert [k["key"] for k in clone] == ["loss"]
    last = server.hits("POST", "/api/house/metrics/scalar/keys")[-1].json()["experiments"][0]
    assert (last["projectId"], last["experimentId"]) == ("rootproj", "rootrun")


def parse_points(pts: CsvPoints) -> dict[str, list[tuple[int, float, int]]]:
    rows = list(csv.reader(io.StringIO(pts.data.decode())))[1:]
    out: dict[str, list[tuple[int, float, int]]] = {k: [] for k in pts.keys}
    for row in rows:
        for i, k in enumerate(pts.keys):
            if row[1 + 2 * i]:
                out[k].append((int(row[0]), float(row[1 + 2 * i]), int(row[2 + 2 * i])))
    return out


def test_scalar_points_export_batches_no_cookie(app_source: Any) -> None:
    _app, src, server = app_source()
    p = resolve_all(src, ["alice/mnist"], [])[0]
    run = next(iter(src.list_runs(p)))
    keys = [f"k{i}" for i in range(150)]
    batches = list(src.scalar_points(p, run, keys))
    assert [len(b.keys) for b in batches] == [64, 64, 22]  # wider than the SDK's 16
    got = {}
    for b in batches:
        assert isinstance(b, CsvPoints)
        got.update(parse_points(b))
    assert set(got) == set(keys) and got["k149"][2] == (2, 1.0, 1765302000002)
    assert len(server.hits("POST", "/api/files/presigned/get")) == 1  # one presign for all
    for r in server.requests:
        if r.path.startswith("/dl/"):
            assert "cookie" not in r.headers
    assert src.counters.by_route["GET <presigned csv>"] == 3
    assert src.counters.bytes > 0


@pytest.mark.parametrize("refuse", [True, False], ids=["refused", "cut silently"])
def test_a_server_that_takes_only_16_columns_gets_16_for_good(
    app_source: Any, refuse: bool
) -> None:
    _app, src, server = app_source(max_columns=16, refuse_wide=refuse)
    p = resolve_all(src, ["alice/mnist"], [])[0]
    run = next(iter(src.list_runs(p)))
    keys = [f"k{i}" for i in range(40)]
    batches = list(src.scalar_points(p, run, keys))
    assert [len(b.keys) for b in batches] == [16, 16, 8]
    got: dict[str, Any] = {}
    for b in batches:
        assert isinstance(b, CsvPoints)
        got.update(parse_points(b))
    assert set(got) == set(keys)  # every key once, none lost or doubled by the fallback
    exports = len(server.hits("POST", "/api/house/metrics/scalar/export"))
    list(src.scalar_points(p, run, keys))  # remembered: no wide attempt again
    assert len(server.hits("POST", "/api/house/metrics/scalar/export")) == exports + 3


def test_scalar_points_clone_sends_root_ids(app_source: Any) -> None:
    app, src, _ = app_source()
    p = resolve_all(src, ["alice/mnist"], [])[0]
    clone = next(r for r in src.list_runs(p) if r["run_id"] == "run3")
    list(src.scalar_points(p, clone, ["loss"]))
    col = app.last_export["columns"][0]
    assert (col["experimentId"], col["rootExpId"], col["rootProId"]) == (
        "run3",
        "rootrun",
        "rootproj",
    )
    assert col["experimentName"] == "resnet-3" and isinstance(col["createdAt"], int)


def test_scalar_points_legacy_fallback(app_source: Any) -> None:
    _, src, server = app_source(export=False)
    p = resolve_all(src, ["alice/mnist"], [])[0]
    run = next(iter(src.list_runs(p)))
    pts = list(src.scalar_points(p, run, ["loss", "acc"]))
    assert [list(x.keys) for x in pts] == [["loss"], ["acc"]]
    assert parse_points(pts[0])["loss"][1] == (1, 0.5, 1765302000001)
    list(src.scalar_points(p, run, ["loss"]))
    assert len(server.hits("POST", "/api/house/metrics/scalar/export")) == 1  # remembered


def test_download_failure_is_api_error(app_source: Any) -> None:
    app, src, _ = app_source()
    app.storage_url = app.storage_url + "/missing"
    p = resolve_all(src, ["alice/mnist"], [])[0]
    run = next(iter(src.list_runs(p)))
    with pytest.raises(ApiError):
        list(src.scalar_points(p, run, ["loss"]))


def test_filters_pushed_down_and_applied_by_the_sync(app_source: Any) -> None:
    app, src, _ = app_source()
    p = resolve_all(src, ["alice/mnist"], [])[0]
    f = [parse_filter("state=FINISHED"), parse_filter("username=alice")]
    listed = [r for r in src.list_runs(p, f) if not isinstance(r, Rejected)]
    # The fake ignores filters (as a pinned run would come back): the sync's select drops run2.
    assert sorted(r["run_id"] for r in listed) == ["run1", "run2", "run3"]
    assert [r["run_id"] for r in select(listed, f)] == ["run1", "run3"]
    assert app.shows_body == {
        "filters": [
            {"key": "state", "type": "STABLE", "op": "EQ", "value": ["FINISHED"], "active": True}
        ],
        "groups": [],
        "sorts": [],
    }
    f = [parse_filter("config.lr>=0.15")]
    got = select([r for r in src.list_runs(p, f) if not isinstance(r, Rejected)], f)
    assert sorted(r["run_id"] for r in got) == ["run2", "run3"]


def test_metric_filter_uses_summaries(app_source: Any) -> None:
    _, src, _ = app_source(summary_shape="modern")
    p = resolve_all(src, ["alice/mnist"], [])[0]
    f = [parse_filter("metric.loss<=0.5")]
    runs = [r for r in src.list_runs(p, f) if not isinstance(r, Rejected)]
    got = [r["run_id"] for r in select(runs, f, src.summaries([(p, runs)]))]
    assert got == ["run1", "run3"]  # run2 has no scalars


def test_malformed_run_is_rejected_alone_naming_it(serve: Any) -> None:
    def app(req: Req) -> Any:
        if "login" in req.path:
            return login_ok(req)
        if req.path == "/api/project/alice/mnist":
            return PROJ
        good = {"cuid": "good1", "name": "ok", "createdAt": "2026-01-01T00:00:00.000Z"}
        return {"list": [{"cuid": "bad1", "createdAt": "yesterday-ish"}, good], "pages": 1}

    s = serve(app)
    src = SwanLabSource(s.url, KEY)
    p = resolve_all(src, ["alice/mnist"], [])[0]
    items = list(src.list_runs(p))
    bad = [i for i in items if isinstance(i, Rejected)]
    assert [b.run_id for b in bad] == ["bad1"]
    assert "createdAt" in bad[0].reason
    assert [i["run_id"] for i in items if not isinstance(i, Rejected)] == ["good1"]


def test_secrets_absent_from_errors_and_logs(serve: Any, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    caplog.set_level(logging.DEBUG)

    def app(req: Req) -> Any:
        if "login" in req.path:
            return login_ok(req)
        return Reply(400, {"code": 400, "message": f"echo {req.headers.get('cookie')} {KEY}"})

    s = serve(app)
    src = SwanLabSource(s.url, KEY)
    with pytest.raises(ApiError) as e:
        resolve_all(src, ["alice/mnist"], [])
    assert KEY not in str(e.value) and SID not in str(e.value)
    text = "\n".join(r.getMessage() for r in caplog.records) + json.dumps(src.counters.by_route)
    assert KEY not in text and SID not in text

"""Every read route of the simulator over HTTP, compared with the world's own model."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from trackersim.swanlab import SimServer, World
from trackersim.swanlab.model import flatten_config

from .simclient import Client, csv_rows, ms, run_named, run_ref

Q = "alice/quirks"


def _unwrap(cfg: dict[str, Any]) -> dict[str, Any]:
    return {k: v["value"] for k, v in cfg.items()}


def test_user_and_workspaces(client: Client, small_world: World) -> None:
    prof = client.ok(client.get("/user/profile"))
    assert {"bio", "url", "institution", "school", "email", "location"} <= set(prof)
    groups = client.ok(client.get("/user/alice/groups"))
    assert isinstance(groups, list)
    assert [g["username"] for g in groups] == list(small_world.workspaces)
    team = client.ok(client.get("/group/vision-lab"))
    assert team["type"] == "TEAM" and team["role"] in ("VISITOR", "VIEWER", "MEMBER", "OWNER")
    legacy = client.ok(client.get("/group/"))
    assert {g["username"] for g in legacy["list"]} == set(small_world.workspaces)
    missing = client.get("/group/nobody")
    assert missing.status_code == 404 and missing.json()["code"] == "NOT_FOUND"


def test_project_get_search_sort_and_404(client: Client, small_world: World) -> None:
    proj = client.ok(client.get("/project/alice/quirks"))
    assert proj["cuid"] == small_world.project(Q).cuid
    assert proj["path"] == Q and proj["_count"]["experiments"] == len(small_world.runs(Q))
    assert proj["createdAt"].endswith("Z") and "." in proj["createdAt"]
    found = client.ok(client.get("/project/alice", page=1, size=100, search="SCRATCH", sort="name"))
    names = [p["name"] for p in found["list"]]
    assert names == sorted(names) and len(names) == 11
    nodetail = client.ok(client.get("/project/alice", page=1, size=10, detail="False"))
    assert "_count" not in nodetail["list"][0]
    default = client.ok(client.get("/project/alice", page=1, size=100))["list"]
    stamps = [p["updatedAt"] for p in default]
    assert stamps == sorted(stamps, reverse=True)
    assert client.get("/project/alice/nope").status_code == 404
    beyond = client.ok(client.get("/project/alice", page=9, size=10))
    assert beyond["list"] == [] and beyond["pages"] == 2


def test_run_by_slug_and_cuid_with_full_profile(client: Client, small_world: World) -> None:
    rid = run_named(small_world, Q, "kitchen-sink")
    run = small_world.run(rid)
    by_slug = client.ok(client.get(f"/project/alice/quirks/runs/{run.slug}"))
    by_cuid = client.ok(client.get(f"/project/alice/quirks/runs/{rid}"))
    assert by_slug == by_cuid
    assert by_cuid["cuid"] == rid and by_cuid["project_id"] == run.project.cuid
    prof = by_cuid["profile"]
    assert set(prof) == {"config", "metadata", "requirements", "conda"}
    first = next(iter(prof["config"].values()))
    assert set(first) == {"value", "desc", "sort"}
    assert _unwrap(prof["config"]) == run.config
    assert by_cuid["labels"][0]["name"] == "baseline" and by_cuid["pin"] is True
    assert by_cuid["rootProId"] == "" and by_cuid["rootExpId"] == ""
    assert by_cuid["finishedAt"] is None and by_cuid["state"] == "RUNNING"
    assert client.get("/project/alice/quirks/runs/nope").status_code == 404
    other = client.get(f"/project/alice/mnist-sweep/runs/{rid}")
    assert other.status_code == 404


def test_list_profile_modes(fresh: tuple[World, SimServer, Client]) -> None:
    world, _, c = fresh
    seen = {}
    for mode in ("none", "config", "full"):
        world.options.update({"list_profile": mode})
        item = c.ok(c.get("/project/alice/quirks/runs", page=1, size=10))["list"][0]
        seen[mode] = set(item.get("profile", {}))
        assert item["cuid"] and item["createdAt"]
    assert seen == {
        "none": set(),
        "config": {"config"},
        "full": {"config", "metadata", "requirements", "conda"},
    }
    world.options.update({"run_project_id": False, "run_updated_at": False, "path_style": "at"})
    item = c.ok(c.get("/project/alice/quirks/runs", page=1, size=10))["list"][0]
    assert "project_id" not in item and "updatedAt" not in item
    assert c.ok(c.get("/project/alice/quirks"))["path"] == "@alice/quirks"
    world.options.update({"path_style": "slash"})
    assert c.ok(c.get("/project/alice/quirks"))["path"] == "/alice/quirks"


def _shows(c: Client, filters: list[dict[str, Any]], **extra: Any) -> Any:
    body = {"filters": filters, "groups": extra.get("groups", []), "sorts": extra.get("sorts", [])}
    return c.ok(c.post("/project/alice/mnist-sweep/runs/shows", body))


def _f(key: str, op: str, *values: str, kind: str = "STABLE") -> dict[str, Any]:
    return {"key": key, "type": kind, "op": op, "value": list(values), "active": True}


def test_shows_filters(client: Client, small_world: World) -> None:
    runs = [small_world.run(r) for r in small_world.runs("alice/mnist-sweep")]
    pinned = {r.cuid for r in runs if r.pinned}
    assert len(pinned) == 2

    def ids(filters: list[dict[str, Any]]) -> set[str]:
        return {r["cuid"] for r in _shows(client, filters)}

    def expect(pred: Any) -> set[str]:
        return {r.cuid for r in runs if pred(r)} | pinned

    everything = _shows(client, [])
    assert isinstance(everything, list) and len(everything) == len(runs)
    assert ids([_f("state", "EQ", "CRASHED")]) == expect(lambda r: r.state == "CRASHED")
    assert ids([_f("state", "NEQ", "FINISHED")]) == expect(lambda r: r.state != "FINISHED")
    assert ids([_f("state", "IN", "ABORTED", "RUNNING")]) == expect(
        lambda r: r.state in ("ABORTED", "RUNNING")
    )
    assert ids([_f("state", "NOT IN", "FINISHED", "CRASHED")]) == expect(
        lambda r: r.state not in ("FINISHED", "CRASHED")
    )
    assert ids([_f("name", "CONTAIN", "sweep-01")]) == expect(lambda r: "sweep-01" in r.name)
    assert ids([_f("labels", "IN", "good")]) == expect(lambda r: "good" in r.labels)
    assert ids([_f("seed", "GTE", "100", kind="CONFIG")]) == expect(
        lambda r: r.config["seed"] >= 100
    )
    assert ids([_f("seed", "LTE", "9", kind="CONFIG"), _f("state", "EQ", "FINISHED")]) == expect(
        lambda r: r.config["seed"] <= 9 and r.state == "FINISHED"
    )
    assert ids([_f("batch_size", "EQ", "64", kind="CONFIG")]) == expect(
        lambda r: (
            r.config["batch_size"] in (64, "64")
            or (isinstance(r.config["batch_size"], list) and 64 in r.config["batch_size"])
        )
    )
    cut = runs[60].created_ms
    from trackersim.swanlab.model import iso_ms

    assert ids([_f("createdAt", "GTE", iso_ms(cut) or "")]) == expect(lambda r: r.created_ms >= cut)
    assert ids([_f("createdAt", "LTE", iso_ms(cut) or "")]) == expect(lambda r: r.created_ms <= cut)
    assert ids([_f("train/loss", "LTE", "0.5", kind="SCALAR")]) == expect(
        lambda r: (st := r.series["train/loss"].stats()) is not None and st.last_value <= 0.5
    )
    inactive = {**_f("state", "EQ", "CRASHED"), "active": False}
    assert len(ids([inactive])) == len(runs)
    bad = client.post(
        "/project/alice/mnist-sweep/runs/shows",
        {"filters": [_f("state", "GT", "x")], "groups": [], "sorts": []},
    )
    assert bad.status_code == 400 and bad.json()["code"] == "BAD_REQUEST"


def test_shows_sorts_and_groups(client: Client) -> None:
    asc = _shows(
        client, [], sorts=[{"key": "name", "type": "STABLE", "order": "ASC", "active": True}]
    )
    names = [r["name"] for r in asc]
    assert names == sorted(names)
    default = _shows(client, [])
    assert [r["pin"] for r in default[:2]] == [True, True]
    rest = [r["createdAt"] for r in default[2:]]
    assert rest == sorted(rest, reverse=True)
    grouped = _shows(client, [], groups=[{"key": "state", "type": "STABLE", "active": True}])
    assert isinstance(grouped, dict) and {"FINISHED", "CRASHED", "RUNNING"} <= set(grouped)
    assert all(r["state"] == st for st, rs in grouped.items() for r in rs)
    nested = _shows(
        client,
        [],
        groups=[
            {"key": "state", "type": "STABLE", "active": True},
            {"key": "batch_size", "type": "CONFIG", "active": True},
        ],
    )
    assert isinstance(nested["FINISHED"], dict)
    flat = [r for sub in nested.values() for rs in sub.values() for r in rs]
    assert len(flat) == len(default)


def test_metric_keys_cursor_pages(client: Client, small_world: World) -> None:
    rid = run_named(small_world, Q, "kitchen-sink")
    ref = run_ref(small_world, rid)
    keys: list[str] = []
    cursors: list[str] = []
    cursor = ""
    while True:
        body = client.ok(
            client.post(
                "/house/metrics/scalar/keys", {"experiments": [ref], "limit": 7, "cursor": cursor}
            )
        )
        assert len(body["keys"]) <= 7
        keys += body["keys"]
        if not body["hasMore"]:
            assert body["nextCursor"] == ""
            break
        cursor = body["nextCursor"]
        assert cursor not in cursors
        cursors.append(cursor)
    assert len(cursors) >= 3
    truth = small_world.truth(metrics=False)["metric_keys"]
    want = [
        k
        for r, k, kind in zip(truth["run_id"], truth["key"], truth["kind"], strict=True)
        if r == rid and kind == "SCALAR"
    ]
    assert keys == want and len(set(keys)) == len(keys) > 16
    assert any(k.startswith("__swanlab__.") for k in keys)
    media = client.ok(
        client.post(
            "/house/metrics/media/keys", {"experiments": [ref], "limit": 2000, "cursor": ""}
        )
    )
    assert media["keys"] == ["samples/images", "samples/audio"] and media["hasMore"] is False
    avail = client.ok(
        client.post(
            "/house/metrics/scalar/availability", {"keys": ["loss", "nope"], "experiments": [ref]}
        )
    )
    assert avail == {"loss": [rid], "nope": []}
    no_created = {k: v for k, v in ref.items() if k != "createdAt"}
    assert (
        client.post(
            "/house/metrics/scalar/keys", {"experiments": [no_created], "limit": 5, "cursor": ""}
        ).status_code
        == 400
    )


def test_sampled_scalar_and_stats(client: Client, small_world: World) -> None:
    rid = run_named(small_world, Q, "long-ish")
    ref = run_ref(small_world, rid)
    cols = [{**ref, "key": "loss"}, {**ref, "key": "acc"}]
    body = {
        "projectId": ref["projectId"],
        "xType": "step",
        "range": [0, 0],
        "columns": cols,
        "num": 1500,
    }
    out = client.ok(client.post("/house/metrics/scalar", body))
    pts = list(small_world.iter_points(rid, "loss"))
    loss = next(e for e in out if e["key"] == "loss")["metrics"]
    assert 2 <= len(loss) <= 1500 < len(pts)
    assert loss[0]["index"] == pts[0][0] and loss[-1]["index"] == pts[-1][0]
    by_step = {s: (v, t) for s, v, t in pts}
    assert all(by_step[p["index"]] == (p["data"], p["timestamp"]) for p in loss)
    timed = client.ok(client.post("/house/metrics/scalar", {**body, "xType": "time", "num": 10}))
    assert [p["index"] for p in timed[0]["metrics"]] == [
        p["timestamp"] for p in timed[0]["metrics"]
    ]
    stats = client.ok(client.post("/house/metrics/scalar/value", body))
    st = next(e for e in stats if e["key"] == "loss")
    values = [v for _, v, _ in pts]
    assert st["min"]["data"] == min(values) and st["max"]["data"] == max(values)
    assert st["latest"] == {"index": pts[-1][0], "data": pts[-1][1]}
    ts_stats = client.ok(client.post("/house/metrics/scalar/value", {**body, "xType": "timestamp"}))
    assert next(e for e in ts_stats if e["key"] == "loss")["latest"]["index"] == pts[-1][2]

    sink = run_named(small_world, Q, "kitchen-sink")
    sref = run_ref(small_world, sink)
    weird = client.ok(
        client.post(
            "/house/metrics/scalar", {**body, "columns": [{**sref, "key": "weird/nan_inf"}]}
        )
    )
    datas = [p["data"] for p in weird[0]["metrics"]]
    assert {"NaN", "INF", "-INF"} <= set(datas)


def test_resume_summary_media_logs(client: Client, small_world: World) -> None:
    rid = run_named(small_world, Q, "kitchen-sink")
    run = small_world.run(rid)
    ref = run_ref(small_world, rid)
    res = client.ok(
        client.get(
            f"/house/metrics/summaries/{run.project.cuid}/{rid}",
            all="True",
            createdAt=ref["createdAt"],
        )
    )
    last = {e["key"]: e["step"] for e in res["scalar"]}
    assert last["loss"] == 59 and last["sparse/every5"] == 55
    assert {e["key"] for e in res["media"]} == {"samples/images", "samples/audio"}
    assert res["log"][0]["step"] == run.log_count() - 1

    cols = [{**ref, "key": "samples/images"}]
    one = client.ok(
        client.post(
            "/house/metrics/media", {"projectId": ref["projectId"], "columns": cols, "step": 10}
        )
    )
    assert one["steps"] == [0, 10, 20, 30, 40, 50] and one["step"] == 10
    assert (
        one["metrics"][0]["data"][0].startswith("media/samples/images/010-0-")
        and one["metrics"][0]["more"][0]["caption"]
    )
    latest = client.ok(
        client.post("/house/metrics/media", {"projectId": ref["projectId"], "columns": cols})
    )
    assert latest["step"] == 50
    allm = client.ok(
        client.post(
            "/house/metrics/f_media",
            {"projectId": ref["projectId"], "columns": [*cols, {**ref, "key": "nope"}]},
        )
    )
    assert [m["index"] for m in allm[0]["metrics"]] == one["steps"] and allm[1] is None
    urls = client.ok(
        client.post(
            "/resources/presigned/get",
            {"prefix": f"{ref['projectId']}/{rid}", "paths": one["metrics"][0]["data"]},
        )
    )["urls"]
    with requests.Session() as plain:
        assert plain.get(urls[0]).content.startswith(b"\x89PNG")


def test_console_pages_levels_and_export(fresh: tuple[World, SimServer, Client]) -> None:
    """The request's epoch is a page index of ``size`` lines (U11, shard reading), each line's
    epoch its 1-based counter; level is a minimum; count is the line count at that level."""
    world, _, c = fresh
    world.options.update({"log_append_on_read": 0})
    rid = run_named(world, Q, "kitchen-sink")
    run = world.run(rid)
    ref = run_ref(world, rid)
    q = {
        "projectId": ref["projectId"],
        "experimentId": rid,
        "size": 1000,
        "epoch": 0,
        "createdAt": ref["createdAt"],
    }
    info = c.ok(c.get("/house/metrics/log", **q, level="INFO"))
    debug = c.ok(c.get("/house/metrics/log", **q, level="DEBUG"))
    errors = c.ok(c.get("/house/metrics/log", **q, level="ERROR"))
    assert debug["count"] == run.log_count() > info["count"] > errors["count"] > 0
    assert [ln["epoch"] for ln in debug["logs"]] == list(range(1, run.log_count() + 1))
    assert all(ln["level"] == "ERROR" for ln in errors["logs"])
    assert {ln["level"] for ln in debug["logs"]} == {"DEBUG", "INFO", "WARN", "ERROR"}
    page = c.ok(c.get("/house/metrics/log", **{**q, "size": 5, "epoch": 2}, level="DEBUG"))
    assert [ln["epoch"] for ln in page["logs"]] == [11, 12, 13, 14, 15]
    past = c.ok(c.get("/house/metrics/log", **{**q, "epoch": 1}, level="DEBUG"))
    assert past == {"logs": [], "count": run.log_count()}
    exp = c.ok(
        c.post(
            "/house/metrics/log/export",
            {
                "projectId": ref["projectId"],
                "experimentId": rid,
                "start": 2,
                "rows": 500000,
                "createdAt": ref["createdAt"],
            },
        )
    )
    url = c.ok(c.post("/files/presigned/get", {"paths": [exp["cosKey"]]}))["urls"][0]
    with requests.Session() as plain:
        rows = plain.get(url).content.split(b"\n")
    assert rows[-1] == b"" and len(rows) - 1 == run.log_count() - 2
    assert rows[0].split(b" ", 2)[1] == debug["logs"][2]["level"].encode()


def test_log_epoch_line_mode(fresh: tuple[World, SimServer, Client]) -> None:
    world, _, c = fresh
    world.options.update({"log_epoch": "line", "log_append_on_read": 0})
    rid = run_named(world, Q, "kitchen-sink")
    ref = run_ref(world, rid)
    q = {
        "projectId": ref["projectId"],
        "experimentId": rid,
        "size": 5,
        "epoch": 2,
        "createdAt": ref["createdAt"],
        "level": "DEBUG",
    }
    assert [ln["epoch"] for ln in c.ok(c.get("/house/metrics/log", **q))["logs"]] == [3, 4, 5, 6, 7]


def test_legacy_column_routes(client: Client, small_world: World) -> None:
    rid = run_named(small_world, Q, "kitchen-sink")
    cols = client.ok(client.get(f"/experiment/{rid}/column", page=1, size=10))
    assert cols["pages"] == -(-cols["total"] // 10) and len(cols["list"]) == 10
    system = client.ok(
        client.get(f"/experiment/{rid}/column", page=1, size=100, **{"class": "SYSTEM"})
    )
    assert system["list"] and all(c["class"] == "SYSTEM" for c in system["list"])
    url = client.ok(client.get(f"/experiment/{rid}/column/csv", key="loss"))["url"]
    assert url.startswith("/_files/")
    with requests.Session() as plain:
        rows = csv_rows(plain.get(client.sim.url + url))
    assert rows[0] == ["step", "kitchen-sink-loss_step", "kitchen-sink-loss_timestamp"]
    assert [(int(r[0]), float(r[1]), ms(r[2])) for r in rows[1:]] == list(
        small_world.iter_points(rid, "loss")
    )


def test_presigned_url_expiry_and_forgery(fresh: tuple[World, SimServer, Client]) -> None:
    world, _, c = fresh
    rid = run_named(world, Q, "kitchen-sink")
    ref = run_ref(world, rid)
    cos = c.ok(
        c.post(
            "/house/metrics/scalar/export",
            {"projectId": ref["projectId"], "columns": [{**ref, "key": "loss"}]},
        )
    )
    good = c.ok(c.post("/files/presigned/get", {"paths": [cos["cosKey"]]}))["urls"][0]
    with requests.Session() as plain:
        assert plain.get(good).status_code == 200
        forged = good[:-4] + ("0000" if not good.endswith("0000") else "1111")
        bad = plain.get(forged)
        assert bad.status_code == 403 and bad.json()["code"] == "FORBIDDEN"
        assert plain.get(good.split("?")[0]).status_code == 403
        world.options.update({"presign_ttl_s": -1.0})
        expired = c.ok(c.post("/files/presigned/get", {"paths": [cos["cosKey"]]}))["urls"][0]
        assert plain.get(expired).status_code == 403


def test_export_snapshot_ignores_later_growth(fresh: tuple[World, SimServer, Client]) -> None:
    world, _, c = fresh
    rid = run_named(world, Q, "kitchen-sink")
    ref = run_ref(world, rid)
    n = len(list(world.iter_points(rid, "loss")))
    cos = c.ok(
        c.post(
            "/house/metrics/scalar/export",
            {"projectId": ref["projectId"], "columns": [{**ref, "key": "loss"}]},
        )
    )
    world.grow(rid, 30)
    url = c.ok(c.post("/files/presigned/get", {"paths": [cos["cosKey"]]}))["urls"][0]
    with requests.Session() as plain:
        assert len(plain.get(url).text.splitlines()) == 1 + n


def test_clones_read_through_root_ids(client: Client, small_world: World) -> None:
    clone_id = next(r for r in small_world.runs("vision-lab/detr-clones"))
    clone = small_world.run(clone_id)
    assert clone.root is not None
    obj = client.ok(client.get(f"/project/vision-lab/detr-clones/runs/{clone_id}"))
    assert obj["rootExpId"] == clone.root.cuid and obj["rootProId"] == clone.root.project.cuid
    own = run_ref(small_world, clone_id)
    bare = {k: v for k, v in own.items() if not k.startswith("root")}
    keys_own = client.ok(
        client.post(
            "/house/metrics/scalar/keys", {"experiments": [bare], "limit": 100, "cursor": ""}
        )
    )
    assert keys_own["keys"] == []
    as_root = {**bare, "experimentId": clone.root.cuid, "projectId": clone.root.project.cuid}
    keys_root = client.ok(
        client.post(
            "/house/metrics/scalar/keys", {"experiments": [as_root], "limit": 100, "cursor": ""}
        )
    )
    assert keys_root["keys"]
    summ = client.ok(client.post("/house/metrics/summaries", {"experiments": [own]}))
    assert summ[clone_id] is not None and set(summ[clone_id]) == set(keys_root["keys"])
    bare_summ = client.ok(client.post("/house/metrics/summaries", {"experiments": [bare]}))
    assert bare_summ == {clone_id: None}


def test_summary_modern_shape_and_keys_filter(fresh: tuple[World, SimServer, Client]) -> None:
    world, _, c = fresh
    world.options.update({"summary_shape": "modern"})
    rid = run_named(world, Q, "kitchen-sink")
    body = c.ok(
        c.post("/house/metrics/summaries", {"experiments": [run_ref(world, rid)], "keys": ["loss"]})
    )
    loss = body[rid]["loss"]
    assert set(body[rid]) == {"loss"}
    values = [v for _, v, _ in world.iter_points(rid, "loss")]
    assert loss["min"] == min(values) and loss["minMax"] == [min(values), max(values)]
    assert {"avg", "median", "stdDev", "step", "value"} <= set(loss)
    truth = world.truth(metrics=False)["summaries"]
    assert truth["min_step"][0] is None


def test_write_routes_and_unknown_routes(client: Client) -> None:
    for method, path in (
        ("POST", "/project"),
        ("POST", "/project/alice/quirks/runs/del"),
        ("DELETE", "/project/alice/quirks"),
        ("PUT", "/project/alice/quirks/runs/x/state"),
        ("POST", "/house/metrics"),
    ):
        resp = client.session.request(method, client.api + path, json={})
        assert resp.status_code == 403, (method, path)
        assert resp.json()["code"] == "FORBIDDEN" and resp.headers["traceid"]
    resp = client.session.patch(client.api + "/project/alice")
    assert resp.status_code == 405
    resp = client.session.get(client.api + "/definitely/not/here")
    assert resp.status_code == 404 and resp.json() == {
        "code": "NOT_FOUND",
        "message": resp.json()["message"],
    }
    assert resp.headers["traceid"]


def test_uncertainty_switches_login_and_auth(fresh: tuple[World, SimServer, Client]) -> None:
    world, sim, c = fresh
    world.options.update({"login_status": 201, "accept_key_header": True, "strict_page_size": True})
    with requests.Session() as s:
        assert (
            s.post(
                sim.url + "/api/login/api_key", headers={"authorization": sim.api_key}
            ).status_code
            == 201
        )
        assert (
            s.get(
                sim.url + "/api/project/alice", headers={"authorization": sim.api_key}
            ).status_code
            == 200
        )
        assert (
            s.get(sim.url + "/api/project/alice", headers={"authorization": "wrong"}).status_code
            == 401
        )
        verify = s.get(
            sim.url + "/api/auth/verify", headers={"authorization": f"ApiKey {sim.api_key}"}
        )
        assert verify.json()["username"] == sim.username
    assert c.get("/project/alice", page=1, size=13).status_code == 400
    assert c.get("/project/alice", page=1, size=12).status_code == 200


@pytest.mark.parametrize("name", ["demo", "small"])
def test_run_config_round_trip_all_runs(name: str) -> None:
    from trackersim.swanlab import build_world

    world = build_world(name)
    with SimServer(world) as sim:
        c = Client(sim)
        try:
            for path in world.projects():
                ws, proj = path.split("/")
                for rid in world.runs(path)[:30]:
                    obj = c.ok(c.get(f"/project/{ws}/{proj}/runs/{rid}"))
                    cfg = _unwrap(obj["profile"]["config"])
                    assert flatten_config(cfg) == flatten_config(world.run(rid).config)
                    assert obj["profile"]["metadata"] == world.run(rid).metadata
        finally:
            c.close()


def test_clone_still_reads_after_root_deleted(fresh: tuple[World, SimServer, Client]) -> None:
    world, _, c = fresh
    clone_id = world.runs("vision-lab/detr-clones")[0]
    root = world.run(clone_id).root
    assert root is not None
    world.delete_run(root.cuid)
    body = c.ok(c.post("/house/metrics/summaries", {"experiments": [run_ref(world, clone_id)]}))
    truth = world.truth(metrics=False)["summaries"]
    want = {k for r, k in zip(truth["run_id"], truth["key"], strict=True) if r == clone_id}
    assert want and set(body[clone_id]) == want
    assert root.cuid not in truth["run_id"]

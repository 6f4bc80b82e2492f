"""End-to-end HTTP checks of the core chain: login, projects, runs, keys, CSV, summaries."""

from __future__ import annotations

import math

import requests

from trackersim.swanlab import SimServer, World

from .simclient import Client, csv_rows, ms, run_named, run_ref


def test_login_wrong_key_is_401(small_sim: SimServer) -> None:
    with requests.Session() as s:
        resp = s.post(small_sim.url + "/api/login/api_key", headers={"authorization": "x" * 21})
        assert resp.status_code == 401
        assert resp.json()["code"] == "UNAUTHORIZED"
        assert resp.headers.get("traceid")
        assert small_sim.api_key not in resp.text


def test_login_shape_and_repeat(small_sim: SimServer) -> None:
    with requests.Session() as s:
        bodies = [
            s.post(
                small_sim.url + "/api/login/api_key", headers={"authorization": small_sim.api_key}
            )
            for _ in range(2)
        ]
    assert [b.status_code for b in bodies] == [200, 200]
    first = bodies[0].json()
    assert first["userInfo"]["username"] == small_sim.username
    assert first["expiredAt"].endswith(".000Z")
    assert first["expiredAt"] > "2090"
    assert bodies[0].json()["sid"] != bodies[1].json()["sid"]
    assert len(small_sim.api_key) == 21 and small_sim.api_key.isalnum()


def test_data_routes_need_cookie(small_sim: SimServer) -> None:
    with requests.Session() as s:
        for path in ("/user/profile", "/project/alice", "/project/alice/quirks/runs"):
            resp = s.get(small_sim.url + "/api" + path)
            assert resp.status_code == 401, path
        s.cookies.set("sid", "forged")
        assert s.get(small_sim.url + "/api/project/alice").status_code == 401


def test_projects_all_pages(client: Client, small_world: World) -> None:
    seen: list[str] = []
    page = 1
    while True:
        body = client.ok(client.get("/project/alice", page=page, size=10, detail="True"))
        assert body["size"] == 10
        assert body["pages"] == math.ceil(body["total"] / 10)
        seen += [p["path"] for p in body["list"]]
        if page >= body["pages"]:
            break
        page += 1
    expected = [p for p in small_world.projects() if p.startswith("alice/")]
    assert sorted(seen) == sorted(expected)
    assert len(seen) == len(set(seen)) > 10
    assert page == 2


def test_runs_paged_list_covers_every_run(client: Client, small_world: World) -> None:
    ids: list[str] = []
    body = client.ok(client.get("/project/alice/mnist-sweep/runs", page=1, size=50))
    pages = body["pages"]
    assert pages == math.ceil(body["total"] / 50) == 3
    ids += [r["cuid"] for r in body["list"]]
    for p in range(2, pages + 1):
        ids += [
            r["cuid"]
            for r in client.ok(client.get("/project/alice/mnist-sweep/runs", page=p, size=50))[
                "list"
            ]
        ]
    assert sorted(ids) == sorted(small_world.runs("alice/mnist-sweep"))
    assert len(ids) > 100


def test_csv_chain_matches_truth(client: Client, small_world: World) -> None:
    rid = run_named(small_world, "alice/quirks", "kitchen-sink")
    keys = ["weird/nan_inf", "sparse/every5", "late/from30", "Loss", "loss"]
    ref = run_ref(small_world, rid)
    cols = [{**ref, "key": k, "experimentName": "kitchen-sink"} for k in keys]
    cos = client.ok(
        client.post(
            "/house/metrics/scalar/export", {"projectId": ref["projectId"], "columns": cols}
        )
    )
    urls = client.ok(client.post("/files/presigned/get", {"paths": [cos["cosKey"]]}))["urls"]
    with requests.Session() as plain:  # the download needs no cookie
        rows = csv_rows(plain.get(urls[0]))
    assert rows[0][0] == "step" and len(rows[0]) == 1 + 2 * len(keys)
    steps = [int(r[0]) for r in rows[1:]]
    assert steps == sorted(steps)
    for k, key in enumerate(keys):
        got = [(int(r[0]), float(r[1 + 2 * k]), ms(r[2 + 2 * k])) for r in rows[1:] if r[1 + 2 * k]]
        want = list(small_world.iter_points(rid, key))
        assert len(got) == len(want) > 0
        for (s1, v1, t1), (s2, v2, t2) in zip(got, want, strict=True):
            assert s1 == s2 and t1 == t2
            assert v1 == v2 or (math.isnan(v1) and math.isnan(v2))


def test_summaries_match_truth(client: Client, small_world: World) -> None:
    project = "alice/quirks"
    refs = [run_ref(small_world, r) for r in small_world.runs(project)]
    body = client.ok(client.post("/house/metrics/summaries", {"experiments": refs}))
    truth = small_world.truth(metrics=False)["summaries"]
    n = 0
    for i, run_id in enumerate(truth["run_id"]):
        if run_id not in body:
            continue
        got = body[run_id][truth["key"][i]]
        assert got["step"] == truth["last_step"][i]
        assert got["min"]["index"] == truth["min_step"][i]
        assert got["max"]["index"] == truth["max_step"][i]
        n += 1
    assert n > 20
    empty = run_named(small_world, project, "no-metrics")
    assert body[empty] is None

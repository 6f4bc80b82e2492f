"""The simulator's consoles and media: what goes on the wire (raw bytes that are not UTF-8,
downloads found by storage path, expired links) and that the truth states it."""

from __future__ import annotations

import hashlib
import json

import requests

from trackersim.swanlab import SimServer, World, build_world, console
from trackersim.swanlab.truth import rows

from .simclient import Client, run_named, run_ref

Q = "alice/quirks"


def _page(c: Client, world: World, rid: str, epoch: int = 0) -> requests.Response:
    ref = run_ref(world, rid)
    return c.get(
        "/house/metrics/log",
        projectId=ref["projectId"],
        experimentId=rid,
        size=1000,
        epoch=epoch,
        level="DEBUG",
        createdAt=ref["createdAt"],
    )


def test_broken_bytes_travel_raw_and_the_truth_repairs_them(
    fresh: tuple[World, SimServer, Client],
) -> None:
    world, _, c = fresh
    world.options.update({"json_escapes": False, "log_append_on_read": 0})
    rid = run_named(world, Q, "kitchen-sink")
    body = _page(c, world, rid).content
    assert b"bad byte \xff in line 15" in body  # not UTF-8: a strict reader fails the page
    lines = json.loads(body.decode("utf-8", "replace"))["logs"]
    truth = {r["seq"]: r for r in rows(world.truth(metrics=False)["logs"]) if r["run_id"] == rid}
    assert [ln["epoch"] for ln in lines] == sorted(truth)
    assert all(ln["message"] == truth[ln["epoch"]]["text"] for ln in lines)
    assert truth[15]["text"] == "bad byte \ufffd in line 15"


def test_a_long_line_is_whole_on_the_wire_and_cut_in_the_truth(small_world: World) -> None:
    rid = next(r for r in small_world.runs("alice/hostile.v2+x_-") if small_world.run(r).log_long)
    run = small_world.run(rid)
    ln = console.line(run, 2)
    assert ln.epoch == 3 and len(ln.raw) == console.LONG_LINE_BYTES
    assert ln.text == ln.raw[: console.MAX_LOG_LINE].decode() + console.CUT_MARKER.format(
        total=console.LONG_LINE_BYTES
    )


def test_appended_lines_and_the_append_control_route(
    fresh: tuple[World, SimServer, Client],
) -> None:
    world, sim, c = fresh
    world.options.update({"log_append_on_read": 2})
    rid = run_named(world, Q, "kitchen-sink")  # RUNNING
    before = world.run(rid).log_count()
    first = c.ok(_page(c, world, rid))
    assert first["count"] == before + 2  # printed while it was read
    resp = requests.post(
        f"{sim.url}/_sim/append_logs", json={"run_id": rid, "lines": 5}, timeout=10
    )
    assert resp.status_code == 200
    assert world.run(rid).log_count() == before + 7
    done = run_named(world, Q, "media-zoo")  # FINISHED: prints nothing more
    assert c.ok(_page(c, world, done))["count"] == world.run(done).log_count()


def test_wide_consoles_export_the_same_rows_fast() -> None:
    world = build_world("bench", runs=0, keys=1, steps=5, log_lines=5000, log_width=70)
    run = world.run(world.runs()[0])
    slow = b"".join(console.export_line(console.line(run, i)) for i in range(4000, 5000))
    assert console.export_block(run, 4000, 5000) == slow


def test_media_downloads_by_storage_path_and_expired_links(
    fresh: tuple[World, SimServer, Client],
) -> None:
    world, sim, c = fresh
    rid = run_named(world, Q, "media-zoo")
    ref = run_ref(world, rid)
    truth = {
        (r["key"], r["step"], r["idx"]): r
        for r in rows(world.truth(metrics=False, logs=False)["media"])
        if r["run_id"] == rid
    }
    keys = sorted({k for k, _, _ in truth})
    listed = c.ok(
        c.post(
            "/house/metrics/f_media",
            {"projectId": ref["projectId"], "columns": [{**ref, "key": k} for k in keys]},
        )
    )
    items = [
        (entry["key"], m["index"], i, path)
        for entry in listed
        for m in entry["metrics"]
        for i, path in enumerate(m["data"])
    ]
    assert {(k, s, i) for k, s, i, _ in items} == set(truth)
    urls = c.ok(
        c.post(
            "/resources/presigned/get",
            {"prefix": f"{ref['projectId']}/{rid}", "paths": [p for *_, p in items]},
        )
    )["urls"]
    with requests.Session() as plain:  # object storage wants no cookie, only a signature
        for (key, step, idx, _), url in zip(items, urls, strict=True):
            resp = plain.get(url, timeout=10)
            want = truth[(key, step, idx)]
            if want["sha256"] is None:
                assert resp.status_code == 404 and b"NoSuchKey" in resp.content
                continue
            assert resp.status_code == 200
            assert hashlib.sha256(resp.content).hexdigest() == want["sha256"]
            assert resp.headers["Content-Type"] == want["content_type"]
        sim.expire_urls()
        expired = plain.get(urls[0], timeout=10)
        assert expired.status_code == 403 and b"expired" in expired.content.lower()
        fresh_url = c.ok(
            c.post(
                "/resources/presigned/get",
                {"prefix": f"{ref['projectId']}/{rid}", "paths": [items[0][3]]},
            )
        )["urls"][0]
        assert plain.get(fresh_url, timeout=10).status_code == 200
        forged = urls[0].replace(items[0][3].rsplit("/", 1)[-1], "000-9-deadbeef.png")
        assert plain.get(forged, timeout=10).status_code == 403

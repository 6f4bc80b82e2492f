"""SwanLabSource.media and media_content against the simulated cloud: listings per key and
step above the bookmarks, keys batched, kinds from file names, links presigned again when
object storage refuses them, an item gone upstream, and no credential sent to storage."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest

from swansync.errors import ApiError, NotFoundError
from swansync.sources.base import MediaRecord, ProjectRecord, RunRecord
from swansync.sources.swanlab.cloud.source import SwanLabSource
from tests.http.rawserver import RawRequest, RawServer, Reply
from tests.support.sources import resolve_all
from trackersim.swanlab import Faults, SimServer, World, build_world
from trackersim.swanlab.truth import rows

F_MEDIA = "POST /api/house/metrics/f_media"
MEDIA = "POST /api/house/metrics/media"
PRESIGN = "POST /api/resources/presigned/get"


@pytest.fixture
def world() -> World:
    return build_world("small", seed=0)


@pytest.fixture
def sim(world: World) -> Iterator[SimServer]:
    with SimServer(world, port=0) as sim:
        yield sim


def source(sim: SimServer) -> SwanLabSource:
    return SwanLabSource(sim.url, sim.api_key, backoff=0.001, retries=3)


def find(src: SwanLabSource, project: str, name: str) -> tuple[ProjectRecord, RunRecord]:
    (proj,) = resolve_all(src, [project])
    for item in src.list_runs(proj):
        if isinstance(item, dict) and item["name"] == name:
            return proj, item
    raise AssertionError(f"no run {name!r}")


def media_keys(src: SwanLabSource, proj: ProjectRecord, run: RunRecord) -> list[str]:
    return [k["key"] for k in src.metric_keys(proj, run) if k["kind"] == "MEDIA"]


def truth_items(world: World, run_id: str) -> dict[tuple[str, int, int], dict[str, Any]]:
    return {
        (r["key"], r["step"], r["idx"]): r
        for r in rows(world.truth(metrics=False, logs=False)["media"])
        if r["run_id"] == run_id
    }


def read(body: Any) -> bytes:
    return b"".join(body.chunks)


def n(sim: SimServer, route: str) -> int:
    return sim.counters.requests(route)


def test_every_item_of_every_kind_is_listed_once_with_its_caption(
    world: World, sim: SimServer
) -> None:
    src = source(sim)
    proj, run = find(src, "alice/quirks", "media-zoo")
    keys = media_keys(src, proj, run)
    items = list(src.media(proj, run, keys))
    want = truth_items(world, run["run_id"])
    got = {(m["key"], m["step"], m["idx"]): m for m in items}
    assert got.keys() == want.keys() and len(items) == len(got)
    for k, m in got.items():
        assert (m["kind"], m["caption"]) == (want[k]["kind"], want[k]["caption"]), k
        assert m["ref"] and m["url"] and m["ref"].startswith(f"media/{k[0]}/")
    assert {m["kind"] for m in items} == {
        "image",
        "audio",
        "video",
        "text",
        "html",
        "echarts",
        "object3d",
        "molecule",
    }
    assert n(sim, F_MEDIA) == 1 and n(sim, MEDIA) == 0  # nothing stored yet: all at once
    for m in items:
        if want[(m["key"], m["step"], m["idx"])]["sha256"] is None:
            continue  # the item gone from storage
        body = src.media_content(proj, run, m)
        data = read(body)
        assert hashlib.sha256(data).hexdigest() == want[(m["key"], m["step"], m["idx"])]["sha256"]
        assert body.size == len(data) and body.content_type


def test_only_steps_above_the_bookmarks_are_asked_for(world: World, sim: SimServer) -> None:
    src = source(sim)
    rid = world.add_run("alice/media", media=("a/img", "b/audio"), media_items=2, ticks=25)
    proj, run = find(src, "alice/media", world.run(rid).name)
    keys = media_keys(src, proj, run)
    first = list(src.media(proj, run, keys))
    last = {k: max(m["step"] for m in first if m["key"] == k) for k in keys}
    before = (n(sim, MEDIA), n(sim, F_MEDIA), n(sim, PRESIGN))
    assert list(src.media(proj, run, keys, last)) == []
    assert (n(sim, MEDIA), n(sim, F_MEDIA), n(sim, PRESIGN)) == (
        before[0] + 1,
        before[1],
        before[2],
    )
    world.grow(rid, 10)  # one more step (media every 10 ticks)
    new = list(src.media(proj, run, keys, last))
    assert {(m["key"], m["step"]) for m in new} == {("a/img", 30), ("b/audio", 30)}
    assert n(sim, MEDIA) == before[0] + 2 and n(sim, F_MEDIA) == before[1]  # the probe had it
    world.grow(rid, 60)  # six more steps: one f_media is cheaper than six calls
    last = {k: 30 for k in keys}
    many = list(src.media(proj, run, keys, last))
    assert sorted({m["step"] for m in many}) == [40, 50, 60, 70, 80, 90]
    assert n(sim, F_MEDIA) == before[1] + 1


def test_keys_are_asked_for_16_at_a_time(world: World, sim: SimServer) -> None:
    keys = tuple(f"k/{i:02d}" for i in range(20))
    rid = world.add_run("alice/media", media=keys, ticks=15, state="FINISHED")
    src = source(sim)
    proj, run = find(src, "alice/media", world.run(rid).name)
    items = list(src.media(proj, run, media_keys(src, proj, run)))
    assert len(items) == 40 and n(sim, F_MEDIA) == 2


def test_expired_links_are_presigned_again_and_a_gone_item_is_not_found(
    world: World, sim: SimServer
) -> None:
    src = source(sim)
    proj, run = find(src, "alice/quirks", "media-zoo")
    items = list(src.media(proj, run, media_keys(src, proj, run)))
    sim.expire_urls()  # every link handed out so far: 403 "Request has expired"
    item = next(m for m in items if m["key"] == "zoo/audio")
    before = n(sim, PRESIGN)
    assert read(src.media_content(proj, run, item)).startswith(b"RIFF")
    assert n(sim, PRESIGN) == before + 1
    # a later pull rebuilds the item from the warehouse: an old link, or none at all
    assert read(src.media_content(proj, run, {**item, "url": None})).startswith(b"RIFF")
    gone = next(m for m in items if (m["key"], m["step"], m["idx"]) == ("zoo/images", 5, 1))
    with pytest.raises(NotFoundError, match="not found upstream"):
        src.media_content(proj, run, gone)


def test_downloads_survive_hostile_storage(world: World, sim: SimServer) -> None:
    src = source(sim)
    proj, run = find(src, "alice/quirks", "media-zoo")
    items = list(src.media(proj, run, media_keys(src, proj, run)))
    want = truth_items(world, run["run_id"])
    sim.faults = Faults.hostile(rate=0.3, seed=5)
    for m in items:
        sha = want[(m["key"], m["step"], m["idx"])]["sha256"]
        if sha is None:
            continue
        for _ in range(4):  # a body broken midway is the sync's to open again
            try:
                data = read(src.media_content(proj, run, m))
            except ApiError:  # a break midway, or links refused thrice: once more
                continue
            break
        assert hashlib.sha256(data).hexdigest() == sha


def test_no_credential_goes_to_object_storage(sim: SimServer, raw_server: Any) -> None:
    storage = raw_server(lambda r: Reply(200, b"\x89PNG\r\n\x1a\nbytes"))
    hops: list[RawRequest] = []

    def edge(req: RawRequest) -> Any:
        hops.append(req)
        return Reply(302, b"", {"Location": f"{storage.url}/bucket/object.png?sig=x"})

    cdn: RawServer = raw_server(edge)
    src = source(sim)
    proj, run = find(src, "alice/quirks", "media-zoo")  # logged in: the client holds a sid
    item = MediaRecord(
        project=proj["project"],
        run_id=run["run_id"],
        key="k",
        step=0,
        idx=0,
        kind="image",
        caption=None,
        url=f"{cdn.url}/signed?sig=y",
        content_type=None,
        sha256=None,
        bytes=None,
        ref=None,
    )
    assert read(src.media_content(proj, run, item)).startswith(b"\x89PNG")
    for req in [*cdn.hits(), *storage.hits()]:
        assert not {"cookie", "authorization"} & set(req.headers), req.headers

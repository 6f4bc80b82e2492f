"""Consoles and media end to end against the hostile simulated cloud: exact and incremental,
finished runs cost no console or media request, downloads exact, bounded, resumable and
deduplicated, expired links presigned again, a gone item costs one warning once."""

from __future__ import annotations

from pathlib import Path

import pytest

from swansync.sync import pull
from trackersim.swanlab import Faults, SimServer, World, build_world

from .compare import compare
from .conftest import settings_for

CONSOLE_AND_MEDIA = (
    "GET /api/house/metrics/log",
    "POST /api/house/metrics/log/export",
    "POST /api/house/metrics/media",
    "POST /api/house/metrics/f_media",
    "POST /api/resources/presigned/get",
)


def routes(sim: SimServer) -> dict[str, int]:
    return {k: v[0] for k, v in sim.counters.snapshot().items()}


def asked(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: after[k] - before.get(k, 0) for k in after if after[k] - before.get(k, 0)}


def finish_everything(world: World) -> None:
    for rid in world.runs():
        if world.run(rid).state == "RUNNING":
            world.finish(rid)


@pytest.mark.parametrize("media", ["list", "download"])
def test_finished_mirrored_runs_cost_no_console_or_media_request(
    tmp_path: Path, media: str
) -> None:
    world = build_world("demo", seed=4, hostile=True)
    with SimServer(world, port=0) as sim:
        s = settings_for(sim, tmp_path / "w.duckdb", media=media)
        assert pull(s).status == "ok"
        finish_everything(world)
        assert pull(s).status == "ok"  # each run read once more, in its final state
        before = routes(sim)
        third = pull(s)
        used = asked(before, routes(sim))
        assert third.status == "ok" and third.rows["logs"] == third.rows["media"] == 0
        assert not set(used) & set(CONSOLE_AND_MEDIA), used
        assert "GET /_files/{path:path}" not in used  # no download either
        assert compare(s.db, world.truth(), "sim", media) == []


@pytest.mark.slow
def test_growing_consoles_and_media_land_exactly_pull_after_pull(tmp_path: Path) -> None:
    world = build_world("small", seed=1)
    with SimServer(world, port=0) as sim:
        s = settings_for(sim, tmp_path / "w.duckdb")
        assert pull(s).status == "ok"
        assert compare(s.db, world.truth(), "sim") == []
        for round_ in range(2):
            running = [r for r in world.runs() if world.run(r).state == "RUNNING"]
            for i, rid in enumerate(running):
                world.grow(rid, 7 + i)
                world.append_logs(rid, 3 * i)
            before = routes(sim)
            summary = pull(s)
            assert summary.status == "ok", summary.failures
            used = asked(before, routes(sim))
            # one console page per running run (each console is short); finished runs: none
            assert used["GET /api/house/metrics/log"] == len(running)
            assert summary.rows["logs"] > 0 and summary.rows["media"] > 0
            assert compare(s.db, world.truth(), "sim") == [], f"round {round_}"


@pytest.mark.slow
def test_downloads_land_exactly_and_a_gone_item_costs_one_warning_once(tmp_path: Path) -> None:
    world = build_world("small", seed=0)
    with SimServer(world, port=0) as sim:
        listed = settings_for(sim, tmp_path / "w.duckdb")
        assert pull(listed).status == "ok"  # rows with links, no files
        sim.expire_urls()  # by the next pull, every stored link has expired
        s = settings_for(sim, tmp_path / "w.duckdb", media="download")
        first = pull(s)
        assert first.status == "ok", first.failures
        gone = [w for w in first.warnings if "gone upstream" in w]
        assert len(gone) == 1 and "'zoo/images' step 5 #1" in gone[0]
        assert first.media_files > 0
        assert compare(s.db, world.truth(), "sim", "download") == []
        # the same bytes are stored once: media-zoo's "same bytes" key repeats one file
        files = [p for p in (tmp_path / "media").rglob("*") if p.is_file()]
        with_copy = sum(1 for r in world.truth(logs=False)["media"]["sha256"] if r)
        assert len(files) < with_copy
        second = pull(s)
        assert not [w for w in second.warnings if "gone upstream" in w]
        assert second.media_files <= second.rows["media"]  # only new items are fetched
        assert compare(s.db, world.truth(), "sim", "download") == []


@pytest.mark.slow
def test_a_bounded_pull_leaves_the_rest_to_the_next_ones(tmp_path: Path) -> None:
    world = build_world("small", seed=0)
    with SimServer(world, port=0) as sim:
        s = settings_for(sim, tmp_path / "w.duckdb", media="download", media_max_total_bytes=40_000)
        pulls = 0
        while True:
            pulls += 1
            summary = pull(s)
            assert summary.status == "ok", summary.failures
            if not summary.media_deferred:
                break
            assert pulls < 12
        assert pulls >= 2
        assert compare(s.db, world.truth(), "sim", "download") == []


def test_downloads_under_hostile_faults_are_exact(tmp_path: Path) -> None:
    world = build_world("small", seed=2)
    with SimServer(world, port=0) as sim:
        sim.faults = Faults.hostile(rate=0.15, seed=11)
        s = settings_for(sim, tmp_path / "w.duckdb", media="download", retries=6)
        summary = pull(s)
        sim.faults = Faults()
        assert summary.status == "ok", summary.failures
        broken = [w for w in summary.warnings if "not downloaded" in w and "gone" not in w]
        if broken:  # a file whose every read broke: the next pull fetches it
            assert pull(s).status == "ok"
        assert compare(s.db, world.truth(), "sim", "download") == []

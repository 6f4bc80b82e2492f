"""Consoles (``output.log``) and media of W&B runs from the simulated server, against its truth:
exact with the hostile bytes on (CRLF, bad UTF-8, a 1 MiB line, a half-written last line, a
media file that is gone), only the new tail of a grown console (Range), no request for a
mirrored finished run, expired URLs asked for again, a kill or a failing console read costing
nothing once the next pull ran."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

import swansync
from swansync.sources.base import LogRecord, ProjectRecord, RunRecord
from swansync.sources.wandb.cloud.source import WandbCloudSource
from trackersim.wandb import Faults, SimServer, World

from .conftest import SOURCE, settings

PROJECTS = ("alice/quirks", "vision-lab/detr")
FILES = "GET /_files/run"


def q(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def logs_problems(db: Path, world: World, projects: tuple[str, ...] = PROJECTS) -> list[str]:
    got = q(
        db,
        "SELECT project, run_id, seq, ts, level, stream, text FROM logs "
        f"WHERE source = '{SOURCE}' ORDER BY 1, 2, 3",
    )
    want = sorted(
        (t["project"], t["run_id"], t["seq"], t["ts"], t["level"], t["stream"], t["text"])
        for t in world.truth()["logs"]
        if t["project"] in projects
    )
    if got == want:
        return []
    extra, missing = set(got) - set(want), set(want) - set(got)
    return [f"extra {len(extra)} e.g. {sorted(extra)[:1]}; missing {sorted(missing)[:1]}"]


def media_problems(db: Path, world: World, downloaded: bool = False) -> list[str]:
    got = q(
        db,
        "SELECT project, run_id, key, step, idx, kind, caption, sha256, bytes, ref, "
        f"path IS NOT NULL FROM media WHERE source = '{SOURCE}' ORDER BY 1, 2, 3, 4, 5",
    )
    want = sorted(
        (
            m["project"],
            m["run_id"],
            m["key"],
            m["step"],
            m["idx"],
            m["kind"],
            m["caption"],
            m["sha256"],
            m["bytes"],
            m["name"],
            downloaded and not m["missing"],
        )
        for m in world.truth()["media_items"]
        if m["project"] in PROJECTS
    )
    if got == want:
        return []
    extra, missing = sorted(set(got) - set(want)), sorted(set(want) - set(got))
    return [f"{len(got)} rows, {len(want)} wanted; extra {extra[:2]}; missing {missing[:2]}"]


def kitchen(world: World) -> str:
    return world.runs("alice/quirks")[0]  # running, 260 steps, media, a 1 MiB console line


def test_repaired_console_lines_are_one_warning_that_counts_them(
    sim: SimServer, world: World, db: Path
) -> None:
    """Hostile consoles repair lines in most runs (the small world: 586 warnings, 20 per run):
    the pull says so once, with how many lines in how many runs and the first one."""
    summary = swansync.pull(settings(sim, db))
    assert summary.status == "ok", summary.failures
    repaired = q(
        db,
        "SELECT count(*), count(DISTINCT run_id) FROM logs "
        "WHERE contains(text, '\ufffd') OR contains(text, 'line cut at 1 MiB by swansync')",
    )[0]
    assert repaired[1] > 20, repaired  # the world repairs lines in many runs: the test can fail
    (warning,) = [w for w in summary.warnings if "console" in w]
    assert warning.startswith(f"console: {repaired[0]:,} line(s) repaired in {repaired[1]} run(s)")
    assert "; first: console line " in warning


def test_consoles_and_media_are_exact_and_a_second_pull_reads_none(
    sim: SimServer, world: World, db: Path, tmp_path: Path
) -> None:
    summary = swansync.pull(settings(sim, db, PROJECTS, media="download"))
    assert summary.status == "ok", summary.failures
    assert logs_problems(db, world) == []
    assert media_problems(db, world, downloaded=True) == []
    for path, sha in q(db, "SELECT path, sha256 FROM media WHERE path IS NOT NULL"):
        assert hashlib.sha256((tmp_path / path).read_bytes()).hexdigest() == sha
    missing = [m for m in world.truth()["media_items"] if m["missing"]]
    gone = [w for w in summary.warnings if "gone upstream" in w]
    assert len(gone) == len(missing) > 0  # each costs itself, one warning
    assert any("cut" in w for w in summary.warnings)
    urls = q(db, "SELECT url FROM media WHERE url IS NOT NULL")
    assert urls and all(sim.api_key not in u for (u,) in urls)
    sim.counters.reset()
    again = swansync.pull(settings(sim, db, PROJECTS, media="download"))
    assert again.rows["logs"] == 0 and again.rows["media"] == 0
    # finished runs cost nothing; the running kitchen-sink did not change: no read either
    assert "RunFiles" not in sim.counters.snapshot() and FILES not in sim.counters.snapshot()


def test_a_grown_console_is_read_from_its_last_line(sim: SimServer, world: World, db: Path) -> None:
    swansync.pull(settings(sim, db, PROJECTS))
    run = kitchen(world)
    before = q(db, f"SELECT max(seq) FROM logs WHERE run_id = '{run}'")[0][0]
    world.grow(run, 7)
    sim.counters.reset()
    summary = swansync.pull(settings(sim, db, PROJECTS))
    assert summary.status == "ok", summary.failures
    assert logs_problems(db, world) == [] and media_problems(db, world) == []
    assert q(db, f"SELECT max(seq) FROM logs WHERE run_id = '{run}'")[0][0] == before + 7
    n, nbytes = sim.counters.snapshot()[FILES]
    assert n == 1 and nbytes < 2_000  # the new tail only (the file is over 1 MiB)
    world.finish(run)  # the half-written line is never completed: it is not a line
    swansync.pull(settings(sim, db, PROJECTS))
    assert logs_problems(db, world) == []


def test_media_listed_late_and_expired_urls(sim: SimServer, world: World, db: Path) -> None:
    world.options.presign_ttl_s = -1  # every URL handed out has expired already
    swansync.pull(settings(sim, db, PROJECTS, media="none"))
    assert q(db, "SELECT count(*) FROM media") == [(0,)]
    summary = swansync.pull(settings(sim, db, PROJECTS, media="list"))  # the bookmark is behind
    assert summary.status == "ok" and media_problems(db, world) == []
    world.options.presign_ttl_s = 600
    summary = swansync.pull(settings(sim, db, PROJECTS, media="download"))
    assert summary.status == "ok", summary.failures
    assert media_problems(db, world, downloaded=True) == []  # asked for fresh URLs


class LogsDie(WandbCloudSource):
    """Dies (a kill) after handing over some console lines, before they are written."""

    def logs(
        self, project: ProjectRecord, run: RunRecord, after_seq: int | None
    ) -> Iterator[LogRecord]:
        for i, rec in enumerate(super().logs(project, run, after_seq)):
            if i == 3:
                raise KeyboardInterrupt
            yield rec


def test_a_kill_after_the_cursor_committed_loses_no_line(
    sim: SimServer, world: World, db: Path
) -> None:
    source = LogsDie(sim.url, sim.api_key, name=SOURCE, projects=PROJECTS, backoff=0.01)
    try:
        with pytest.raises(KeyboardInterrupt):
            swansync.pull(settings(sim, db, PROJECTS), sources=[source])
    finally:
        source.close()
    summary = swansync.pull(settings(sim, db, PROJECTS))
    assert summary.status == "ok", summary.failures
    assert logs_problems(db, world) == []
    assert not [w for w in summary.warnings if "repeat" in w]


def test_a_console_that_cannot_be_read_is_read_next_time(
    sim: SimServer, world: World, db: Path
) -> None:
    sim.faults = Faults(operations=[FILES], rate_5xx=1.0)
    summary = swansync.pull(settings(sim, db, PROJECTS, retries=1))
    assert summary.status == "partial"
    assert {f.reason.split(":")[0] for f in summary.failures} == {"console"}
    assert q(db, "SELECT count(*) FROM logs") == [(0,)]
    assert q(db, "SELECT count(*) FROM metrics")[0][0] > 0  # the rest of each run landed
    sim.faults = Faults()
    summary = swansync.pull(settings(sim, db, PROJECTS))
    assert summary.status == "ok", summary.failures
    assert logs_problems(db, world) == []


@pytest.mark.parametrize("action", ["reset_body", "truncate"])
def test_a_console_body_broken_midway_is_read_on_from_its_last_line(
    sim: SimServer, world: World, db: Path, action: str
) -> None:
    sim.faults = Faults(operations=[FILES], script=[action] * 3)
    summary = swansync.pull(settings(sim, db, PROJECTS))
    assert summary.status == "ok", summary.failures
    assert sim.faults.script == []
    assert logs_problems(db, world) == []


def test_media_bodies_cut_short_are_fetched_again(
    sim: SimServer, world: World, db: Path, tmp_path: Path
) -> None:
    swansync.pull(settings(sim, db, PROJECTS))  # consoles and listings first
    sim.faults = Faults(operations=[FILES], script=["truncate", "truncate"])
    summary = swansync.pull(settings(sim, db, PROJECTS, media="download"))
    assert sim.faults.script == []
    assert summary.status == "ok", summary.failures
    assert media_problems(db, world, downloaded=True) == []
    for path, sha in q(db, "SELECT path, sha256 FROM media WHERE path IS NOT NULL"):
        assert hashlib.sha256((tmp_path / path).read_bytes()).hexdigest() == sha
    assert logs_problems(db, world) == []

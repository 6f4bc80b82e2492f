"""Whole pulls of the real console-and-media folders (``tests/local/realmedia``, swanlab 0.10.3
and 0.7.20) into a warehouse: every line and item lands exactly, files download into the
content-addressed store, a second pull of finished runs reads no console or media file, and the
folder is never touched. The same through the real ``swanlab watch``."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

import swansync
from swansync.sources.base import LogRecord
from swansync.sources.swanlab.logdir import LogDirSource
from tests.local.expect import folder_digest
from tests.local.media_expect import FLAVOURS, UNREGISTERED, Fixture, check_console, load
from tests.local.realenv import Dashboard, RealData, venv_python
from tests.support.settings import local_settings


@pytest.fixture(params=sorted(FLAVOURS))
def fx(request: pytest.FixtureRequest) -> Fixture:
    return load(request.param)


def _logs(wh: swansync.Warehouse, source: str, run_id: str) -> list[LogRecord]:
    rows = wh.rows(
        "SELECT seq, ts, level, stream, text FROM logs WHERE source = ? AND run_id = ? "
        "ORDER BY seq",
        [source, run_id],
    )
    return [
        {
            "project": "",
            "run_id": run_id,
            "seq": seq,
            "ts": ts,
            "level": level,
            "stream": stream,
            "text": text,
        }
        for seq, ts, level, stream, text in rows
    ]


def check_warehouse(
    wh: swansync.Warehouse, fx: Fixture, source: str, root: Path, *, folder: bool
) -> None:
    """Lines as the manifest says; every expected item once, with its bytes in the store."""
    for run in fx.manifest["runs"]:
        check_console(fx, run, _logs(wh, source, run["run_dir"]), detailed=folder)
    rows = wh.rows(
        "SELECT run_id, key, step, idx, kind, caption, path, sha256, bytes FROM media "
        "WHERE source = ?",
        [source],
    )
    got = {(r[0], r[1], r[2], r[3]): r[4:] for r in rows}
    want = {
        (m["run_dir"], m["key"], m["step"], m["idx"]): m
        for m in fx.expected_media(registered_only=not folder)
    }
    assert set(got) == set(want)
    for k, m in want.items():
        kind, caption, path, sha, size = got[k]
        assert (kind, caption) == (m["kind"], m["caption"]), k
        assert path is not None, k
        data = (root / path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == sha and len(data) == size, k
        if m["sha256"] is not None:
            assert sha == m["sha256"], k


def test_pull_mirrors_console_and_media_then_costs_nothing(fx: Fixture, tmp_path: Path) -> None:
    folder = fx.copy_to(tmp_path / "media-demo")
    before = folder_digest(folder)
    db = tmp_path / "w.duckdb"
    settings = swansync.Settings(db=db, media="download", apply_views=False, env={})
    src = LogDirSource(folder)
    first = swansync.pull(settings, sources=[src])
    assert first.status == "ok", first.failures
    assert {"console", "media", "media file"} <= set(src.counters.by_route)
    with swansync.Warehouse(db, read_only=True) as wh:
        check_warehouse(wh, fx, src.name, tmp_path, folder=True)
        counts = wh.rows("SELECT (SELECT count(*) FROM logs), (SELECT count(*) FROM media)")
    # finished runs whose console and media are mirrored: not one console or media read
    again = LogDirSource(folder)
    second = swansync.pull(settings, sources=[again])
    assert second.status == "ok", second.failures
    assert not {"console", "media", "media file"} & set(again.counters.by_route)
    with swansync.Warehouse(db, read_only=True) as wh:
        assert wh.rows("SELECT (SELECT count(*) FROM logs), (SELECT count(*) FROM media)") == counts
    assert folder_digest(folder) == before


@pytest.mark.integration
def test_pull_through_the_dashboard(fx: Fixture, tmp_path: Path) -> None:
    folder = fx.copy_to(tmp_path / "served" / "media-demo")
    server = Dashboard(
        RealData(fx.flavour, venv_python(fx.flavour), folder.parent, {}), folder, tmp_path / "s"
    )
    try:
        db = tmp_path / "w.duckdb"
        settings = local_settings(db, dashboards=[server.url], media="download")
        summary = swansync.pull(settings)
        assert summary.status == "ok", summary.failures
        host = server.url.split("//", 1)[1]
        with swansync.Warehouse(db, read_only=True) as wh:
            check_warehouse(wh, fx, f"dashboard:{host}", tmp_path, folder=False)
            unregistered = wh.rows(
                "SELECT count(*) FROM media WHERE key IN (SELECT unnest(?))", [sorted(UNREGISTERED)]
            )
            assert unregistered == [(0,)]
    finally:
        server.stop()

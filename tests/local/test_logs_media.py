"""Console lines and media of real SwanLab runs (0.10.3 and 0.7.20, written by
``tests/local/realmedia/make_media_runs.py`` and committed), read from the log folder and
through the real offline dashboard, exact against what the runs logged."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from swansync.sources.base import LogRecord, MediaRecord
from swansync.sources.swanlab.dashboard import DashboardSource
from swansync.sources.swanlab.logdir import LogDirSource
from tests.local.expect import folder_digest
from tests.local.media_expect import (
    FLAVOURS,
    UNREGISTERED,
    Fixture,
    check_console,
    check_media,
    load,
    media_keys,
    runs_of,
)
from tests.local.realenv import Dashboard, RealData, venv_python

Key = tuple[str, str, int, int]


def read_all(src: Any) -> tuple[dict[str, list[LogRecord]], list[MediaRecord], dict[Key, bytes]]:
    """Every run's console, every media item and its bytes, as the sync would ask."""
    project, runs = runs_of(src)
    logs: dict[str, list[LogRecord]] = {}
    items: list[MediaRecord] = []
    contents: dict[Key, bytes] = {}
    for run_id, run in runs.items():
        logs[run_id] = list(src.logs(project, run, None))
        for item in src.media(project, run, media_keys(src, project, run)):
            items.append(item)
            key = (item["run_id"], item["key"], item["step"], item["idx"])
            body = src.media_content(project, run, item)
            contents[key] = b"".join(body.chunks)
            assert body.size == len(contents[key]), key
            # the same sort of file (the dashboard's server says audio/x-wav for audio/wav)
            sort = (item["content_type"] or "-").split("/")[0]
            assert (body.content_type or "").split("/")[0] == sort, key
    return logs, items, contents


def check_all(
    fx: Fixture, src: Any, *, detailed: bool = True
) -> tuple[dict[str, list[LogRecord]], list[MediaRecord]]:
    logs, items, contents = read_all(src)
    assert set(logs) == {r["run_dir"] for r in fx.manifest["runs"]}
    for run_man in fx.manifest["runs"]:
        check_console(fx, run_man, logs[run_man["run_dir"]], detailed=detailed)
    check_media(fx, items, contents, registered_only=not detailed)
    assert src.warnings() == []
    return logs, items


@pytest.fixture(params=sorted(FLAVOURS))
def fx(request: pytest.FixtureRequest) -> Fixture:
    return load(request.param)


def test_log_folder_gives_every_line_and_item_exactly(fx: Fixture, tmp_path: Path) -> None:
    folder = fx.copy_to(tmp_path / "media-demo")
    before = folder_digest(folder)
    src = LogDirSource(folder)
    _, items = check_all(fx, src)
    # files: their path inside the log folder (texts of 0.7.x have none: inline)
    for item in items:
        if item["ref"] is not None and not item["ref"].startswith("inline:"):
            assert Path(item["ref"]).is_relative_to(folder.resolve())
            assert item["url"] == Path(item["ref"]).as_uri()
    src.close()
    assert folder_digest(folder) == before  # no byte, mtime or side file changed


def test_series_the_dashboard_cannot_show_are_named_by_the_record_stream(
    fx: Fixture, tmp_path: Path
) -> None:
    """ECharts has no row in runs.swanlab; 0.7.x declares it in backup.swanlab, 0.10.x logs its
    items in run-<id>.swanlab: the folder finds it either way."""
    src = LogDirSource(fx.copy_to(tmp_path / "media-demo"))
    project, runs = runs_of(src)
    finished = next(r for r in fx.manifest["runs"] if r["kind"] == "finished")["run_dir"]
    assert "charts/line" in media_keys(src, project, runs[finished])
    (chart,) = src.media(project, runs[finished], ["charts/line"])
    assert (chart["kind"], chart["content_type"]) == ("echarts", "application/json")
    assert json.loads(b"".join(src.media_content(project, runs[finished], chart).chunks))


def test_reading_from_a_bookmark_gives_exactly_the_rest(fx: Fixture, tmp_path: Path) -> None:
    src = LogDirSource(fx.copy_to(tmp_path / "media-demo"))
    project, runs = runs_of(src)
    for run in runs.values():
        everything = list(src.logs(project, run, None))
        for after in range(len(everything) + 2):
            assert list(src.logs(project, run, after)) == everything[after:], after
        keys = media_keys(src, project, run)
        items = list(src.media(project, run, keys))
        for key in keys:
            for after in (-1, 0, 1, 2, 3):
                newer = [i for i in items if i["key"] == key and i["step"] > after]
                assert list(src.media(project, run, [key], {key: after})) == newer


def _described(i: MediaRecord) -> tuple[Any, ...]:
    return (i["run_id"], i["key"], i["step"], i["idx"], i["kind"], i["caption"], i["content_type"])


@pytest.fixture
def served(fx: Fixture, tmp_path: Path) -> Iterator[tuple[Fixture, Path, Dashboard]]:
    folder = fx.copy_to(tmp_path / "served" / "media-demo")
    data = RealData(fx.flavour, venv_python(fx.flavour), folder.parent, {})
    server = Dashboard(data, folder, tmp_path / "serve.log")
    try:
        yield fx, folder, server
    finally:
        server.stop()


@pytest.mark.integration
def test_dashboard_gives_what_the_folder_gives(
    served: tuple[Fixture, Path, Dashboard], tmp_path: Path
) -> None:
    """Through the real ``swanlab watch``: the same lines (seq and text; no levels, streams or
    times but ERROR), the same media items and bytes (the files over its media route)."""
    fx, folder, server = served
    dash = DashboardSource(server.url)
    logs, items = check_all(fx, dash, detailed=False)
    folder_logs, folder_items, _ = read_all(LogDirSource(folder))
    folder_items = [i for i in folder_items if i["key"] not in UNREGISTERED]
    for run_id, lines in logs.items():
        assert [(r["seq"], r["text"]) for r in lines] == [
            (r["seq"], r["text"]) for r in folder_logs[run_id]
        ]
        assert all(r["stream"] is None and r["ts"] is None for r in lines)
    assert sorted(map(_described, items)) == sorted(map(_described, folder_items))
    files = [i for i in items if not (i["ref"] or "").startswith("inline:")]
    assert files and all(i["url"] and i["url"].startswith(server.url) for i in files)
    routes = dash.counters.by_route
    assert set(routes) <= {
        "GET /project",
        "GET /experiment/{id}/chart",
        "GET /experiment/{id}/recent_log",
        "GET /experiment/{id}/tag",
        "GET /media/{name}",
    }
    assert routes["GET /media/{name}"] == len(files)
    dash.close()

"""The dashboard's console and media answers, as swanboard gives them (samples from the real
server, and a fake one for what it does on bad days): whole-console ``recent_log`` with its
day-file seams and unfinished tail, sampled media series, missing files, a strict guard for the
media route."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from swansync.errors import FatalApiError, NotFoundError
from swansync.sources.base import MediaRecord, ProjectRecord, RunRecord
from swansync.sources.swanlab.dashboard import DashboardSource
from swansync.sources.swanlab.dashboard.api import guard_media
from swansync.sources.swanlab.dashboard.console import recent_lines
from tests.support.sources import resolve_all
from tests.swanlab.conftest import FakeServer, Reply, Req

SAMPLES = Path(__file__).resolve().parents[2] / "docs/protocols/swanlab-offline-dashboard-samples"


def test_recent_log_sample_of_a_crashed_run() -> None:
    body = json.loads((SAMPLES / "07-recent_log-crashed.json").read_text(encoding="utf-8"))
    data = body["body"]["data"]
    got = list(recent_lines(data, None, ended=True))
    assert [seq for seq, *_ in got[:-1]] == list(range(1, len(data["logs"])))  # last "" dropped
    assert got[0][1] == "swanlab: Tracking run with swanlab version 0.10.3"
    assert got[-1] == (
        len(data["logs"]),
        'Traceback (most recent call last):\n  File "train.py", line 42, in <module>\n'
        "RuntimeError: CUDA out of memory (simulated)",
        "ERROR",
        False,
    )
    assert list(recent_lines(data, len(data["logs"]), ended=True)) == []


def test_recent_log_seams_tail_and_bookmarks() -> None:
    # two day files: "a\nb\n" and "c\npartial" -> the split leaves "" at the seam
    data = {"logs": ["a", "b", "", "c", "partial"], "error": ["x"], "recent": ["a", "c"]}
    live = [(s, t) for s, t, *_ in recent_lines(data, None, ended=False)]
    assert live == [(1, "a"), (2, "b"), (3, ""), (4, "c")]  # no error while running
    ended = [(s, t, lvl) for s, t, lvl, _ in recent_lines(data, 3, ended=True)]
    assert ended == [(4, "c", None), (5, "partial", None), (6, "x", "ERROR")]


@pytest.mark.parametrize(
    "name", ["000-6bb27953.png", "image-step0-1949e86622913498.png", "image-stepNone-a.gif"]
)
def test_media_guard_allows_sdk_file_names(name: str) -> None:
    assert guard_media(name) == f"/media/{name}"


@pytest.mark.parametrize(
    "name", ["../runs.swanlab", "a/b.png", ".hidden", "x..png", "", "a b.png", "%2e%2e", "a?b"]
)
def test_media_guard_refuses_anything_else(name: str) -> None:
    with pytest.raises(FatalApiError):
        guard_media(name)


def _ok(data: Any) -> Reply:
    return Reply(200, {"code": 0, "message": "success", "data": data})


PROJECT = {
    "id": 1,
    "name": "p",
    "experiments": [
        {"id": 1, "run_id": "run-live", "name": "live", "status": 0},
        {"id": 2, "run_id": "run-crashed", "name": "crashed", "status": -1},
        {"id": 3, "run_id": "run-quiet", "name": "quiet", "status": 1},
        {"id": 4, "run_id": "run-broken", "name": "broken", "status": 1},
    ],
}
CHARTS = {
    "charts": [
        {"type": "image", "source": ["img"]},
        {"type": "text", "source": ["txt"]},
        {"type": "line", "source": ["loss"]},
    ],
    "namespaces": [],
}
IMG = {
    "sum": 3000,  # sampled: only two points came back
    "list": [
        {"index": 0, "data": ["000-a.png", "000-b.png"], "more": [{"caption": "c"}, None]},
        {"index": 7, "data": ["../escape.png", "007-c.png"], "more": [None, None]},
    ],
}
TXT = {"sum": 1, "list": [{"index": 3, "data": ["héllo"], "more": [{"caption": "t"}]}]}


def app(req: Req) -> Reply:
    p = req.path.removeprefix("/api/v1")
    if p == "/project":
        return _ok(PROJECT)
    if p == "/experiment/1/recent_log":
        return _ok({"logs": ["one", "two", "half"], "recent": ["one", "two"]})
    if p == "/experiment/2/recent_log":
        return _ok({"logs": ["boom coming", ""], "error": ["2026-01-01 10:00:00.5", "E", ""]})
    if p == "/experiment/3/recent_log":
        return Reply(404, {"code": 3404, "message": "No Logs Found"})
    if p == "/experiment/4/recent_log":
        return Reply(500, {"code": 3555, "message": "'utf-8' codec can't decode byte 0xff"})
    if p == "/experiment/1/chart":
        return _ok(CHARTS)
    if p == "/experiment/1/tag/img":
        return _ok(IMG)
    if p == "/experiment/1/tag/txt":
        return _ok(TXT)
    if p.startswith("/media/") and req.query == {"tag": "img", "experiment_id": "1"}:
        name = p.removeprefix("/media/")
        if name == "000-b.png":
            return Reply(404, {"detail": "Not Found"})
        return Reply(200, f"bytes of {name}".encode(), {"Content-Type": "image/png"})
    return Reply(500, {"code": 3555, "message": f"unexpected {p}"})


@pytest.fixture
def fake() -> Any:
    server = FakeServer(app)
    try:
        yield server
    finally:
        server.stop()


def _open(server: FakeServer) -> tuple[DashboardSource, ProjectRecord, dict[str, RunRecord]]:
    src = DashboardSource(server.url, backoff=0.0)
    (project,) = resolve_all(src)
    return src, project, {r["run_id"]: r for r in src.list_runs(project)}


def test_console_from_a_fake_swanboard(fake: FakeServer) -> None:
    src, project, runs = _open(fake)

    def lines(run_id: str, after: int | None = None) -> list[tuple[int, str, str | None]]:
        return [(r["seq"], r["text"], r["level"]) for r in src.logs(project, runs[run_id], after)]

    assert lines("run-live") == [(1, "one", None), (2, "two", None)]  # "half" is being written
    assert lines("run-live", 1) == [(2, "two", None)]
    assert lines("run-crashed") == [(1, "boom coming", None), (2, "E", "ERROR")]
    # read with the list (for raw.error), then for its console: no whole console kept between
    assert len(fake.hits("GET", "/api/v1/experiment/2/recent_log")) == 2
    assert lines("run-quiet") == []  # no console files: nothing, and no warning
    assert lines("run-broken") == []
    (warning,) = src.warnings()
    assert "run-broken" in warning and "console unreadable" in warning


def test_media_from_a_fake_swanboard(fake: FakeServer) -> None:
    src, project, runs = _open(fake)
    run = runs["run-live"]
    keys = [k["key"] for k in src.metric_keys(project, run) if k["kind"] == "MEDIA"]
    assert keys == ["img", "txt"]
    items = list(src.media(project, run, keys))
    got = [(i["key"], i["step"], i["idx"], i["kind"], i["caption"]) for i in items]
    assert got == [
        ("img", 0, 0, "image", "c"),
        ("img", 0, 1, "image", None),
        ("img", 7, 1, "image", None),  # "../escape.png" is no file name: skipped, warned
        ("txt", 3, 0, "text", "t"),
    ]
    by = {(i["key"], i["step"], i["idx"]): i for i in items}
    first: MediaRecord = by[("img", 0, 0)]
    assert first["url"] == f"{fake.url}/api/v1/media/000-a.png?tag=img&experiment_id=1"
    assert first["content_type"] == "image/png" and first["sha256"] is None
    body = src.media_content(project, run, first)
    assert (body.content_type, body.size) == ("image/png", len(b"bytes of 000-a.png"))
    assert b"".join(body.chunks) == b"bytes of 000-a.png"
    with pytest.raises(NotFoundError):
        src.media_content(project, run, by[("img", 0, 1)])
    text = by[("txt", 3, 0)]
    body = src.media_content(project, run, text)
    assert b"".join(body.chunks) == "héllo".encode() and body.size == text["bytes"]
    assert text["bytes"] == len("héllo".encode()) and text["sha256"] is not None
    assert [(i["key"], i["step"]) for i in src.media(project, run, keys, {"img": 0, "txt": 3})] == [
        ("img", 7)
    ]
    warnings = src.warnings()
    assert any("sampled by the dashboard" in w and "2 of 3000" in w for w in warnings)
    assert any("no plain file" in w and "escape" in w for w in warnings)
    assert not [h for h in fake.requests if ".." in h.path]

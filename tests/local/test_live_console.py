"""A real SwanLab run (0.10.3 and 0.7.20) whose console and text media grow while we read:
from the log folder and through ``swanlab watch``, the first read gives what is on disk, a read
from the bookmarks gives exactly what came after, and both add up to a read of the whole."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from swansync.sources.base import LogRecord, MediaRecord
from swansync.sources.swanlab.dashboard import DashboardSource
from swansync.sources.swanlab.logdir import LogDirSource
from tests.local.media_expect import runs_of
from tests.local.realenv import HERE, Dashboard, RealData, RealEnvError, venv_python, wait_for

pytestmark = pytest.mark.integration

FIRST, SECOND = 6, 5


class GrowingConsole:
    """``grow_console.py`` in a subprocess of the flavour's SDK venv."""

    def __init__(self, python: Path, logdir: Path) -> None:
        self.ctl = logdir.parent / "ctl"
        self.ctl.mkdir()
        self.out = (logdir.parent / "out.log").open("w")
        cmd = [str(python), str(HERE / "grow_console.py"), str(logdir), str(self.ctl)]
        self.proc = subprocess.Popen(
            [*cmd, str(FIRST), str(SECOND)], stdout=self.out, stderr=subprocess.STDOUT
        )

    def _alive(self, name: str) -> bool:
        if self.proc.poll() not in (None, 0):
            raise RealEnvError(f"grow_console.py exited {self.proc.returncode}")
        return (self.ctl / name).exists()

    def phase1(self) -> None:
        wait_for(lambda: self._alive("phase1.done"), "the live run's first lines")

    def finish(self) -> None:
        (self.ctl / "go").write_text("go\n")
        assert self.proc.wait(timeout=120) == 0

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()  # our own child, by its Popen handle
            self.proc.wait(timeout=30)
        self.out.close()


@pytest.fixture(params=["new", "old"])
def live(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Path, Any]]:
    flavour = request.param
    logdir = tmp_path / "growing"
    logdir.mkdir()
    run = GrowingConsole(venv_python(flavour), logdir)
    try:
        yield flavour, logdir, run
    finally:
        run.stop()


def _read(src: Any, after_seq: int | None, after_step: int | None) -> tuple[Any, Any]:
    project, runs = runs_of(src)
    (run,) = runs.values()
    logs: list[LogRecord] = list(src.logs(project, run, after_seq))
    bookmark = None if after_step is None else {"samples/text": after_step}
    media: list[MediaRecord] = list(src.media(project, run, ["samples/text"], bookmark))
    return run, (logs, media)


def _ours(logs: list[LogRecord]) -> list[str]:
    return [r["text"] for r in logs if r["text"].startswith("line ")]


def test_a_growing_console_is_read_incrementally(
    live: tuple[str, Path, GrowingConsole], tmp_path: Path
) -> None:
    flavour, logdir, run = live
    run.phase1()
    folder = LogDirSource(logdir)
    server = Dashboard(RealData(flavour, venv_python(flavour), logdir, {}), logdir, tmp_path / "s")
    try:
        dash = DashboardSource(server.url)
        for src in (folder, dash):
            record, (logs, media) = _read(src, None, None)
            assert record["state"] == "RUNNING"
            assert [r["seq"] for r in logs] == list(range(1, len(logs) + 1))
            assert _ours(logs) == [f"line {i} ✓" for i in range(FIRST)]
            assert [(m["step"], m["caption"]) for m in media] == [
                (i, f"c{i}") for i in range(FIRST)
            ]
        first_logs, first_media = _read(folder, None, None)[1]
        dash_first = _read(dash, None, None)[1][0]
        assert [(r["seq"], r["text"]) for r in dash_first] == [
            (r["seq"], r["text"]) for r in first_logs
        ]

        run.finish()
        seq = first_logs[-1]["seq"]
        for src in (folder, dash):
            record, (logs, media) = _read(src, seq, FIRST - 1)
            assert record["state"] == "FINISHED"
            assert _ours(logs) == [f"line {i} ✓" for i in range(FIRST, FIRST + SECOND)]
            assert [m["step"] for m in media] == list(range(FIRST, FIRST + SECOND))
            whole_logs, whole_media = _read(src, None, None)[1]
            assert [(r["seq"], r["text"]) for r in [*first_logs, *logs]] == [
                (r["seq"], r["text"]) for r in whole_logs
            ]
            assert [m["step"] for m in [*first_media, *media]] == [m["step"] for m in whole_media]
        assert folder.warnings() == dash.warnings() == []
        dash.close()
    finally:
        server.stop()

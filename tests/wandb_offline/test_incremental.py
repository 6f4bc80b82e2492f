"""A run that grows between pulls: the real ``growing`` log replayed as it was seen while wandb
0.31.0 wrote it (its prefixes at the three sizes the generator copied, then the whole file),
appended to one file. Each pull reads only from where the last committed one stopped, the rows
and summaries stay exact, and a kill between fetching and committing loses nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest

from swansync.sources.base import Points, ProjectRecord, RunRecord
from swansync.sources.wandb.offline.source import WandbOfflineSource
from tests.local.realenv import wait_for
from tests.wandb_offline.expect import fixture, history_rows, metric_problems, pull_dir, rows

RUN = "growing0310"
HERE = Path(__file__).resolve().parent


class Growing:
    """A private run folder whose log is the fixture's log up to a size, grown by appending."""

    def __init__(self, root: Path) -> None:
        self.fx = fixture("growing")
        self.data = self.fx.log.read_bytes()
        self.sizes = [s["size"] for s in self.fx.entry["snapshots"]] + [len(self.data)]
        self.root = root
        folder = root / "wandb" / self.fx.folder.name
        (folder / "files").mkdir(parents=True)
        for name in ("requirements.txt", "output.log"):
            (folder / "files" / name).write_bytes((self.fx.folder / "files" / name).read_bytes())
        self.log = folder / self.fx.log.name
        self.log.write_bytes(b"")
        self.written = 0

    def grow_to(self, size: int) -> None:
        with self.log.open("ab") as out:
            out.write(self.data[self.written : size])
        self.written = size

    def problems(self, db: Path) -> list[str]:
        """The stored run against the manifest's rows that the log holds so far."""
        return metric_problems(db, RUN, self.fx.entry, history_rows(self.log))


def _cursor(db: Path) -> dict[str, object]:
    ((text,),) = rows(db, "SELECT cursor FROM _swansync.run_state WHERE run_id = ?", [RUN])
    data: dict[str, object] = json.loads(text)
    return data


def _state(db: Path) -> str:
    ((state,),) = rows(db, "SELECT state FROM runs WHERE run_id = ?", [RUN])
    return str(state)


def test_each_pull_reads_only_what_was_appended(tmp_path):
    run = Growing(tmp_path / "dir")
    db = tmp_path / "w.duckdb"
    seen: list[tuple[int, int, int, str]] = []  # (size, offset before, bytes read, state)
    offset = 0
    for size in run.sizes:
        run.grow_to(size)
        summary, src = pull_dir(db, run.root)
        assert summary.status == "ok" and summary.warnings == [], summary
        assert run.problems(db) == []
        seen.append((size, offset, src.log_bytes, _state(db)))
        offset = int(_cursor(db)["off"])  # type: ignore[call-overload]
        assert size - offset < 32 * 1024  # only a record still being written is left unread
    # The first pull reads the whole log; each later one the 7-byte header check plus the
    # bytes from the last committed offset on: what was appended (and the cut record before).
    assert [b for _, _, b, _ in seen] == [
        size if off == 0 else 7 + size - off for size, off, _, _ in seen
    ]
    assert [s for *_, s in seen] == ["RUNNING", "RUNNING", "RUNNING", "FINISHED"]
    summary, src = pull_dir(db, run.root)
    assert src.log_bytes == 0 and summary.rows["metrics"] == 0


def test_a_still_log_is_crashed_until_it_grows_again(tmp_path):
    run = Growing(tmp_path / "dir")
    db = tmp_path / "w.duckdb"
    run.grow_to(run.sizes[0])
    pull_dir(db, run.root)
    assert _state(db) == "RUNNING"
    summary, src = pull_dir(db, run.root)
    assert _state(db) == "CRASHED" and src.log_bytes == 0
    cursor = _cursor(db)
    cut = cursor["size"] != cursor["off"]  # a record cut short at the end: one warning
    assert [w for w in summary.warnings if "CRASHED" in w and "cut short" in w] == (
        summary.warnings if cut else []
    )
    assert len(summary.warnings) == int(cut)
    run.grow_to(run.sizes[1])
    pull_dir(db, run.root)
    assert _state(db) == "RUNNING" and run.problems(db) == []
    run.grow_to(run.sizes[-1])
    pull_dir(db, run.root)
    assert _state(db) == "FINISHED" and run.problems(db) == []


class Dies(WandbOfflineSource):
    """Dies (KeyboardInterrupt: a kill) while handing over points, before they are written."""

    def scalar_points(
        self,
        project: ProjectRecord,
        run: RunRecord,
        keys: Sequence[str],
        after_step: Mapping[str, int] | None = None,
    ) -> Iterator[Points]:
        yield from super().scalar_points(project, run, keys, after_step)
        raise KeyboardInterrupt


def test_a_kill_before_the_commit_resumes_from_the_committed_cursor(tmp_path):
    run = Growing(tmp_path / "dir")
    db = tmp_path / "w.duckdb"
    run.grow_to(run.sizes[0])
    pull_dir(db, run.root)
    committed = _cursor(db)
    run.grow_to(run.sizes[2])
    from swansync.config import Settings
    from swansync.sync import pull

    with pytest.raises(KeyboardInterrupt):
        pull(Settings(db=db, env={}, apply_views=False), sources=[Dies(run.root)])
    assert _cursor(db) == committed  # the rows did not land, nor did the cursor
    summary, src = pull_dir(db, run.root)
    assert summary.status == "ok"
    assert src.log_bytes == 7 + run.sizes[2] - int(committed["off"])  # type: ignore[call-overload]
    assert run.problems(db) == []
    assert rows(db, "SELECT count(*) - count(DISTINCT (key, step)) FROM metrics") == [(0,)]


@pytest.mark.slow
def test_sigkill_between_fetch_and_commit(tmp_path):
    """A real ``kill -9`` of a pull process that has read the new bytes and handed the points
    over, before the sync commits them: the next pull starts from the last committed cursor."""
    run = Growing(tmp_path / "dir")
    db = tmp_path / "w.duckdb"
    run.grow_to(run.sizes[1])
    pull_dir(db, run.root)
    committed = _cursor(db)
    run.grow_to(run.sizes[3])
    marker = tmp_path / "fetched"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB_", "SWANSYNC_"))}
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "kill_child.py"), str(run.root), str(db), str(marker)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        cwd=HERE.parents[1],
    )
    try:
        wait_for(lambda: marker.exists() or proc.poll() is not None, "the child to fetch")
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=30)
        if proc.stderr:
            proc.stderr.close()
        if proc.stdin:
            proc.stdin.close()
    assert _cursor(db) == committed
    summary, src = pull_dir(db, run.root)
    assert summary.status == "ok"
    assert src.log_bytes == 7 + run.sizes[3] - int(committed["off"])  # type: ignore[call-overload]
    assert run.problems(db) == [] and _state(db) == "FINISHED"

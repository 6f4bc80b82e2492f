"""Child process of ``test_sigkill_between_fetch_and_commit``: pull ``FOLDER`` into ``DB`` with
a source that, once it has handed every point of a run over, creates ``MARKER`` and waits on
stdin forever, so the parent can SIGKILL it between fetching and committing.

Usage: ``python kill_child.py FOLDER DB MARKER`` (run from the repository root).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from swansync.config import Settings
from swansync.sources.base import Points, ProjectRecord, RunRecord
from swansync.sources.wandb.offline.source import WandbOfflineSource
from swansync.sync import pull


class Blocks(WandbOfflineSource):
    def __init__(self, path: Path, marker: Path) -> None:
        super().__init__(path)
        self.marker = marker

    def scalar_points(
        self,
        project: ProjectRecord,
        run: RunRecord,
        keys: Sequence[str],
        after_step: Mapping[str, int] | None = None,
    ) -> Iterator[Points]:
        yield from super().scalar_points(project, run, keys, after_step)
        self.marker.write_text("fetched\n")
        sys.stdin.readline()  # the parent never writes: it kills this process


if __name__ == "__main__":
    folder, db, marker = (Path(a) for a in sys.argv[1:4])
    pull(Settings(db=db, env={}, apply_views=False), sources=[Blocks(folder, marker)])
    sys.exit("the pull finished: it should have been killed")

"""``Source.resume``: a source gets every stored cursor of its name once per pull, before it
resolves its targets (so one whose projects are found in the data it resumes reads nothing
that did not change); none with ``--full``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from swansync.config import Settings
from swansync.sources.base import ProjectRecord, RunFilter, RunRecord
from swansync.sync import pull
from tests.support.fake_source import FakeRun, FakeSource


class Early(FakeSource):
    """Numbers each run's listing; remembers what it was handed, and when."""

    def __init__(self, runs: Sequence[FakeRun], name: str = "fake") -> None:
        super().__init__(runs, name)
        self.events: list[tuple[str, object]] = []
        self.listed = 0

    def resume(self, cursors: Mapping[str, Mapping[str, str]]) -> None:
        self.events.append(("resume", {p: dict(c) for p, c in cursors.items()}))

    def resolve(self, target: str) -> list[ProjectRecord]:
        self.events.append(("resolve", target))
        return super().resolve(target)

    def list_runs(
        self, project: ProjectRecord, filters: Sequence[RunFilter] = ()
    ) -> Iterator[RunRecord]:
        self.listed += 1
        for rec in super().list_runs(project, filters):
            rec["cursor"] = f"{rec['run_id']}@{self.listed}"
            yield rec


def _settings(tmp_path, **kw):
    return Settings(db=tmp_path / "w.duckdb", apply_views=False, env={}, **kw)


def test_every_stored_cursor_arrives_before_resolve(tmp_path):
    src = Early([FakeRun("a", ["loss"], 5), FakeRun("b", ["loss"], 5)])
    pull(_settings(tmp_path), sources=[src])
    assert src.events == [("resume", {}), ("resolve", "ws/proj")]
    src.events.clear()
    pull(_settings(tmp_path), sources=[src])
    assert src.events == [
        ("resume", {"ws/proj": {"a": "a@1", "b": "b@1"}}),
        ("resolve", "ws/proj"),
    ]


def test_a_full_pull_hands_no_cursor(tmp_path):
    src = Early([FakeRun("a", ["loss"], 5)])
    pull(_settings(tmp_path), sources=[src])
    src.events.clear()
    pull(_settings(tmp_path, full=True), sources=[src])
    assert src.events[0] == ("resume", {})

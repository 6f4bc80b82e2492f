"""``--no-system`` and a source that can skip system metrics (:class:`SkipsSystem`): the sync
asks it for summaries without them; other sources are asked as always."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from swansync.config import Settings
from swansync.sources.base import ProjectRecord, RunKey, RunRecord, SkipsSystem, SummaryRecord
from swansync.sync import pull
from swansync.warehouse import Warehouse
from tests.support.fake_source import FakeRun, FakeSource


class Skipping(FakeSource):
    def summaries_without_system(
        self, groups: Sequence[tuple[ProjectRecord, Sequence[RunRecord]]]
    ) -> Mapping[RunKey, list[SummaryRecord]]:
        self._count("summaries_without_system")
        return {
            k: [s for s in v if s["klass"] != "SYSTEM"]
            for k, v in super().summaries(groups).items()
        }


def settings(tmp_path: Path, **kw: object) -> Settings:
    return Settings(db=tmp_path / "w.duckdb", apply_views=False, env={}, **kw)  # type: ignore[arg-type]


def test_no_system_asks_a_source_that_can_skip_them(tmp_path: Path) -> None:
    src = Skipping([FakeRun("a", ["loss", "__swanlab__.cpu"], 20)])
    assert isinstance(src, SkipsSystem)
    assert pull(settings(tmp_path, system=False), sources=[src]).status == "ok"
    assert src.calls.get("summaries_without_system") == 1
    assert src.calls.get("summaries") == 1  # the fake's own, called by the override
    summary = pull(settings(tmp_path), sources=[src])
    assert src.calls.get("summaries_without_system") == 1
    assert src.calls.get("summaries") == 2
    assert summary.rows["metrics"] == 20  # the system series, now
    with Warehouse(tmp_path / "w.duckdb", read_only=True) as wh:
        assert {r[0] for r in wh.rows("SELECT DISTINCT key FROM summaries")} == {
            "loss",
            "__swanlab__.cpu",
        }


def test_other_sources_are_asked_as_always(tmp_path: Path) -> None:
    src = FakeSource([FakeRun("a", ["loss", "__swanlab__.cpu"], 20)])
    assert not isinstance(src, SkipsSystem)
    assert pull(settings(tmp_path, system=False), sources=[src]).status == "ok"
    assert src.calls.get("summaries") == 1

"""A pull writes with DuckDB's memory capped, so its memory does not grow with the warehouse
(DuckDB's buffer pool otherwise keeps every block it wrote, up to 80 % of RAM)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from swansync import metric_sync
from swansync.config import Settings
from swansync.sync import pull
from swansync.warehouse import PULL_MEMORY_LIMIT, Warehouse
from tests.support.fake_source import FakeRun, FakeSource


def test_the_writes_of_a_pull_run_under_the_cap_and_the_limit_is_restored(
    tmp_path: Path, monkeypatch: Any
) -> None:
    seen: list[str] = []
    real = metric_sync.write_batch

    def spy(wh: Warehouse, *a: Any) -> int:
        seen.append(wh.rows("SELECT current_setting('memory_limit')")[0][0])
        return real(wh, *a)

    monkeypatch.setattr(metric_sync, "write_batch", spy)
    src = FakeSource([FakeRun("a", ["loss"], 5), FakeRun("b", ["loss"], 7)])
    s = Settings(db=tmp_path / "w.duckdb", apply_views=False, env={})
    assert pull(s, sources=[src]).status == "ok"
    assert seen and set(seen) == {seen[0]}
    capped = Warehouse(tmp_path / "x.duckdb")
    try:
        default = capped.rows("SELECT current_setting('memory_limit')")[0][0]
        with capped.memory_capped():
            assert capped.rows("SELECT current_setting('memory_limit')")[0][0] == seen[0]
        assert capped.rows("SELECT current_setting('memory_limit')")[0][0] == default
    finally:
        capped.close()
    assert seen[0] != default
    assert seen[0].replace(".0 ", "") == PULL_MEMORY_LIMIT  # "128.0 MiB"

"""A serving copy published from a lake: ``serving = "file.duckdb"`` with a lake ``db`` writes a
DuckDB file that opens read-only on its own (no extension, no catalog) and answers the contract
tables and the analysis views as the lake does."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import pytest

from swansync.sync import pull
from swansync.warehouse import open_warehouse
from swansync.warehouse.snapshot import snapshot_info
from tests.e2e.compare import compare
from trackersim.swanlab import SimServer, build_world

from .conftest import Lake
from .test_pull import KEYS, _zero_sign_loose, lake_settings  # noqa: F401 (autouse fixture)

VIEWS = ("run_overview", "metric_summary")


@pytest.fixture
def sim() -> Iterator[Any]:
    with SimServer(build_world("small", seed=0), port=0) as server:
        yield server


def _answers(con: Any, table: str) -> list[tuple[Any, ...]]:
    return sorted(
        (tuple(map(str, r)) for r in con.execute(f"SELECT * FROM {table}").fetchall()),
    )


def test_a_lake_publishes_a_serving_copy_that_answers_as_the_lake(
    sim: Any, lake: Lake, tmp_path: Path
) -> None:
    serving = tmp_path / "serving.duckdb"
    s = replace(lake_settings(sim, lake), serving=serving, apply_views=True)
    assert pull(s).status == "ok"
    sim.world.tick(0)
    summary = pull(s)
    assert summary.status == "ok", summary.failures
    assert sorted(p.name for p in tmp_path.iterdir() if "serving" in p.name) == ["serving.duckdb"]
    assert compare(serving, sim.world.truth(), "sim") == []
    info = snapshot_info(serving)
    assert info["sync_id"] == summary.id
    assert info["tables"] >= len(KEYS)
    copy = duckdb.connect(str(serving), read_only=True)
    try:
        with open_warehouse(str(s.warehouse), read_only=True) as wh:
            for name in (*KEYS, *VIEWS):
                assert _answers(copy, name) == _answers(wh.con, name), name
        internal = copy.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = '_swansync' ORDER BY 1"
        ).fetchall()
        # The contract, not the machinery: only the narrow points, metrics and metric_keys
        # being views over them as in a warehouse file.
        assert internal == [("points",), ("series",)]
        narrow = copy.execute(
            "SELECT view_name FROM duckdb_views() WHERE view_name IN ('metrics', 'metric_keys') "
            "ORDER BY 1"
        ).fetchall()
        assert narrow == [("metric_keys",), ("metrics",)]
    finally:
        copy.close()

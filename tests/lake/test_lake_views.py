"""The analysis views and macros on a lake read exactly what they read on a warehouse file built
from the same pull, from a second connection (another process's view of the catalog); and
`status`, `query`, `views apply` work on a lake from the command line."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from swansync.sync import pull
from swansync.warehouse import Warehouse, open_warehouse
from swansync.warehouse.views import list_views
from tests.support.settings import sim_settings
from trackersim.swanlab import SimServer, build_world

from .conftest import Lake


@pytest.fixture(scope="module")
def sim() -> Iterator[Any]:
    world = build_world("small", seed=0)
    with SimServer(world, port=0) as server:
        yield server


def _macro_calls(wh: Warehouse) -> dict[str, str]:
    """One call of each macro on the busiest project and its most common custom metric."""
    proj, metric = wh.rows(
        "SELECT project, key FROM metric_keys WHERE class = 'CUSTOM' AND kind = 'SCALAR' "
        "GROUP BY ALL ORDER BY count(*) DESC, project, key LIMIT 1"
    )[0]
    key = wh.rows(
        "SELECT key FROM run_config WHERE project = ? GROUP BY key ORDER BY count(*) DESC, key "
        "LIMIT 1",
        [proj],
    )[0][0]
    a, b = (r[0] for r in wh.rows("SELECT run_id FROM runs ORDER BY run_id LIMIT 2"))
    lit = lambda s: "'" + s.replace("'", "''") + "'"  # noqa: E731
    p, m = lit(proj), lit(metric)
    return {
        "run_table": f"run_table({p})",
        "leaderboard": f"leaderboard({p}, {m})",
        "seed_groups": f"seed_groups({p}, {m})",
        "config_effect": f"config_effect({p}, {lit(key)}, {m})",
        "curves": f"curves({p}, n_buckets := 7, only_keys := [{m}])",
        "run_diff": f"run_diff({lit(a)}, {lit(b)})",
        "log_search": "log_search('e')",
    }


def _norm(value: Any) -> Any:
    """Floats rounded (a float mean depends on the adding order in its last bits, see
    080_curves.sql), NaN as text, presigned URLs without their signature; lists and dicts
    inside too."""
    if isinstance(value, float):
        return "nan" if math.isnan(value) else round(value, 9)
    if isinstance(value, str) and "signature=" in value:  # presigned: signed per request
        return value.split("?", 1)[0]
    if isinstance(value, list | tuple):
        return [_norm(v) for v in value]
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    return value


# Views of console lines: a running run's console grows each time it is read (the simulator),
# and the two pulls read it at different times, so those rows are compared for other runs only.
CONSOLE_VIEWS = {"run_log_tail", "log_search"}


def _read_all(wh: Warehouse, calls: dict[str, str]) -> dict[str, Any]:
    running = {r[0] for r in wh.rows("SELECT run_id FROM runs WHERE state = 'RUNNING'")}
    out: dict[str, Any] = {}
    for info in list_views():
        source = info.name if info.kind == "view" else calls[info.name]
        # synced_at: when each pull wrote the row (the two pulls ran at different times)
        rel = wh.con.sql(f"SELECT * FROM {source}")
        if "synced_at" in rel.columns:
            rel = wh.con.sql(f"SELECT * EXCLUDE (synced_at) FROM {source}")
        rows = [_norm(list(r)) for r in rel.fetchall()]
        if info.name in CONSOLE_VIEWS:
            at = rel.columns.index("run_id")
            rows = [r for r in rows if r[at] not in running]
        rows.sort(key=repr)
        out[info.name] = (rel.columns, rows)
    return out


def test_views_on_a_lake_read_what_they_read_on_a_file(
    sim: Any, lake: Lake, tmp_path: Path
) -> None:
    base = sim_settings(sim, tmp_path / "w.duckdb", apply_views=True)
    assert pull(base).status == "ok"
    on_lake = replace(base, lake="ducklake:postgres:" + lake.catalog, data_path=lake.data_path)
    assert pull(on_lake).status == "ok"
    with Warehouse(base.db, read_only=True) as wh:
        calls = _macro_calls(wh)
        want = _read_all(wh, calls)
    with open_warehouse(str(on_lake.warehouse), read_only=True) as wh:
        got = _read_all(wh, calls)
    assert sorted(got) == sorted(want)
    for name in want:
        assert got[name][0] == want[name][0], name
        extra = [r for r in got[name][1] if r not in want[name][1]]
        missing = [r for r in want[name][1] if r not in got[name][1]]
        assert (name, extra[:3], missing[:3]) == (name, [], [])


def _cli(lake: Lake, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in lake.env.items() if not k.startswith("SWANSYNC_")}
    return subprocess.run(
        [sys.executable, "-m", "swansync", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_status_query_and_views_apply_on_a_lake(sim: Any, lake: Lake) -> None:
    uri = "ducklake:postgres:" + lake.catalog
    s = replace(sim_settings(sim, Path("unused.duckdb")), lake=uri, data_path=lake.data_path)
    assert pull(s).status == "ok"
    done = _cli(lake, "views", "apply", "--db", uri)
    assert done.returncode == 0, done.stderr
    assert "applied" in done.stdout
    done = _cli(lake, "status", "--db", uri, "--json")
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert info["tables"]["runs"] == len(sim.world.truth()["runs"]["run_id"])
    assert info["pulls"][0]["status"] == "ok"
    done = _cli(lake, "query", "--db", uri, "--format", "json", "SELECT count(*) AS n FROM runs")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [{"n": info["tables"]["runs"]}]
    # A reader cannot write, nor read files outside the lake's data path.
    done = _cli(lake, "query", "--db", uri, "SELECT * FROM read_text('/etc/hostname')")
    assert done.returncode != 0
    assert os.environ["PGPASSWORD"] not in done.stdout + done.stderr

"""`swansync pull` into a DuckLake lake: exact, incremental, and exact with several workers at once
(different projects, and the same projects), against the simulated SwanLab cloud's truth."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from swansync.config import Settings
from swansync.sync import pull
from swansync.warehouse import open_warehouse
from tests.e2e.compare import compare
from tests.support.settings import sim_settings
from tests.support.truth import ZERO_SIGN
from trackersim.swanlab import SimServer, build_world

from .conftest import Lake

# Keys of the contract tables: no key may appear twice in what readers see.
KEYS = {
    "projects": "source, project",
    "runs": "source, project, run_id",
    "run_config": "source, project, run_id, key",
    "summaries": "source, project, run_id, key",
    "metric_keys": "source, project, run_id, key",
    "metrics": "source, project, run_id, key, step",
    "logs": "source, project, run_id, seq",
    "media": "source, project, run_id, key, step, idx",
}


@pytest.fixture(autouse=True)
def _zero_sign_loose() -> Iterator[None]:
    # DuckDB 1.5.5's Parquet writer loses the sign of some zeros (docs/ducklake.md F17).
    ZERO_SIGN["strict"] = False
    try:
        yield
    finally:
        ZERO_SIGN["strict"] = True


@pytest.fixture
def sim() -> Iterator[Any]:
    world = build_world("small", seed=0)
    with SimServer(world, port=0) as server:
        yield server


def lake_settings(sim: Any, lake: Lake, **kw: Any) -> Settings:
    s = sim_settings(sim, Path("unused.duckdb"), **kw)
    return replace(s, lake="ducklake:postgres:" + lake.catalog, data_path=lake.data_path)


def duplicates(uri: str) -> dict[str, int]:
    """Per contract table, how many keys appear more than once (should be none)."""
    out: dict[str, int] = {}
    with open_warehouse(uri, read_only=True) as wh:
        for table, key in KEYS.items():
            row = wh.rows(
                f"SELECT count(*) FROM (SELECT {key} FROM {table} GROUP BY ALL HAVING count(*) > 1)"
            )
            if row[0][0]:
                out[table] = int(row[0][0])
    return out


def test_pull_is_exact_and_a_second_pull_adds_nothing(sim: Any, lake: Lake) -> None:
    s = lake_settings(sim, lake)
    first = pull(s)
    assert first.status == "ok", first.failures
    assert compare(s.warehouse, sim.world.truth(), "sim") == []
    second = pull(s)
    assert second.status == "ok", second.failures
    assert second.rows["metrics"] == 0
    assert second.rows["run_config"] == 0
    assert compare(s.warehouse, sim.world.truth(), "sim") == []
    assert duplicates(str(s.warehouse)) == {}


def test_growth_lands_once(sim: Any, lake: Lake) -> None:
    s = lake_settings(sim, lake)
    assert pull(s).status == "ok"
    for seed in range(2):
        sim.world.tick(seed)
        summary = pull(s)
        assert summary.status == "ok", summary.failures
        assert compare(s.warehouse, sim.world.truth(), "sim") == []
    assert duplicates(str(s.warehouse)) == {}
    with open_warehouse(str(s.warehouse), read_only=True) as wh:
        status = wh.rows("SELECT status, count(*) FROM _swansync.sync_log GROUP BY ALL")
    assert status == [("ok", 3)]


def test_full_pull_replaces_generations_exactly(sim: Any, lake: Lake) -> None:
    s = lake_settings(sim, lake)
    assert pull(s).status == "ok"
    sim.world.tick(0)
    summary = pull(replace(s, full=True))
    assert summary.status == "ok", summary.failures
    assert compare(s.warehouse, sim.world.truth(), "sim") == []
    assert duplicates(str(s.warehouse)) == {}


def _worker(
    sim: Any,
    lake: Lake,
    projects: list[str],
    tmp: Path,
    name: str,
    kill: tuple[int, str] | None = None,
) -> Any:
    """``swansync pull`` of ``projects`` into the lake, in a process of its own (SIGKILLed at
    its ``kill`` = (n, before|after) lake transaction)."""
    env = {k: v for k, v in lake.env.items() if not k.startswith(("SWANLAB_", "SWANSYNC_"))}
    env["SWANLAB_API_KEY"] = sim.api_key
    cfg = tmp / f"{name}.toml"
    cfg.write_text("backoff = 0.01\nretries = 3\napply_views = false\n", encoding="utf-8")
    killpoint = ["tests.lake.killpoint", str(kill[0]), kill[1], "--"] if kill else ["swansync"]
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    cmd = [
        sys.executable,
        "-m",
        *killpoint,
        "pull",
        "--host",
        sim.url,
        "--db",
        "ducklake:postgres:" + lake.catalog,
        "--data-path",
        lake.data_path,
        "--source-name",
        "sim",
        "--workers",
        "2",
        "--json",
        "--config",
        str(cfg),
    ]
    for p in projects:
        cmd += ["--project", p]
    return subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=str(tmp)
    )


@pytest.mark.parametrize(("n", "when"), [(3, "before"), (12, "after")])
def test_a_worker_killed_mid_pull_loses_nothing(
    sim: Any, lake: Lake, tmp_path: Path, n: int, when: str
) -> None:
    projects = sorted(sim.world.projects())
    killed = _worker(sim, lake, projects, tmp_path, "killed", kill=(n, when))
    _, err = killed.communicate(timeout=600)
    assert killed.returncode == -signal.SIGKILL, err.decode(errors="replace")[-2000:]
    # Its pull locks went with its connections: the next worker does not wait for them.
    _wait_all([_worker(sim, lake, projects, tmp_path, "next")])
    uri = "ducklake:postgres:" + lake.catalog
    assert compare(uri, sim.world.truth(), "sim") == []
    assert duplicates(uri) == {}


def _wait_all(procs: list[Any]) -> None:
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err.decode(errors="replace")[-2000:]


def _migrated(lake: Lake) -> None:
    """Create the lake's tables first (as a deployment's first pull does), so the workers race
    on data, not on creating the schema (that race is covered on its own)."""
    with open_warehouse("ducklake:postgres:" + lake.catalog, data_path=lake.data_path) as wh:
        wh.migrate()


def test_workers_on_different_projects_at_once(sim: Any, lake: Lake, tmp_path: Path) -> None:
    projects = sorted(sim.world.projects())
    _migrated(lake)
    halves = [projects[0::2], projects[1::2]]
    _wait_all([_worker(sim, lake, h, tmp_path, f"w{i}") for i, h in enumerate(halves)])
    uri = "ducklake:postgres:" + lake.catalog
    assert compare(uri, sim.world.truth(), "sim") == []
    assert duplicates(uri) == {}


def test_two_workers_on_the_same_projects_stay_exact(sim: Any, lake: Lake, tmp_path: Path) -> None:
    projects = sorted(sim.world.projects())
    _wait_all([_worker(sim, lake, projects, tmp_path, f"w{i}") for i in range(2)])
    uri = "ducklake:postgres:" + lake.catalog
    assert compare(uri, sim.world.truth(), "sim") == []
    assert duplicates(uri) == {}
    sim.world.tick(1)
    _wait_all([_worker(sim, lake, projects, tmp_path, f"v{i}") for i in range(2)])
    assert compare(uri, sim.world.truth(), "sim") == []
    assert duplicates(uri) == {}


def test_secrets_stay_out_of_the_lake(sim: Any, lake: Lake) -> None:
    s = lake_settings(sim, lake)
    assert pull(s).status == "ok"
    password = os.environ["PGPASSWORD"]
    with open_warehouse(str(s.warehouse), read_only=True) as wh:
        text = wh.rows("SELECT string_agg(CAST(COLUMNS(*) AS VARCHAR), '') FROM _swansync.sync_log")
    assert sim.api_key not in str(text)
    assert password not in str(text)


def test_maintenance_merges_files_and_keeps_the_lake_exact(sim: Any, lake: Lake) -> None:
    from datetime import timedelta

    from swansync.warehouse.lake import LakeWarehouse
    from swansync.warehouse.lake.maintain import maintain

    s = lake_settings(sim, lake)
    assert pull(s).status == "ok"
    sim.world.tick(0)
    assert pull(s).status == "ok"
    with LakeWarehouse(str(s.warehouse)) as wh:
        done = maintain(wh, keep=timedelta(0), orphan_age=timedelta(0))
        with wh.try_global_lock("maintain") as held:  # released when maintain returned
            assert held
    assert done.ran
    assert done.files_after < done.files_before
    assert done.snapshots_expired > 0
    assert done.files_deleted > 0
    files = [p for p in Path(lake.data_path).rglob("*") if p.is_file()]
    assert len(files) == done.files_after
    assert compare(s.warehouse, sim.world.truth(), "sim") == []
    assert duplicates(str(s.warehouse)) == {}
    # the next pull goes on from there
    sim.world.tick(1)
    assert pull(s).status == "ok"
    assert compare(s.warehouse, sim.world.truth(), "sim") == []


def test_an_s3_data_path_on_the_stand_in(
    sim: Any, s3_lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in s3_lake.env.items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)  # readers below take them from the environment
    s = replace(lake_settings(sim, s3_lake), env=s3_lake.env)
    assert s3_lake.data_path.startswith("s3://")
    assert pull(s).status == "ok"
    sim.world.tick(0)
    assert pull(s).status == "ok"
    assert compare(s.warehouse, sim.world.truth(), "sim") == []
    assert duplicates(str(s.warehouse)) == {}


def test_workers_creating_a_new_lake_at_once(lake: Lake) -> None:
    """The first ATTACH of a lake creates its catalog; four workers starting on a new lake at
    once all get in (and one of them migrates it)."""
    code = (
        "import sys; from swansync.warehouse import open_warehouse; "
        "wh = open_warehouse(sys.argv[1], data_path=sys.argv[2]); print(wh.migrate())"
    )
    uri = "ducklake:postgres:" + lake.catalog
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, uri, lake.data_path],
            env=lake.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(4)
    ]
    outs = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode(errors="replace")[-2000:]
        outs.append(out.decode().strip())
    assert sorted(outs) == ["['001_init']", "[]", "[]", "[]"]

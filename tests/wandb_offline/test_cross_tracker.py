"""The same runs logged to both trackers give the same view answers (issue 12, item 4).

``tests/wandb_offline/data/crosstracker`` holds the runs of ``crosstracker/spec.py`` written by
the real SwanLab SDK 0.10.3 in local mode (``swanlab/``) and by the real wandb SDK 0.31.0
offline (``wandb/``), by ``crosstracker/make_runs.py``. Both folders are pulled into one
warehouse (``--logdir`` and ``--wandb-dir``); every view of ``sql/views`` and every macro,
called with arguments that make sense for the project, must answer the same for both sources,
up to the documented differences (``crosstracker/compare.py``: source names, run ids, times).
W&B runs logged without an entity land in ``local/<project>``, the SwanLab log folder's
project name, so both sources share one project.
"""

from __future__ import annotations

import math
import os
import shutil
from pathlib import Path

import duckdb
import pytest

import swansync
from swansync.config import Settings
from swansync.sources.swanlab.plugin import SwanLabLogDir
from swansync.sources.wandb.plugin import WandbOffline
from tests.wandb.realdata.sdk_env import SdkEnvError
from tests.wandb_offline.crosstracker import spec
from tests.wandb_offline.crosstracker.compare import NAN_KEY, compare, side
from tests.wandb_offline.crosstracker.regenerate import regenerate

DATA = Path(__file__).resolve().parent / "data" / "crosstracker"
PROJECT = f"local/{spec.PROJECT}"


def pull_both(root: Path, db: Path) -> tuple[str, str]:
    """Both folders of ``root`` into ``db``; the two source names (SwanLab, W&B)."""
    settings = Settings(
        db=db,
        sources=(SwanLabLogDir(root / "swanlab", None), WandbOffline(root / "wandb")),
        env={},
        apply_views=True,
    )
    summary = swansync.pull(settings)
    assert summary.status == "ok" and summary.warnings == [], (summary.failures, summary.warnings)
    return f"logdir:{(root / 'swanlab').resolve()}", f"wandb-dir:{(root / 'wandb').resolve()}"


def check_the_hard_cases_are_there(con: duckdb.DuckDBPyConnection, source: str) -> None:
    """The comparison is only worth something if the tricky data is in it."""
    states = dict(con.execute("SELECT name, state FROM runs WHERE source = ?", [source]).fetchall())
    assert states == {r["name"]: "CRASHED" if r["crash"] else "FINISHED" for r in spec.RUNS}, states
    nan = con.execute(
        "SELECT nan_count, max_value, min_value, last_value FROM metric_summary "
        "WHERE source = ? AND key = ? AND points > 0",
        [source, NAN_KEY],
    ).fetchall()
    assert len(nan) == 1 and nan[0][0] > 0 and math.isinf(nan[0][1]) and math.isnan(nan[0][3])
    kinds = dict(
        con.execute(
            "SELECT DISTINCT key, kind FROM metric_keys WHERE source = ?", [source]
        ).fetchall()
    )
    assert kinds[spec.TEXT_KEY] == "MEDIA" and kinds["flags/improved"] == "SCALAR"
    negzero = con.execute(
        "SELECT count(*) FROM metrics WHERE source = ? AND value = 0 AND signbit(value)", [source]
    ).fetchall()
    assert negzero[0][0] == 1


def check_the_rows_agree(con: duckdb.DuckDBPyConnection, a: str, b: str) -> None:
    for table in ("projects", "runs", "run_config", "metric_keys", "metrics", "summaries"):
        sql = f"SELECT count(*) FROM {table} WHERE source = ?"
        assert con.execute(sql, [a]).fetchall() == con.execute(sql, [b]).fetchall(), table


def test_views_answer_the_same_for_swanlab_and_wandb(tmp_path):
    db = tmp_path / "w.duckdb"
    swanlab_source, wandb_source = pull_both(DATA, db)
    with duckdb.connect(str(db), read_only=True) as con:
        for source in (swanlab_source, wandb_source):
            check_the_hard_cases_are_there(con, source)
        check_the_rows_agree(con, swanlab_source, wandb_source)
        a, b = side(con, swanlab_source), side(con, wandb_source)
        problems = compare(con, a, b, [PROJECT])
    assert problems == [], "\n".join(problems)

    # The comparison can fail: one W&B point one ulp off is seen, and only it.
    tampered = tmp_path / "tampered.duckdb"
    shutil.copy(db, tampered)
    with duckdb.connect(str(tampered)) as con:
        con.execute(  # metrics is a view of _swansync.points
            "UPDATE _swansync.points SET value = nextafter(value, 10.0) WHERE step = 99 "
            "AND series_id IN (SELECT series_id FROM _swansync.series "
            "WHERE source = ? AND key = 'val/acc' AND run_id = ?)",
            [wandb_source, b.own[f"{PROJECT}#wide-lr"]],
        )
    with duckdb.connect(str(tampered), read_only=True) as con:
        problems = compare(con, side(con, swanlab_source), side(con, wandb_source), [PROJECT])
    # Where the last val/acc of that run shows: its summary, run_fields/run_table, its rank on
    # val/acc (the only leaderboard call on that key, after the common calls) and the curve
    # bucket holding it.
    assert {p.split(": row differs")[0] for p in problems} == {
        "metric_summary",
        "run_fields",
        f"run_table#0 on {PROJECT}",
        f"leaderboard#4 on {PROJECT}",
        f"curves#0 on {PROJECT}",
    }, problems


@pytest.mark.parametrize("name", ["swanlab", "wandb"])
def test_the_committed_runs_are_the_spec(name):
    """Guard against a stale fixture: each folder holds the spec's runs, by name."""
    if name == "wandb":
        found = sorted(p.name.rsplit("-", 1)[1] for p in (DATA / "wandb" / "wandb").iterdir())
    else:
        found = sorted(p.name.rsplit("-", 1)[1] for p in (DATA / "swanlab").glob("run-*"))
    assert found == [spec.run_id(i) for i in range(len(spec.RUNS))]


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.skipif(
    os.environ.get("SWANSYNC_CROSSTRACKER_SDK") != "1",
    reason="set SWANSYNC_CROSSTRACKER_SDK=1 to log fresh runs with the real SwanLab and wandb SDKs",
)
def test_fresh_runs_from_both_sdks_answer_the_same(tmp_path):
    """Opt-in: the same comparison on runs logged now (builds the SDK venvs on first use)."""
    out = tmp_path / "fresh"
    try:
        regenerate(out)
    except SdkEnvError as exc:
        pytest.fail(f"cannot provide the real SDKs: {exc}", pytrace=False)
    db = tmp_path / "w.duckdb"
    swanlab_source, wandb_source = pull_both(out, db)
    with duckdb.connect(str(db), read_only=True) as con:
        for source in (swanlab_source, wandb_source):
            check_the_hard_cases_are_there(con, source)
        check_the_rows_agree(con, swanlab_source, wandb_source)
        problems = compare(con, side(con, swanlab_source), side(con, wandb_source), [PROJECT])
    assert problems == [], "\n".join(problems)

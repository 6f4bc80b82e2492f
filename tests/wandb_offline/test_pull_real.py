"""The committed real runs (wandb 0.31.0 and 0.17.9, a SIGKILLed run, a run read while it grew)
pulled from a ``--wandb-dir`` folder: exact against what the generator logged, a no-op second
pull, the killed run CRASHED once a later pull finds it unchanged, the folder untouched."""

from __future__ import annotations

import json

import pytest

from tests.wandb_offline.expect import (
    DATA,
    FIXTURES,
    PROJECT,
    history_rows,
    metric_problems,
    pull_dir,
    rows,
    run_problems,
    system_problems,
    tree,
)


@pytest.fixture(scope="module")
def pulled(tmp_path_factory):
    """The committed fixture folder pulled once (read in place: the test checks it is left
    untouched), and what that pull and a second one did."""
    db = tmp_path_factory.mktemp("wboff") / "w.duckdb"
    before = tree(DATA)
    first, src1 = pull_dir(db, DATA, apply_views=True)
    states1 = dict(rows(db, "SELECT run_id, state FROM runs"))
    second, src2 = pull_dir(db, DATA, apply_views=True)
    return {
        "db": db,
        "before": before,
        "after": tree(DATA),
        "first": (first, src1),
        "second": (second, src2),
        "states1": states1,
    }


def test_every_run_lands_in_one_entity_project(pulled):
    first, src = pulled["first"]
    assert first.status == "ok", first.failures
    assert src.name == f"wandb-dir:{DATA.resolve()}"
    assert rows(pulled["db"], "SELECT DISTINCT source, project FROM runs") == [(src.name, PROJECT)]
    assert rows(pulled["db"], "SELECT project, workspace, name, run_count FROM projects") == [
        (PROJECT, "fixture-entity", "swansync-fixtures", len(FIXTURES))
    ]
    assert {r[0] for r in rows(pulled["db"], "SELECT run_id FROM runs")} == set(FIXTURES)


@pytest.mark.parametrize("run_id", ["full0310", "full0179"])
def test_a_finished_run_is_exact(pulled, run_id):
    fx = FIXTURES[run_id]
    db = pulled["db"]
    assert run_problems(db, fx) == []
    assert metric_problems(db, run_id, fx.entry, None) == []
    assert system_problems(db, run_id) == []
    media = dict(rows(db, "SELECT key, kind FROM metric_keys WHERE run_id = ?", [run_id]))
    assert all(media[key] == "MEDIA" for key in fx.entry["media"])


def test_the_0_17_metadata_file_and_0_31_environment_records_are_the_metadata(pulled):
    db = pulled["db"]
    meta = {
        rid: (json.loads(m), user, req)
        for rid, m, user, req in rows(
            db, "SELECT run_id, metadata, username, requirements FROM runs"
        )
    }
    old, old_user, _ = meta["full0179"]
    assert old["python"] == "3.11.7" and old["host"] == "vm" and old_user == "root"
    new, _, requirements = meta["full0310"]
    assert new["python"].startswith("CPython 3.11") and new["host"] == "vm"
    assert "wandb==0.31.0" in requirements.splitlines()


def test_the_killed_run_holds_every_complete_row_and_is_crashed_on_the_second_look(pulled):
    fx = FIXTURES["killed0310c"]
    db = pulled["db"]
    n = history_rows(fx.log)
    assert 0 < n < len(fx.entry["rows"])
    assert metric_problems(db, "killed0310c", fx.entry, n) == []
    assert pulled["states1"]["killed0310c"] == "RUNNING"
    ((state, finished),) = rows(
        db, "SELECT state, finished_at FROM runs WHERE run_id = 'killed0310c'"
    )
    assert state == "CRASHED" and finished is not None
    second, _ = pulled["second"]
    assert second.status == "ok"
    assert [w for w in second.warnings if "killed0310c" in w] == [
        w for w in second.warnings if "CRASHED" in w and "cut short" in w
    ]
    assert len(second.warnings) == 1


def test_the_grown_run_is_exact_and_finished(pulled):
    fx = FIXTURES["growing0310"]
    assert metric_problems(pulled["db"], "growing0310", fx.entry, None) == []
    assert pulled["states1"]["growing0310"] == "FINISHED"


def test_the_second_pull_reads_no_log_byte(pulled):
    _, src1 = pulled["first"]
    second, src2 = pulled["second"]
    assert src1.log_bytes == sum(fx.log.stat().st_size for fx in FIXTURES.values())
    assert src2.log_bytes == 0 and second.bytes == 0
    assert second.rows["metrics"] == 0 and second.rows["run_config"] == 0
    (logged,) = rows(pulled["db"], "SELECT bytes FROM _swansync.sync_log ORDER BY id DESC LIMIT 1")
    assert logged == (0,)


def test_the_folder_is_untouched(pulled):
    assert pulled["after"] == pulled["before"]


def test_the_views_answer_for_wandb_data(pulled):
    db = pulled["db"]
    overview = {
        r[0]: r[1:] for r in rows(db, "SELECT run_id, state, points, media_keys FROM run_overview")
    }
    assert overview["full0310"][0] == "FINISHED" and overview["full0310"][2] == 4
    usage = rows(db, "SELECT DISTINCT metric FROM system_usage WHERE run_id = 'full0310'")
    assert ("memory_percent",) in usage
    board = rows(db, f"SELECT run_id FROM leaderboard('{PROJECT}', 'train/loss')")
    assert {r[0] for r in board} == {"full0310", "full0179"}

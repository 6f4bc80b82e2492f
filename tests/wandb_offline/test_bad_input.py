"""Bad input costs only itself, with one warning (a target that is not a W&B folder fails only
that target): a damaged chunk in the middle of a log, a log cut in its last record, an empty
log, a log that is not a W&B log, a run folder without a log, a folder holding no runs."""

from __future__ import annotations

import pytest

from swansync.config import Settings
from swansync.errors import NotFoundError
from swansync.sources.wandb.offline.source import WandbOfflineSource
from swansync.sync import pull
from tests.wandb import writer as w
from tests.wandb_offline.expect import pull_dir, rows
from tests.wandb_offline.synth import loss_rows, payloads, write_run


@pytest.fixture
def folder(tmp_path):
    """A folder holding one good run (20 rows); each test adds its bad item beside it."""
    root = tmp_path / "dir"
    data, _ = w.frame(payloads("good", loss_rows(20)))
    write_run(root, "good", data)
    return root


def _good_landed(db) -> bool:
    got = rows(db, "SELECT count(*), max(step) FROM metrics WHERE run_id = 'good'")
    return got == [(20, 19)]


def _one_warning(summary, *needles: str) -> str:
    assert len(summary.warnings) == 1, summary.warnings
    (warning,) = summary.warnings
    for needle in needles:
        assert needle in warning, warning
    return str(warning)


def test_a_damaged_chunk_is_read_up_to(folder, tmp_path):
    data, ends = w.frame(payloads("bad", loss_rows(30)))
    damaged = bytearray(data)
    damaged[ends[15] + 10] ^= 0xFF  # in step 15's record (the run record is record 0)
    log = write_run(folder, "bad", bytes(damaged), stamp="20260101_000001")
    summary, _ = pull_dir(tmp_path / "w.duckdb", folder)
    assert summary.status == "ok" and _good_landed(tmp_path / "w.duckdb")
    _one_warning(summary, str(log), f"stopped at byte {ends[15]}", "checksum mismatch")
    assert rows(tmp_path / "w.duckdb", "SELECT max(step) FROM metrics WHERE run_id = 'bad'") == [
        (14,)
    ]
    # The log is unchanged: the next pull reads nothing and says nothing more about it.
    again, src = pull_dir(tmp_path / "w.duckdb", folder)
    assert src.log_bytes == 0 and again.warnings == []


def test_a_log_cut_in_its_last_record_is_read_to_the_last_complete_one(folder, tmp_path):
    data, ends = w.frame(payloads("cut", loss_rows(30)))
    log = write_run(folder, "cut", data[: ends[-2] + 5], stamp="20260101_000001")  # exit cut
    db = tmp_path / "w.duckdb"
    first, _ = pull_dir(db, folder)
    assert first.status == "ok" and first.warnings == []  # a log being written looks the same
    second, _ = pull_dir(db, folder)
    _one_warning(second, str(log), "CRASHED", "last 5 bytes")
    assert rows(db, "SELECT state FROM runs WHERE run_id = 'cut'") == [("CRASHED",)]
    assert rows(db, "SELECT count(*) FROM metrics WHERE run_id = 'cut'") == [(30,)]
    third, _ = pull_dir(db, folder)
    assert third.warnings == []  # said once, when the run was taken as crashed
    assert _good_landed(db)


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"", "no run record"),
        (w.HEADER, "no run record"),
        (b"PK\x03\x04 a zip file, not a log", "not a W&B run log"),
    ],
    ids=["empty", "header-only", "not-a-log"],
)
def test_a_log_without_a_run_costs_only_itself(folder, tmp_path, content, needle):
    log = write_run(folder, "odd", content, stamp="20260101_000001")
    summary, _ = pull_dir(tmp_path / "w.duckdb", folder)
    assert summary.status == "ok" and _good_landed(tmp_path / "w.duckdb")
    _one_warning(summary, str(log), needle)
    assert rows(tmp_path / "w.duckdb", "SELECT run_id FROM runs") == [("good",)]


def test_a_run_folder_without_a_log_costs_only_itself(folder, tmp_path):
    empty = folder / "wandb" / "offline-run-20260101_000001-nolog"
    (empty / "files").mkdir(parents=True)
    summary, _ = pull_dir(tmp_path / "w.duckdb", folder)
    assert summary.status == "ok" and _good_landed(tmp_path / "w.duckdb")
    _one_warning(summary, str(empty), "no run-nolog.wandb")


def test_a_folder_without_runs_fails_only_its_target(folder, tmp_path):
    other = tmp_path / "not-wandb"
    (other / "src").mkdir(parents=True)
    (other / "src" / "train.py").write_text("print('hi')\n")
    db = tmp_path / "w.duckdb"
    sources = [WandbOfflineSource(other), WandbOfflineSource(folder)]
    summary = pull(Settings(db=db, env={}, apply_views=False), sources=sources)
    assert summary.status == "partial" and summary.exit_code == 1
    (failure,) = summary.failures
    assert failure.target == f"wandb-dir:{other.resolve()}"
    assert str(other.resolve()) in failure.reason and "no W&B runs here" in failure.reason
    assert _good_landed(db)
    # Alone, it is the whole pull's error (exit 2 from the CLI), and nothing else is written.
    with pytest.raises(NotFoundError, match="no W&B runs here"):
        pull(Settings(db=tmp_path / "x.duckdb", env={}), sources=[WandbOfflineSource(other)])
    with pytest.raises(NotFoundError, match="no such folder"):
        pull(
            Settings(db=tmp_path / "x.duckdb", env={}),
            sources=[WandbOfflineSource(tmp_path / "missing")],
        )


def test_an_empty_wandb_folder_is_no_runs_yet(tmp_path):
    (tmp_path / "proj" / "wandb").mkdir(parents=True)
    summary, _ = pull_dir(tmp_path / "w.duckdb", tmp_path / "proj")
    assert summary.status == "ok" and summary.failures == [] and summary.runs == 0


def test_a_mirrored_run_that_cannot_be_read_now_is_a_failure_not_a_deletion(folder, tmp_path):
    data, _ = w.frame(payloads("was", loss_rows(5)))
    log = write_run(folder, "was", data, stamp="20260101_000001")
    db = tmp_path / "w.duckdb"
    pull_dir(db, folder)
    log.write_bytes(b"garbage, not a W&B log at all".ljust(len(data) + 10, b"!"))
    for _ in range(2):  # two listings without it would mark a vanished run deleted
        summary, _ = pull_dir(db, folder)
        assert summary.status == "partial" and summary.warnings == []
        (failure,) = summary.failures
        assert (failure.run_id, failure.target) == ("was", "ent/proj")
        assert str(log) in failure.reason and "not a W&B run log" in failure.reason
    assert rows(db, "SELECT run_id, deleted_at FROM runs ORDER BY run_id") == [
        ("good", None),
        ("was", None),
    ]
    assert rows(db, "SELECT count(*) FROM metrics WHERE run_id = 'was'") == [(5,)]


def test_the_only_run_of_a_project_that_cannot_be_read_now_is_reported(tmp_path):
    data, _ = w.frame(payloads("solo", loss_rows(5), project="alone"))
    log = write_run(tmp_path / "d", "solo", data)
    db = tmp_path / "w.duckdb"
    pull_dir(db, tmp_path / "d")
    log.write_bytes(b"")  # truncated to nothing: shorter than the stored offset, no run record
    summary, _ = pull_dir(db, tmp_path / "d")
    assert summary.status == "partial"
    assert [(f.target, f.run_id) for f in summary.failures] == [("ent/alone", "solo")]
    assert rows(db, "SELECT deleted_at FROM runs") == [(None,)]

"""The offline source's less common paths, on synthetic logs: ``--full``, system metrics pulled
for the first time after pulls without them, more new points than one pull holds in memory,
runs without an entity, one run id in two folders, a log replaced by a shorter one, a config
that changes while the run goes on."""

from __future__ import annotations

import json
import math

from swansync.sources.wandb.offline import scan
from tests.wandb import writer as w
from tests.wandb_offline.expect import pull_dir, rows
from tests.wandb_offline.synth import loss_rows, payloads, write_run

STATS = [{"cpu": 1.0 + i, "memory_percent": 50.0} for i in range(4)]


def _points(db, run_id="r1"):
    return rows(
        db,
        "SELECT key, count(*), min(step), max(step) FROM metrics WHERE run_id = ? "
        "GROUP BY key ORDER BY key",
        [run_id],
    )


def _grow(log, data, size):
    """The log as the first ``size`` bytes of ``data`` (the writer appends to the same file)."""
    with log.open("ab") as out:
        out.write(data[log.stat().st_size : size])


def test_full_rereads_every_log_from_the_start(tmp_path):
    data, _ = w.frame(payloads("r1", loss_rows(50), stats=STATS))
    write_run(tmp_path / "d", "r1", data)
    db = tmp_path / "w.duckdb"
    pull_dir(db, tmp_path / "d")
    before = _points(db)
    summary, src = pull_dir(db, tmp_path / "d", full=True)
    assert summary.status == "ok" and src.log_bytes == len(data)
    assert (
        _points(db)
        == before
        == [
            ("loss", 50, 0, 49),
            ("system.cpu", 4, 0, 3),
            ("system.memory_percent", 4, 0, 3),
        ]
    )


def test_system_keys_pulled_later_are_read_from_the_start(tmp_path):
    data, ends = w.frame(payloads("r1", loss_rows(60), stats=STATS))
    log = write_run(tmp_path / "d", "r1", b"")
    db = tmp_path / "w.duckdb"
    _grow(log, data, ends[-3])  # two samples and the exit still to come
    pull_dir(db, tmp_path / "d", system=False)
    assert [k for k, *_ in _points(db)] == ["loss"]
    _grow(log, data, len(data))
    summary, src = pull_dir(db, tmp_path / "d")  # with system metrics: all four samples
    assert summary.status == "ok"
    assert _points(db) == [
        ("loss", 60, 0, 59),
        ("system.cpu", 4, 0, 3),
        ("system.memory_percent", 4, 0, 3),
    ]
    # The appended bytes, then the whole log again for the keys the warehouse lacked.
    assert src.log_bytes == (7 + len(data) - ends[-3]) + len(data)


def test_more_points_than_a_pull_holds_are_read_twice(tmp_path, monkeypatch):
    monkeypatch.setattr(scan, "BUFFER_POINTS", 30)
    d1, _ = w.frame(payloads("r1", loss_rows(20)))
    d2, _ = w.frame(payloads("r2", loss_rows(20)))
    write_run(tmp_path / "d", "r1", d1, stamp="20260101_000001")
    write_run(tmp_path / "d", "r2", d2, stamp="20260101_000002")
    summary, src = pull_dir(tmp_path / "w.duckdb", tmp_path / "d")
    assert summary.status == "ok"
    assert _points(tmp_path / "w.duckdb", "r1") == _points(tmp_path / "w.duckdb", "r2")
    assert _points(tmp_path / "w.duckdb", "r2") == [("loss", 20, 0, 19)]
    assert src.log_bytes == len(d1) + 2 * len(d2)  # r1 held (20 points), r2 read again


def test_runs_without_an_entity_or_project(tmp_path):
    a, _ = w.frame(payloads("r1", loss_rows(3), entity="", project="mnist"))
    b, _ = w.frame(payloads("r2", loss_rows(3), entity="", project=""))
    write_run(tmp_path / "d", "r1", a)
    write_run(tmp_path / "d", "r2", b)
    summary, _ = pull_dir(tmp_path / "w.duckdb", tmp_path / "d")
    assert summary.status == "ok"
    assert rows(
        tmp_path / "w.duckdb", "SELECT project, workspace, name FROM projects ORDER BY 1"
    ) == [
        ("local/mnist", "local", "mnist"),
        ("local/uncategorized", "local", "uncategorized"),
    ]


def test_one_run_id_in_two_folders_keeps_the_newest(tmp_path):
    old, _ = w.frame(payloads("r1", loss_rows(5)))
    new, _ = w.frame(payloads("r1", loss_rows(8)))
    write_run(tmp_path / "d", "r1", old, stamp="20260101_000000")
    newer = write_run(tmp_path / "d", "r1", new, stamp="20260102_000000")
    summary, _ = pull_dir(tmp_path / "w.duckdb", tmp_path / "d")
    assert summary.status == "ok" and _points(tmp_path / "w.duckdb") == [("loss", 8, 0, 7)]
    (warning,) = summary.warnings
    assert "offline-run-20260101_000000-r1" in warning and str(newer.parent) in warning


def test_a_log_replaced_by_a_shorter_one_is_read_again_from_the_start(tmp_path):
    data, _ = w.frame(payloads("r1", loss_rows(40)))
    log = write_run(tmp_path / "d", "r1", data)
    db = tmp_path / "w.duckdb"
    pull_dir(db, tmp_path / "d")
    short, _ = w.frame(payloads("r1", loss_rows(10), exit_code=None))
    log.write_bytes(short)
    summary, src = pull_dir(db, tmp_path / "d")
    assert summary.status == "ok" and src.log_bytes == len(short)
    (warning,) = summary.warnings
    assert f"{len(short)} bytes, fewer than the {len(data)} read before" in warning
    assert "--full" in warning
    ((cursor,),) = rows(db, "SELECT cursor FROM _swansync.run_state")
    assert json.loads(cursor)["off"] == len(short)


def test_a_config_update_reaches_run_config(tmp_path):
    data, ends = w.frame(
        [
            *payloads("r1", loss_rows(5), exit_code=None, config={"lr": 0.1}),
            w.record(w.CONFIG, w.update([w.item(["lr"], 0.05, nested=False)]), num=500),
            w.record(w.EXIT, w.exit_body(0, 3), num=501),
        ]
    )
    log = write_run(tmp_path / "d", "r1", b"")
    db = tmp_path / "w.duckdb"
    _grow(log, data, ends[-3])
    pull_dir(db, tmp_path / "d")
    assert rows(db, "SELECT key, value_double FROM run_config") == [("lr", 0.1)]
    _grow(log, data, len(data))
    summary, _ = pull_dir(db, tmp_path / "d")
    assert rows(db, "SELECT key, value_double FROM run_config") == [("lr", 0.05)]
    assert summary.rows["run_config"] == 1
    assert rows(db, "SELECT state FROM runs") == [("FINISHED",)]
    ((finished, created),) = rows(db, "SELECT finished_at, created_at FROM runs")
    assert math.isclose((finished - created).total_seconds(), 4.25)  # the last row's time

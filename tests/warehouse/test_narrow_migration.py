"""Migration 005 on a warehouse of schema 003 (the release before narrow point storage): every
point moves to ``_swansync.points`` under its series' new id, bookmarks are kept, ``metrics`` and
``metric_keys`` read the same rows as before, and the next writes go on from there."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from swansync.warehouse import Warehouse, sql_dir

BEFORE = 3  # the last migration before narrow storage
# Values as text, so NaN equals NaN and -0.0 differs from 0.0.
POINTS = "SELECT * REPLACE (CAST(value AS VARCHAR) AS value) FROM metrics ORDER BY ALL"


@pytest.fixture
def v3_warehouse(tmp_path: Path) -> Path:
    """A warehouse migrated to 003, holding two series (one sampled), a media key without
    points, and two points no series row describes (a hand-edited warehouse)."""
    old = tmp_path / "schema-003"
    old.mkdir()
    for path in (sql_dir() / "schema").glob("*.sql"):
        if int(path.name.split("_", 1)[0]) <= BEFORE:
            shutil.copy(path, old / path.name)
    db = tmp_path / "w.duckdb"
    with Warehouse(db) as wh:
        wh.migrate(old)
        wh.execute(
            "INSERT INTO metrics VALUES "
            "('s', 'ws/p', 'r1', 'loss', 0, 1.5, '2025-01-01 00:00:00+00'), "
            "('s', 'ws/p', 'r1', 'loss', 1, 'NaN', '2025-01-01 00:00:01+00'), "
            "('s', 'ws/p', 'r1', 'acc', 5, -0.0, NULL), "
            "('s', 'ws/p', 'r2', 'lost', 7, 2.0, NULL), "
            "('s', 'ws/p', 'r2', 'lost', 9, 3.0, NULL)"
        )
        wh.execute(
            "INSERT INTO _swansync.series VALUES "
            "('s', 'ws/p', 'r1', 'loss', 'SCALAR', 'CUSTOM', TRUE, 1, 2, now()), "
            "('s', 'ws/p', 'r1', 'acc', 'SCALAR', 'CUSTOM', FALSE, 5, 1, now()), "
            "('s', 'ws/p', 'r1', 'img', 'MEDIA', 'CUSTOM', TRUE, NULL, 0, now())"
        )
    return db


def test_points_move_to_the_narrow_table_and_read_the_same(v3_warehouse: Path) -> None:
    with Warehouse(v3_warehouse, read_only=True) as wh:
        before_points = wh.rows(POINTS)
        before_keys = wh.rows("SELECT * EXCLUDE (synced_at) FROM metric_keys ORDER BY ALL")
    with Warehouse(v3_warehouse) as wh:
        assert wh.migrate() == ["004_logs_media", "005_narrow_points"]
        assert wh.rows(POINTS) == before_points
        keys = wh.rows("SELECT * EXCLUDE (synced_at) FROM metric_keys ORDER BY ALL")
        # The orphan points got a series row of their own (with their bookmark); nothing else
        # changed.
        assert [k for k in keys if k not in before_keys] == [
            ("s", "ws/p", "r2", "lost", "SCALAR", "CUSTOM", True, 9, 2)
        ]
        ids = wh.rows("SELECT key, series_id FROM _swansync.series ORDER BY series_id")
        assert sorted(i for _, i in ids) == [1, 2, 3, 4]  # unique, dense in key order
        assert [k for k, _ in ids] == ["acc", "img", "loss", "lost"]
        assert wh.rows("SELECT count(*) FROM _swansync.points") == [(5,)]
        tables = wh.rows(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE' ORDER BY 1"
        )
        assert ("main.metrics",) not in tables
        assert ("_swansync.series_before_005",) not in tables


def test_a_second_migrate_changes_nothing(v3_warehouse: Path) -> None:
    with Warehouse(v3_warehouse) as wh:
        wh.migrate()
        rows = wh.rows(POINTS)
        assert wh.migrate() == []
        assert wh.rows(POINTS) == rows

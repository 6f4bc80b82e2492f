"""Warehouse: migrations, upserts, transactions roll back, lock errors are clear."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import polars as pl
import pytest

from swansync.errors import ConfigError, WarehouseError
from swansync.transform import SUMMARIES_SCHEMA
from swansync.warehouse import Warehouse


def test_migrate_is_idempotent(tmp_path):
    with Warehouse(tmp_path / "w.duckdb") as wh:
        first = wh.migrate()
        assert first and wh.migrate() == []
        assert wh.schema_version() >= 1
        assert wh.table_counts(["runs", "metrics"]) == {"runs": 0, "metrics": 0}


def test_upsert_replaces_by_key_and_keeps_last_duplicate(tmp_path):
    now = datetime.now(UTC)
    with Warehouse(tmp_path / "w.duckdb") as wh:
        wh.migrate()
        frame = pl.DataFrame(
            {
                "source": ["s", "s", "s"],
                "project": ["a/b", "a/b", "a/c"],
                "name": ["first", "second", "other"],
                "labels": [["x"], ["y"], []],
                "synced_at": [now] * 3,
            }
        )
        wh.upsert("projects", frame, ["source", "project"])
        wh.upsert(
            "projects",
            frame.with_columns(pl.lit("third").alias("name")).head(1),
            ["source", "project"],
        )
        got = wh.query("SELECT project, name, labels FROM projects ORDER BY project")
        assert got.rows() == [("a/b", "third", ["x"]), ("a/c", "other", [])]


def test_transaction_rolls_back(tmp_path):
    now = datetime.now(UTC)
    with Warehouse(tmp_path / "w.duckdb") as wh:
        wh.migrate()
        frame = pl.DataFrame({"source": ["s"], "project": ["a/b"], "synced_at": [now]})
        with pytest.raises(RuntimeError), wh.transaction():
            wh.upsert("projects", frame, ["source", "project"])
            raise RuntimeError("boom")
        assert wh.table_counts(["projects"])["projects"] == 0


def test_unknown_column_is_an_error(tmp_path):
    with Warehouse(tmp_path / "w.duckdb") as wh:
        wh.migrate()
        with pytest.raises(WarehouseError, match="no column"):
            wh.append("projects", pl.DataFrame({"nope": [1]}))


def test_locked_warehouse_is_a_clear_error(tmp_path):
    db = tmp_path / "w.duckdb"
    with Warehouse(db) as wh:
        wh.migrate()
        code = (
            "import sys\nfrom swansync.warehouse import Warehouse\nfrom swansync.errors import "
            "WarehouseError\ntry:\n    Warehouse(sys.argv[1])\nexcept WarehouseError as e:\n"
            "    print(e); sys.exit(3)\n"
        )
        proc = subprocess.run(
            [sys.executable, "-c", code, str(db)], capture_output=True, text=True, timeout=60
        )
        assert proc.returncode == 3, proc.stderr
        assert "in use by another process" in proc.stdout


def test_read_only_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist yet"):
        Warehouse(tmp_path / "missing.duckdb", read_only=True)


def _summaries(rows: list[tuple[str, str, float | None, str | None]], at: datetime) -> pl.DataFrame:
    """Summary rows (every column of the table, as a pull writes them)."""
    records = [
        {
            "source": "s",
            "project": "a/b",
            "run_id": run_id,
            "key": key,
            "last_step": 1,
            "last_value": value,
            "min_value": value,
            "min_step": 1,
            "max_value": value,
            "max_step": 1,
            "raw": raw,
            "synced_at": at,
        }
        for run_id, key, value, raw in rows
    ]
    return pl.DataFrame(records, schema=SUMMARIES_SCHEMA)


def test_changed_rows_picks_new_and_changed_rows_only(tmp_path):
    """NULLs, lists and JSON compare equal to themselves; synced_at is ignored."""
    first, later = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)
    key = ["source", "project"]
    frame = pl.DataFrame(
        {
            "source": ["s", "s", "s"],
            "project": ["a/b", "a/c", "a/d"],
            "name": ["b", None, "d"],
            "labels": [["x"], [], None],
            "raw": ['{"a":1}', None, "[]"],
            "synced_at": [first] * 3,
        },
        schema_overrides={"labels": pl.List(pl.String)},
    )
    with Warehouse(tmp_path / "w.duckdb") as wh:
        wh.migrate()
        assert wh.changed_rows("projects", frame, key).height == 3  # all new
        wh.upsert("projects", frame, key)
        again = frame.with_columns(pl.lit(later).alias("synced_at"))
        assert wh.changed_rows("projects", again, key).height == 0
        edited = again.with_columns(
            pl.when(pl.col("project") == "a/c").then(pl.lit("c")).otherwise("name").alias("name")
        )
        extra = edited.head(1).with_columns(pl.lit("a/e").alias("project"))
        got = wh.changed_rows("projects", pl.concat([edited, extra]), key)
        assert got["project"].to_list() == ["a/c", "a/e"]
        assert got["name"].to_list() == ["c", "b"]


def test_changed_groups_names_runs_whose_row_set_differs(tmp_path):
    at = datetime(2026, 1, 1, tzinfo=UTC)
    where = {"source": "s", "project": "a/b"}
    stored = _summaries(
        [
            ("r1", "k", 1.0, None),
            ("r2", "k", 2.0, "{}"),
            ("r3", "k", None, None),
            ("r4", "k", 4.0, None),
        ],
        at,
    )
    with Warehouse(tmp_path / "w.duckdb") as wh:
        wh.migrate()
        wh.append("summaries", stored)
        runs = ["r1", "r2", "r3", "r4", "r5"]
        same = stored.with_columns(pl.lit(datetime(2026, 3, 1, tzinfo=UTC)).alias("synced_at"))
        assert wh.changed_groups("summaries", same, where, "run_id", runs[:4]) == []
        new = _summaries(
            [
                ("r1", "k", 1.0, None),  # same
                ("r2", "k", 2.5, "{}"),  # changed value
                ("r3", "k", None, None),
                ("r3", "k2", 3.0, None),  # one more key
                ("r5", "k", 5.0, None),  # new run; r4 lost its summaries
            ],
            at,
        )
        assert wh.changed_groups("summaries", new, where, "run_id", runs) == [
            "r2",
            "r3",
            "r4",
            "r5",
        ]
        # Rows of runs not asked about are neither compared nor counted.
        assert wh.changed_groups("summaries", new, where, "run_id", ["r1"]) == []

"""Warehouse: migrations, upserts, transactions roll back, lock errors are clear."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import polars as pl
import pytest

from swansync.errors import ConfigError, WarehouseError
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

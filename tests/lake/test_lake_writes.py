"""The lake warehouse's write methods: the same results as a warehouse file for every method the
sync uses, and the redo loop (a commit rejected by another target's write is redone; one
rejected because another worker wrote the same target fails that target, nothing visible)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from swansync.errors import ConfigError, ConflictError
from swansync.warehouse import Warehouse, open_warehouse
from swansync.warehouse.lake import LakeWarehouse

from .conftest import Lake

T0 = datetime(2026, 1, 1, tzinfo=UTC)
RUN_KEY = ["source", "project", "run_id"]
ITEM_KEY = ["source", "project", "run_id", "key", "step", "idx"]


def runs(project: str, names: dict[str, str]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "source": ["s"] * len(names),
            "project": [project] * len(names),
            "run_id": list(names),
            "name": list(names.values()),
            "synced_at": [T0] * len(names),
        }
    )


def media(rows: list[tuple[str, int, str, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "source": ["s"] * len(rows),
            "project": ["A"] * len(rows),
            "run_id": ["r1"] * len(rows),
            "key": [r[0] for r in rows],
            "step": [r[1] for r in rows],
            "idx": [0] * len(rows),
            "kind": [r[2] for r in rows],
            "sha256": [r[3] for r in rows],
            "synced_at": [T0] * len(rows),
        },
        schema_overrides={"idx": pl.Int32},
    )


def exercise(wh: Warehouse) -> None:
    """Every write method the sync uses, in the shapes it uses them."""
    target = ("s", "A")
    with wh.transaction(target=target):
        wh.upsert("runs", runs("A", {"r1": "one", "r2": "two", "r3": "three"}), RUN_KEY)
        wh.append(
            "run_config",
            pl.DataFrame(
                {
                    "source": ["s"] * 3,
                    "project": ["A"] * 3,
                    "run_id": ["r1", "r1", "r2"],
                    "key": ["lr", "depth", "lr"],
                    "value_double": [0.1, 3.0, 0.2],
                }
            ),
        )
    with wh.transaction(target=target):
        # A partial upsert keeps the other columns; a second write of a key in one transaction
        # wins over the first.
        wh.upsert("runs", runs("A", {"r1": "uno"}).drop("synced_at"), RUN_KEY)
        wh.upsert("runs", runs("A", {"r1": "eins"}).drop("synced_at"), RUN_KEY)
        wh.update(
            "runs",
            {"deleted_at": T0},
            {"source": "s", "project": "A"},
            column="run_id",
            values_in=["r2"],
            condition="deleted_at IS NULL",
        )
        wh.delete_in("run_config", {"source": "s", "project": "A"}, "run_id", ["r1"])
        wh.append(
            "run_config",
            pl.DataFrame(
                {
                    "source": ["s"],
                    "project": ["A"],
                    "run_id": ["r1"],
                    "key": ["lr"],
                    "value_double": [0.5],
                }
            ),
        )
        wh.delete("runs", {"source": "s", "project": "A", "run_id": "r3"})
    with wh.transaction(target=target):
        wh.upsert("media", media([("img", 1, "image", "aa"), ("img", 2, "other", None)]), ITEM_KEY)
    with wh.transaction(target=target):
        listed = media([("img", 1, "other", "bb"), ("img", 2, "other", None)])
        wh.upsert(
            "media",
            listed,
            ITEM_KEY,
            updates={
                "kind": "CASE WHEN excluded.kind = 'other' THEN media.kind ELSE excluded.kind END",
                "sha256": "coalesce(excluded.sha256, media.sha256)",
                "synced_at": "excluded.synced_at",
            },
        )
        copies = listed.select(ITEM_KEY).with_columns(
            pl.lit("files/x").alias("path"), pl.lit("image").alias("kind")
        )
        wh.update_from(
            "media",
            copies.filter(pl.col("step") == 2),
            ITEM_KEY,
            {"path": "excluded.path", "kind": "excluded.kind"},
        )
    with wh.transaction(target=target):
        skips = media([("img", 1, "other", None)]).select(ITEM_KEY)
        wh.append(
            "_swansync.media_skips",
            skips.with_columns(pl.lit("gone").alias("status"), pl.lit(T0).alias("checked_at")),
        )
    with wh.transaction(target=target):
        wh.delete_keys("_swansync.media_skips", skips, ITEM_KEY)
        logs = pl.DataFrame(
            {
                "source": ["s"] * 3,
                "project": ["A"] * 3,
                "run_id": ["r1", "r1", "r2"],
                "seq": [1, 2, 1],
                "text": ["a", "b", "c"],
            }
        )
        wh.append("logs", logs)
    with wh.transaction(target=target):
        wh.delete("logs", {"source": "s", "project": "A", "run_id": "r1"})
        wh.append("logs", logs.head(1).with_columns(pl.lit("a2").alias("text")))
    wh.insert_row("_swansync.sync_log", {"id": 7, "started_at": T0, "status": "running"})
    wh.update("_swansync.sync_log", {"status": "ok", "changed": True}, {"id": 7})


READS = {
    "runs": "SELECT run_id, name, synced_at, deleted_at FROM runs ORDER BY ALL",
    "run_config": "SELECT run_id, key, value_double FROM run_config ORDER BY ALL",
    "media": "SELECT key, step, kind, sha256, path FROM media ORDER BY ALL",
    "skips": "SELECT count(*) FROM _swansync.media_skips",
    "logs": "SELECT run_id, seq, text FROM logs ORDER BY ALL",
    "sync_log": "SELECT id, status, changed FROM _swansync.sync_log",
}


def contents(wh: Warehouse) -> dict[str, Any]:
    return {name: wh.rows(sql) for name, sql in READS.items()}


@pytest.fixture
def lakes(lake: Lake) -> Iterator[tuple[LakeWarehouse, LakeWarehouse]]:
    uri = "ducklake:postgres:" + lake.catalog
    first = LakeWarehouse(uri, data_path=lake.data_path)
    first.migrate()
    second = LakeWarehouse(uri, data_path=lake.data_path)
    try:
        yield first, second
    finally:
        first.close()
        second.close()


def test_every_write_method_gives_what_a_file_gives(
    lakes: tuple[LakeWarehouse, LakeWarehouse], tmp_path: Path
) -> None:
    lake, _ = lakes
    with Warehouse(tmp_path / "w.duckdb") as wh:
        wh.migrate()
        exercise(wh)
        want = contents(wh)
    exercise(lake)
    assert contents(lake) == want


def test_a_commit_rejected_by_another_projects_write_is_redone(
    lakes: tuple[LakeWarehouse, LakeWarehouse],
) -> None:
    first, second = lakes
    with second.transaction(target=("s", "B")):
        second.upsert("runs", runs("B", {"b1": "bee"}), RUN_KEY)
    with first.transaction(target=("s", "A")):
        first.upsert("runs", runs("A", {"a1": "ay"}), RUN_KEY)
        # Any DELETE of a table fails every transaction that inserted into it meanwhile (F2).
        second.con.execute("DELETE FROM _swansync.runs_v WHERE project = 'B'")
    assert first.conflicts == 1
    assert first.rows("SELECT project, run_id, name FROM runs") == [("A", "a1", "ay")]


def test_a_commit_rejected_by_a_write_of_the_same_project_fails_whole(
    lakes: tuple[LakeWarehouse, LakeWarehouse],
) -> None:
    first, second = lakes
    with pytest.raises(ConflictError, match="written by another worker"):
        with first.transaction(target=("s", "A")):
            first.upsert("runs", runs("A", {"a1": "mine"}), RUN_KEY)
            with second.transaction(target=("s", "A")):
                second.upsert("runs", runs("A", {"a2": "theirs"}), RUN_KEY)
    assert first.rows("SELECT run_id, name FROM runs") == [("a2", "theirs")]


def test_a_password_in_the_uri_is_refused(lake: Lake) -> None:
    with pytest.raises(ConfigError, match="PGPASSWORD") as e:
        open_warehouse("ducklake:postgres:" + lake.catalog + " password=hunter2")
    assert "hunter2" not in str(e.value)

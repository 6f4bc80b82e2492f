"""list_views/apply_views, the empty warehouse, and hostile keys coming through as data."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from swansync.errors import WarehouseError
from swansync.warehouse.views import VIEWS_DIR, apply_views, list_views

from .conftest import EVIL, LAB

CALLS = {
    "run_overview": "SELECT * FROM run_overview",
    "metric_summary": "SELECT * FROM metric_summary",
    "run_fields": "SELECT * FROM run_fields",
    "run_table": "SELECT * FROM run_table('alice/views-lab')",
    "leaderboard": "SELECT * FROM leaderboard('alice/views-lab', 'train/loss')",
    "seed_groups": "SELECT * FROM seed_groups('alice/views-lab', 'train/loss')",
    "config_effect": "SELECT * FROM config_effect('alice/views-lab', 'optim.lr', 'train/loss')",
    "curves": "SELECT * FROM curves('alice/views-lab', n_buckets := 5)",
    "run_diff": "SELECT * FROM run_diff('a', 'b')",
    "project_activity": "SELECT * FROM project_activity",
    "project_status": "SELECT * FROM project_status",
    "system_usage": "SELECT * FROM system_usage",
    "run_log_tail": "SELECT * FROM run_log_tail",
    "log_search": "SELECT * FROM log_search('error', regex := false)",
    "media_gallery": "SELECT * FROM media_gallery",
}


def test_every_object_is_listed_with_a_description_and_exercised_here():
    infos = list_views()
    assert [i.name for i in infos] == list(CALLS)
    for info in infos:
        assert info.file.parent == VIEWS_DIR
        assert 10 < len(info.description) <= 120, info.name
        text = info.file.read_text(encoding="utf-8")
        assert "-- Reads:" in text and "Deleted runs:" in text, info.name
        if info.kind == "macro":
            assert info.usage.startswith(info.name + "("), info.usage


def test_apply_is_idempotent_and_returns_names_in_file_order(tmp_path):
    from swansync.warehouse import Warehouse

    with Warehouse(tmp_path / "w.duckdb") as wh:
        wh.migrate()
        first = apply_views(wh.con)
        assert first == apply_views(wh.con) == [i.name for i in list_views()]
        views = {r[0] for r in wh.rows("SELECT view_name FROM duckdb_views() WHERE NOT internal")}
        macros = {
            r[0]
            for r in wh.rows(
                "SELECT function_name FROM duckdb_functions() "
                "WHERE macro_definition IS NOT NULL AND NOT internal"
            )
        }
    for info in list_views():
        assert info.name in (views if info.kind == "view" else macros)


@pytest.mark.parametrize("name", list(CALLS))
def test_empty_warehouse_gives_empty_results(empty_wh, name):
    rows = empty_wh.rows(CALLS[name])
    assert rows == []


def test_a_failing_file_rolls_back_everything(tmp_path):
    src = tmp_path / "views"
    src.mkdir()
    (src / "010_good.sql").write_text("-- fine\nCREATE OR REPLACE VIEW good AS SELECT 1 AS x;\n")
    (src / "020_bad.sql").write_text(
        "-- broken\nCREATE OR REPLACE VIEW bad AS SELECT * FROM nope;\n"
    )
    con = duckdb.connect()
    with pytest.raises(WarehouseError, match=r"020_bad\.sql"):
        apply_views(con, src)
    assert con.execute(
        "SELECT count(*) FROM duckdb_views() WHERE view_name = 'good'"
    ).fetchone() == (0,)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"10_a.sql": "-- d\nCREATE OR REPLACE VIEW a AS SELECT 1;"}, None),
        ({"010_A.sql": "-- d\nCREATE OR REPLACE VIEW a AS SELECT 1;"}, "NNN_name"),
        ({"010_a.sql": "CREATE OR REPLACE VIEW a AS SELECT 1;"}, "description"),
        ({"010_a.sql": "-- d\nCREATE OR REPLACE VIEW b AS SELECT 1;"}, "named 'a'"),
        ({"010_a.sql": "-- d\nSELECT 1;"}, "creates no view"),
        (
            {
                "010_a.sql": "-- d\nCREATE OR REPLACE VIEW a AS SELECT 1;",
                "010_b.sql": "-- d\nCREATE OR REPLACE VIEW b AS SELECT 1;",
            },
            "duplicate",
        ),
    ],
)
def test_malformed_view_folders_are_clear_errors(tmp_path, files, message):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    if message is None:
        assert [i.name for i in list_views(tmp_path)] == ["a"]
    else:
        with pytest.raises(WarehouseError, match=re.escape(message)):
            list_views(tmp_path)


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(WarehouseError, match="does not exist"):
        list_views(Path(tmp_path / "nope"))


def test_hostile_keys_come_through_as_data(wh, mirror):
    run_id = mirror.tables["runs"].filter(pl_name("evil"))["run_id"][0]
    table = wh.query(f"SELECT * FROM run_table('{LAB}')")
    assert EVIL in table.columns and f"{EVIL}_last" in table.columns
    row = table.filter(table["run_id"] == run_id)
    assert row[EVIL][0] == "boom"
    # the same through bound parameters of every key-taking macro
    assert wh.rows(
        "SELECT value_text FROM run_fields "
        "WHERE field_type = 'config' AND field = ? AND run_id = ?",
        [EVIL, run_id],
    ) == [("boom",)]
    ce = wh.query("SELECT * FROM config_effect(?, ?, ?)", [LAB, EVIL, EVIL])
    assert "boom" in ce["config_value"].to_list()
    lb = wh.query("SELECT * FROM leaderboard(?, ?)", [LAB, EVIL])
    assert lb["run_id"].to_list() == [run_id]
    cv = wh.query("SELECT DISTINCT key FROM curves(?, only_keys := [?])", [LAB, EVIL])
    assert cv["key"].to_list() == [EVIL]
    assert wh.rows("SELECT count(*) FROM runs")[0][0] == mirror.tables["runs"].height


def pl_name(name: str):
    import polars as pl

    return pl.col("name") == name

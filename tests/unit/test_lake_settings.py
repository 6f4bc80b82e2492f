"""Naming a DuckLake lake: `--db` / `db =` / `SWANSYNC_DB` take a ducklake:postgres: address,
`--data-path` / `data_path =` / `SWANSYNC_DATA_PATH` its data; bad addresses fail in one line
before anything is opened (no DuckDB extension needed for these checks)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from swansync.config import load_settings
from swansync.errors import ConfigError
from swansync.warehouse import open_warehouse
from swansync.warehouse.lake.uri import parse, s3_secret_sql

URI = "ducklake:postgres:dbname=lake host=127.0.0.1 port=5432 user=u"


def test_a_lake_address_from_flag_env_and_file(tmp_path: Path) -> None:
    s = load_settings(env={}, db=URI, data_path="s3://b/p/")
    assert (s.lake, s.data_path, s.warehouse) == (URI, "s3://b/p/", URI)
    s = load_settings(env={"SWANSYNC_DB": URI, "SWANSYNC_DATA_PATH": str(tmp_path)})
    assert (s.warehouse, s.data_path) == (URI, str(tmp_path))
    cfg = tmp_path / "swansync.toml"
    cfg.write_text(f'db = "{URI}"\ndata_path = "lake-data"\n', encoding="utf-8")
    s = load_settings(config_file=cfg, env={})
    assert (s.warehouse, s.data_path) == (URI, str(tmp_path / "lake-data"))
    # a file named later (flag over file) replaces the lake
    s = load_settings(config_file=cfg, env={}, db="w.duckdb")
    assert (s.lake, s.warehouse) == (None, Path("w.duckdb"))


@pytest.mark.parametrize(
    ("uri", "says"),
    [
        (URI + " password=hunter2", "PGPASSWORD"),
        ("ducklake:postgres:host=h user=u", "dbname"),
        ("ducklake:sqlite:x.db", "ducklake:postgres:"),
        ("ducklake:postgres:", "names no catalog"),
    ],
)
def test_bad_addresses_fail_in_one_line(uri: str, says: str) -> None:
    with pytest.raises(ConfigError, match=says) as e:
        open_warehouse(uri)
    assert "hunter2" not in str(e.value)
    assert "\n" not in str(e.value)


def test_data_paths(tmp_path: Path) -> None:
    assert parse(URI, "s3://bucket/prefix").data_path == "s3://bucket/prefix/"
    assert parse(URI, str(tmp_path)).data_path == str(tmp_path) + "/"
    with pytest.raises(ConfigError, match="does not exist"):
        parse(URI, str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="not ftp://"):
        parse(URI, "ftp://host/x")
    with pytest.raises(ConfigError, match="for a DuckLake warehouse"):
        open_warehouse(tmp_path / "w.duckdb", data_path=str(tmp_path))


def test_s3_credentials_become_a_secret_for_an_s3_compatible_store() -> None:
    env = {
        "AWS_ACCESS_KEY_ID": "id",
        "AWS_SECRET_ACCESS_KEY": "it's",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9000",
    }
    sql = s3_secret_sql(env)
    assert sql is not None
    assert "SECRET 'it''s'" in sql
    assert "ENDPOINT '127.0.0.1:9000'" in sql and "USE_SSL false" in sql
    assert s3_secret_sql({}) is None


def test_a_maintenance_table_for_the_scheduler(tmp_path: Path) -> None:
    from swansync.config import MaintenanceConfig

    cfg = tmp_path / "swansync.toml"
    cfg.write_text(f'db = "{URI}"\n[maintenance]\nevery = "1h"\nkeep = "2d"\n', encoding="utf-8")
    s = load_settings(config_file=cfg, env={})
    assert s.maintenance == MaintenanceConfig(every=3600, keep=2 * 86400, orphan_age=86400)
    assert load_settings(env={}).maintenance is None


@pytest.mark.parametrize(
    ("table", "says"),
    [
        ('[maintenance]\nkeep = "1d"\n', "every must be a string"),
        ('[maintenance]\nevery = "often"\n', "invalid interval 'often'"),
        ('[maintenance]\nevery = "1h"\nkep = "1d"\n', "unknown setting(s) kep"),
        ('[maintenance]\nevery = "1h"\norphan_age = 3\n', "orphan_age must be a string"),
        ('maintenance = "1h"\n', "maintenance must be a table"),
    ],
)
def test_a_bad_maintenance_table_is_one_clear_line(tmp_path: Path, table: str, says: str) -> None:
    cfg = tmp_path / "swansync.toml"
    cfg.write_text(f'db = "{URI}"\n{table}', encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(says)):
        load_settings(config_file=cfg, env={})


def test_schedule_refuses_maintenance_on_a_file_warehouse(tmp_path: Path) -> None:
    from swansync.schedule import run_schedule

    cfg = tmp_path / "swansync.toml"
    cfg.write_text(
        '[maintenance]\nevery = "1h"\n[[jobs]]\nevery = "1h"\nsources.swanlab.projects = ["a/b"]\n',
        encoding="utf-8",
    )
    s = load_settings(config_file=cfg, env={})

    def never(*_: object, **__: object) -> None:
        raise AssertionError("no pull may start")

    with pytest.raises(ConfigError, match="maintenance\\] needs a lake"):
        run_schedule(s, once=True, pull_fn=never, install_signals=False)  # type: ignore[arg-type]

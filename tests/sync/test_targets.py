"""What a pull does with its targets and its warehouse before it fetches anything: an unknown
target fails alone, no target is a usage error that writes nothing, and another application's
DuckDB file is refused before a byte is written."""

from __future__ import annotations

import duckdb
import pytest

from swansync.config import Settings
from swansync.errors import ConfigError, NotFoundError
from swansync.sync import pull
from swansync.warehouse import Warehouse
from tests.support.settings import sim_settings


def test_one_unknown_project_fails_alone_and_the_rest_lands(serve_world, tmp_path):
    sim = serve_world("demo")
    real = sim.world.projects()
    s = sim_settings(sim, tmp_path / "w.duckdb", projects=[real[0], "ghost/nope", real[1]])
    summary = pull(s)
    assert summary.status == "partial" and summary.exit_code == 1
    assert [(f.target, f.run_id) for f in summary.failures] == [("ghost/nope", None)]
    assert "ghost/nope" in summary.failures[0].reason
    with Warehouse(s.db, read_only=True) as wh:
        landed = {r[0] for r in wh.rows("SELECT project FROM projects")}
    assert landed == {real[0], real[1]}


def test_when_no_target_exists_the_pull_is_a_usage_error(serve_world, tmp_path):
    sim = serve_world("demo")
    s = sim_settings(sim, tmp_path / "w.duckdb", projects=["ghost/nope", "ghost/also"])
    with pytest.raises(NotFoundError, match="ghost/nope") as e:
        pull(s)
    assert e.value.exit_code == 2
    # Refused before anything landed: the warehouse this pull would have created is not left.
    assert not s.db.exists()
    # An existing warehouse stays, with the refused pull in its log.
    pull(sim_settings(sim, s.db, projects=[sim.world.projects()[0]]))
    with pytest.raises(NotFoundError):
        pull(s)
    with Warehouse(s.db, read_only=True) as wh:
        assert [r[0] for r in wh.rows("SELECT status FROM _swansync.sync_log ORDER BY id")] == [
            "ok",
            "failed",
        ]


def test_no_target_at_all_is_a_usage_error_and_creates_nothing(tmp_path):
    db = tmp_path / "w.duckdb"
    with pytest.raises(ConfigError, match="nothing to pull") as e:
        pull(Settings(db=db, env={}))
    assert e.value.exit_code == 2
    assert not db.exists()


def test_another_applications_duckdb_file_is_refused_untouched(fake_source, tmp_path):
    db = tmp_path / "app.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE runs (id INTEGER, name VARCHAR)")
        con.execute("INSERT INTO runs VALUES (1, 'theirs')")
    before = db.read_bytes()
    with pytest.raises(ConfigError, match="not a swansync warehouse") as e:
        pull(Settings(db=db, env={}), sources=[fake_source])
    assert "\n" not in str(e.value) and e.value.exit_code == 2
    assert db.read_bytes() == before
    with duckdb.connect(str(db)) as con:
        assert con.execute("SELECT table_name FROM duckdb_tables()").fetchall() == [("runs",)]


def test_an_empty_duckdb_file_becomes_a_warehouse(fake_source, tmp_path):
    db = tmp_path / "empty.duckdb"
    duckdb.connect(str(db)).close()
    assert pull(Settings(db=db, env={}, apply_views=False), sources=[fake_source]).status == "ok"


def test_a_serving_copy_in_a_missing_folder_is_refused_before_anything_lands(fake_source, tmp_path):
    db = tmp_path / "w.duckdb"
    s = Settings(db=db, serving=tmp_path / "nope" / "serve.duckdb", env={})
    with pytest.raises(ConfigError, match="serving copy") as e:
        pull(s, sources=[fake_source])
    assert e.value.exit_code == 2
    assert not db.exists()
